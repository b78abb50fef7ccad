/**
 * The preference page: a constituent sees which messages they receive and changes
 * that, from the link in any email, without signing in (the signed token is the
 * proof). What they choose here is their own act: it can restore consent that
 * their unsubscribe withdrew, which no import or integration can.
 *
 * - `GET /p/:token`: the channels they can be reached on, addresses masked.
 * - `POST /p/:token`: a form with a checkbox per channel; unchecked means "no".
 */
import type { FastifyInstance } from 'fastify';
import type { ChannelService, Preferences } from '../consent/service.ts';
import { escapeHtml } from '../templates/library.ts';
import { invalidLinkPage, publicPage } from './public-page.ts';

const channelNames = { email: 'Emails', sms: 'Text messages' } as const;

export function registerPreferenceRoutes(app: FastifyInstance, options: { channels: ChannelService; orgName: string }): void {
  const { channels, orgName } = options;
  type TokenRoute = { Params: { token: string } };

  const form = (token: string, preferences: Preferences, saved: boolean) =>
    publicPage(
      `Your preferences with ${orgName}`,
      `<h1>Messages from ${escapeHtml(orgName)}</h1>
${saved ? '<p class="saved" role="status">Your choices are saved.</p>' : ''}
${
  preferences.channels.length === 0
    ? '<p>We have no address on file to send you anything.</p>'
    : `<form method="post" action="/p/${escapeHtml(token)}">
<fieldset><legend>Send me:</legend>
${preferences.channels
  .map(
    ({ channel, address, subscribed }) =>
      `<label><input type="checkbox" name="${channel}" value="yes"${subscribed ? ' checked' : ''}> ${channelNames[channel]} to ${escapeHtml(address)}</label>`,
  )
  .join('\n')}
</fieldset>
<button type="submit">Save my choices</button>
</form>`
}
<p class="note">You can change these at any time from the link at the foot of any email.</p>`,
    );

  app.get<TokenRoute>('/p/:token', { config: { permission: 'public' } }, async (request, reply) => {
    const preferences = await channels.preferences(request.params.token);
    reply.type('text/html; charset=utf-8');
    if (!preferences) return reply.status(400).send(invalidLinkPage);
    return form(request.params.token, preferences, false);
  });

  app.post<TokenRoute>('/p/:token', { config: { permission: 'public' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const checked = (channel: 'email' | 'sms') => body[channel] === 'yes' || body[channel] === 'on';
    const preferences = await channels.setPreferences(request.params.token, { email: checked('email'), sms: checked('sms') });
    reply.type('text/html; charset=utf-8');
    if (!preferences) return reply.status(400).send(invalidLinkPage);
    return form(request.params.token, preferences, true);
  });
}
