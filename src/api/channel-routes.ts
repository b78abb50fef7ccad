/**
 * Where recipients and providers reach Steward about messages:
 *
 * - `GET /u/:token`: the unsubscribe page (no login: the signed token is the proof);
 *   it asks for a click, because mail scanners follow links on their own.
 * - `POST /u/:token`: unsubscribes: the page's button, or a mailbox provider's
 *   one-click POST (`List-Unsubscribe=One-Click`, RFC 8058).
 * - `GET /t/c/:token`: a tracked link, recorded as a click and redirected to the
 *   destination the message's record holds for it (never one the link names).
 * - `GET /t/o/:token`: the open pixel, recorded as an open; always the same image.
 * - `POST /webhooks/email/feedback`: delivery, bounce and complaint reports, refused without the webhook's token.
 * - `POST /webhooks/twilio/status`, `POST /webhooks/twilio/inbound`: Twilio's
 *   delivery receipts and incoming SMS, refused unless `X-Twilio-Signature` is genuine.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import twilio from 'twilio';
import { z } from 'zod';
import type { ChannelService } from '../consent/service.ts';
import { describeIssues } from '../events/schema.ts';
import { escapeHtml } from '../templates/library.ts';
import { errorBody } from './errors.ts';
import { invalidLinkPage, publicPage } from './public-page.ts';
import { carriesWebhookToken, WEBHOOK_CHALLENGE } from './webhook-token.ts';

/**
 * Provider webhooks prove who sent them (signature or token) instead of an API key,
 * and come in bursts the size of Steward's own sends from a few provider addresses:
 * a per-address limit would refuse delivery receipts and STOP replies, so none applies.
 */
const webhookConfig = { permission: 'public', rateLimit: false } as const;

export interface ChannelRouteOptions {
  channels: ChannelService;
  /** The address Twilio calls Steward at; signatures are computed over it. */
  publicUrl: string;
  orgName: string;
  twilioAuthToken?: string | undefined;
  /** The token bounce and complaint reports must carry; with none, anyone could suppress any address. */
  bounceWebhookToken: string;
}

const Feedback = z.strictObject({
  type: z.enum(['delivery', 'bounce', 'complaint']),
  bounceType: z.enum(['hard', 'soft']).optional(),
  recipient: z.email().max(254),
  messageId: z.uuid().optional(),
  detail: z.string().max(1000).optional(),
});

