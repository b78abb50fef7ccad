/**
 * Click and open tracking in a rendered email. Each link to the web becomes a link
 * to Steward (`/t/c/<message>.<position>.<mac>`), and with opens tracked a 1×1
 * image (`/t/o/<message>.<mac>`) is added before `</body>`. The token carries an
 * HMAC-SHA256 over the message id and the link's position, so it cannot be forged
 * or altered; the destination is not in the link at all but read from the message's
 * record, so no token can send anyone anywhere else (no open redirect).
 *
 * The rewrite is a pure function of the rendered message and its id: a retried send
 * produces the very same bytes, which exactly-once delivery relies on (the receiver
 * recognises a duplicate by identical content and Message-ID). It runs once per
 * send on the hot path, so it is one pass of a regular expression per part and one
 * HMAC per distinct link, no HTML parser.
 *
 * The unsubscribe and preference links are never rewritten: they must work with
 * tracking off, behind a mail scanner, and a recipient's "no" must not depend on
 * a redirect.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const engagementTrackingModes = ['off', 'clicks', 'clicks-and-opens'] as const;
export type EngagementTracking = (typeof engagementTrackingModes)[number];

export interface TrackingOptions {
  mode: EngagementTracking;
  /** Steward's public address: where tracked links and the pixel point. */
  publicUrl: string;
  secret: string;
  messageId: string;
  /** Links kept as they are (the unsubscribe and preference links). */
  untracked: readonly string[];
}

export interface TrackedEmail {
  html: string;
  text: string;
  /** The destinations, by position in the token; empty when nothing was rewritten. */
  links: string[];
  tracksClicks: boolean;
  tracksOpens: boolean;
}

/** In HTML: an href of http(s), quoted either way. */
const HREF = /(\bhref\s*=\s*)(["'])(https?:\/\/[^"']+)\2/gi;
/** In plain text: a bare http(s) address up to whitespace or a closing bracket. */
const BARE_URL = /https?:\/\/[^\s<>"')\]]+/g;

/** The email with its links and, by mode, its open pixel routed through Steward. */
export function trackEmail(email: { html: string; text: string }, options: TrackingOptions): TrackedEmail {
  if (options.mode === 'off') return { ...email, links: [], tracksClicks: false, tracksOpens: false };
  const untracked = new Set(options.untracked);
  const links: string[] = [];
  const positions = new Map<string, number>();
  const tracked = (destination: string): string | undefined => {
    if (untracked.has(destination)) return undefined;
    let position = positions.get(destination);
    if (position === undefined) {
      position = links.push(destination) - 1;
      positions.set(destination, position);
    }
    return `${options.publicUrl}/t/c/${clickToken(options.secret, options.messageId, position)}`;
  };
  let html = email.html.replace(HREF, (whole, attribute: string, quote: string, href: string) => {
    const url = tracked(decodeHtmlAttribute(href));
    return url ? `${attribute}${quote}${url}${quote}` : whole;
  });
  const text = email.text.replace(BARE_URL, (match) => {
    // Punctuation that ends a sentence is not part of the address.
    const url = match.replace(/[.,;:!?]+$/, '');
    return (tracked(url) ?? url) + match.slice(url.length);
  });
  const tracksOpens = options.mode === 'clicks-and-opens';
  if (tracksOpens) {
    const pixel = `<img src="${options.publicUrl}/t/o/${openToken(options.secret, options.messageId)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0">`;
    const end = html.lastIndexOf('</body>');
    html = end === -1 ? `${html}${pixel}` : `${html.slice(0, end)}${pixel}\n${html.slice(end)}`;
  }
  return { html, text, links, tracksClicks: true, tracksOpens };
}

/** `<message>.<position>.<mac>`: the link at that position in that message. */
export function clickToken(secret: string, messageId: string, position: number): string {
  return `${messageId}.${position}.${mac(secret, `click:${messageId}:${position}`)}`;
}

/** `<message>.<mac>`: the open pixel of that message. */
export function openToken(secret: string, messageId: string): string {
  return `${messageId}.${mac(secret, `open:${messageId}`)}`;
}

/** The message and link position of a genuine click token; undefined for a forged, altered or malformed one. */
export function verifyClickToken(secret: string, token: string): { messageId: string; position: number } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [messageId, positionText, signature] = parts as [string, string, string];
  if (!/^(0|[1-9]\d{0,5})$/.test(positionText) || !UUID.test(messageId)) return undefined;
  const position = Number(positionText);
  return sameMac(signature, mac(secret, `click:${messageId}:${position}`)) ? { messageId, position } : undefined;
}

/** The message of a genuine open token (with or without a `.gif` ending); undefined otherwise. */
export function verifyOpenToken(secret: string, token: string): { messageId: string } | undefined {
  const parts = token.replace(/\.gif$/, '').split('.');
  if (parts.length !== 2) return undefined;
  const [messageId, signature] = parts as [string, string];
  if (!UUID.test(messageId)) return undefined;
  return sameMac(signature, mac(secret, `open:${messageId}`)) ? { messageId } : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** 128 bits of HMAC-SHA256 keep links short and are far beyond guessing. */
function mac(secret: string, claim: string): string {
  return createHmac('sha256', secret).update(`steward-engagement:${claim}`).digest('base64url').slice(0, 22);
}

function sameMac(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An href as the browser reads it: the entities the template engine escaped back to characters. */
function decodeHtmlAttribute(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|amp|quot|apos|lt|gt);/gi, (whole, entity: string) => {
    const lower = entity.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(Number(lower.slice(1)));
    return ({ amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' } as Record<string, string>)[lower] ?? whole;
  });
}
