/**
 * Signed tokens for links a recipient follows without logging in (unsubscribe).
 * The token names the constituent, the channel and the message, and carries an
 * HMAC-SHA256 over them: it cannot be forged or altered to unsubscribe someone else.
 * Tokens do not expire; an unsubscribe link in an old email must keep working.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface LinkClaims {
  constituentId: string;
  channel: 'email' | 'sms';
  /** The message the link came in; unsubscribing is recorded against it. */
  messageId: string;
}

export function signLinkToken(secret: string, claims: LinkClaims): string {
  const payload = Buffer.from(JSON.stringify([claims.constituentId, claims.channel, claims.messageId])).toString('base64url');
  return `${payload}.${mac(secret, payload)}`;
}

/** The claims of a genuine token; undefined for a forged, altered or malformed one. */
export function verifyLinkToken(secret: string, token: string): LinkClaims | undefined {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  const expected = Buffer.from(mac(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const [constituentId, channel, messageId] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown[];
    if (typeof constituentId !== 'string' || (channel !== 'email' && channel !== 'sms') || typeof messageId !== 'string') return undefined;
    return { constituentId, channel, messageId };
  } catch {
    return undefined;
  }
}

function mac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`steward-link:${payload}`).digest('base64url');
}