export function registerChannelRoutes(app: FastifyInstance, options: ChannelRouteOptions): void {
  const { channels, orgName } = options;

  // Forms and Twilio post application/x-www-form-urlencoded.
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
  }

  type TokenRoute = { Params: { token: string } };

  app.get<TokenRoute>('/u/:token', { config: { permission: 'public' } }, async (request, reply) => {
    const claims = channels.readLink(request.params.token);
    reply.type('text/html; charset=utf-8');
    if (!claims) return reply.status(400).send(invalidLinkPage);
    const what = claims.channel === 'sms' ? 'text messages' : 'emails';
    return publicPage(
      `Unsubscribe from ${orgName}`,
      `<h1>Unsubscribe from ${escapeHtml(orgName)}</h1>
<p>Stop receiving ${what} from ${escapeHtml(orgName)}? You can opt in again at any time.</p>
<form method="post" action="/u/${escapeHtml(request.params.token)}"><button type="submit">Unsubscribe</button></form>
<p class="note">Or <a href="/p/${escapeHtml(request.params.token)}">choose which messages you receive</a>.</p>`,
    );
  });

  app.post<TokenRoute>('/u/:token', { config: { permission: 'public' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const oneClick = body['List-Unsubscribe'] === 'One-Click';
    const claims = await channels.unsubscribe(request.params.token, oneClick ? 'one-click' : 'link');
    if (oneClick) {
      // Mailbox providers want a plain status, not a page.
      return claims ? reply.status(200).send({ unsubscribed: true }) : reply.status(400).send(errorBody('Unsubscribe link is not valid'));
    }
    reply.type('text/html; charset=utf-8');
    if (!claims) return reply.status(400).send(invalidLinkPage);
    return publicPage(
      'Unsubscribed',
      `<h1>You are unsubscribed</h1><p>You will receive no more ${claims.channel === 'sms' ? 'text messages' : 'emails'} from ${escapeHtml(orgName)}.</p>
<p class="note">Changed your mind? <a href="/p/${escapeHtml(request.params.token)}">Manage your preferences</a>.</p>`,
    );
  });

  app.get<TokenRoute>('/t/c/:token', { config: { permission: 'public', rateLimit: false }, schema: { hide: true } as object }, async (request, reply) => {
    const destination = await channels.followTrackedLink(request.params.token);
    if (!destination) return reply.status(404).type('text/html; charset=utf-8').send(invalidLinkPage);
    return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').redirect(destination, 302);
  });

  app.get<TokenRoute>('/t/o/:token', { config: { permission: 'public', rateLimit: false }, schema: { hide: true } as object }, async (request, reply) => {
    await channels.recordOpen(request.params.token);
    // The same image whatever the token: a pixel tells no one whether a message exists.
    return reply.header('cache-control', 'no-store').type('image/gif').send(PIXEL);
  });

  app.post('/webhooks/email/feedback', { config: webhookConfig, schema: { tags: ['Webhooks'] } }, async (request, reply) => {
    if (!carriesWebhookToken(request.headers.authorization, options.bounceWebhookToken)) {
      return reply
        .status(401)
        .header('www-authenticate', WEBHOOK_CHALLENGE)
        .send(errorBody('The feedback webhook needs its token: send "Authorization: Bearer <token>" (STEWARD_BOUNCE_WEBHOOK_TOKEN, or the bounce-webhook-token file in the data directory)'));
    }
    const reports = Array.isArray(request.body) ? request.body : [request.body];
    const parsed = reports.map((report) => Feedback.safeParse(report));
    const issues = parsed.flatMap((result, index) =>
      result.success ? [] : describeIssues(result.error).map((issue) => ({ ...issue, path: Array.isArray(request.body) ? `[${index}].${issue.path}` : issue.path })),
    );
    if (issues.length > 0) return reply.status(400).send(errorBody('Feedback report is not valid; nothing was recorded', issues));
    const results = [];
    for (const result of parsed) results.push(await channels.mailFeedback(result.data!));
    return reply.status(200).send({ results });
  });

  const twilioVerified = (request: FastifyRequest): boolean => {
    const signature = request.headers['x-twilio-signature'];
    if (!options.twilioAuthToken || typeof signature !== 'string') return false;
    const params = (request.body ?? {}) as Record<string, string>;
    return twilio.validateRequest(options.twilioAuthToken, signature, `${options.publicUrl}${request.url}`, params);
  };

  app.post('/webhooks/twilio/status', { config: webhookConfig, schema: { tags: ['Webhooks'] } }, async (request, reply) => {
    if (!options.twilioAuthToken) return reply.status(404).send(errorBody('SMS is not configured'));
    if (!twilioVerified(request)) return reply.status(403).send(errorBody('X-Twilio-Signature does not match'));
    const body = request.body as Record<string, string>;
    if (!body.MessageSid || !body.MessageStatus) return reply.status(400).send(errorBody('MessageSid and MessageStatus are required'));
    await channels.smsStatus({ sid: body.MessageSid, status: body.MessageStatus, errorCode: body.ErrorCode || undefined });
    return reply.status(204).send();
  });

  app.post('/webhooks/twilio/inbound', { config: webhookConfig, schema: { tags: ['Webhooks'] } }, async (request, reply) => {
    if (!options.twilioAuthToken) return reply.status(404).send(errorBody('SMS is not configured'));
    if (!twilioVerified(request)) return reply.status(403).send(errorBody('X-Twilio-Signature does not match'));
    const body = request.body as Record<string, string>;
    const { reply: text } = await channels.smsInbound({ from: body.From ?? '', body: body.Body ?? '' });
    // TwiML: the answer goes back to the sender as an SMS; an empty response sends nothing.
    reply.type('text/xml; charset=utf-8');
    return `<?xml version="1.0" encoding="UTF-8"?><Response>${text ? `<Message>${escapeXml(text)}</Message>` : ''}</Response>`;
  });
}

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[char]!);
}
