/** How a webhook without a provider signature proves its sender: the shared token, as Bearer or Basic. */
import { describe, expect, it } from 'vitest';
import { carriesWebhookToken } from '../../src/api/webhook-token.ts';

const TOKEN = 'Zr3-webhook-token-of-the-deployment';
const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

describe('carriesWebhookToken', () => {
  it.each([
    ['a bearer token', `Bearer ${TOKEN}`, true],
    ['the scheme in any case', `bearer ${TOKEN}`, true],
    ['Basic with any user name', basic(`steward:${TOKEN}`), true],
    ['Basic with no user name', basic(`:${TOKEN}`), true],
    ['no header', undefined, false],
    ['an empty header', '', false],
    ['the scheme alone', 'Bearer', false],
    ['a wrong token', 'Bearer not-the-token', false],
    ['the token cut short', `Bearer ${TOKEN.slice(0, -1)}`, false],
    ['the token with more after it', `Bearer ${TOKEN}x`, false],
    ['the token as a Basic user name', basic(`${TOKEN}:`), false],
    ['Basic without a colon', basic(TOKEN), false],
    ['another scheme', `Token ${TOKEN}`, false],
  ])('%s: %s', (_what, header, expected) => {
    expect(carriesWebhookToken(header, TOKEN)).toBe(expected);
  });

  it('refuses everything when no token is configured', () => {
    expect(carriesWebhookToken('Bearer ', '')).toBe(false);
    expect(carriesWebhookToken(basic('steward:'), '')).toBe(false);
  });
});
