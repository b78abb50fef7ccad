/**
 * Webhooks that carry no provider signature prove their sender with a shared token:
 * as a bearer token, or as the password of HTTP Basic for providers that take
 * credentials only in the webhook's URL (https://steward:<token>@host/…).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The challenge a 401 from such a webhook carries, naming both ways to send the token. */
export const WEBHOOK_CHALLENGE = 'Bearer realm="steward-webhooks", Basic realm="steward-webhooks"';

/** Whether an Authorization header carries `token`; compared in constant time, whatever the lengths. */
export function carriesWebhookToken(authorization: string | undefined, token: string): boolean {
  const given = presentedToken(authorization ?? '');
  if (given === undefined || !token) return false;
  // Equal-length digests: timingSafeEqual then reveals neither the token nor its length.
  return timingSafeEqual(digest(given), digest(token));
}

function presentedToken(authorization: string): string | undefined {
  const [scheme = '', credentials = ''] = authorization.trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme)) return credentials;
  if (!/^basic$/i.test(scheme)) return undefined;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
