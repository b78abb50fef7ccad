/**
 * HMAC-SHA256 verification of a mapped connector's deliveries: the signature header
 * holds the HMAC of the raw body (or of `<timestamp>.<body>` when the mapping names a
 * timestamp header, whose value must be within the tolerance of now), in hex or base64.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SignatureSpec } from './definition.ts';

export interface SignatureProblem {
  /** The header at fault: `headers.x-signature`. */
  path: string;
  message: string;
}

/** Undefined when the body is signed as the mapping says; else what is wrong. */
export function verifyHmac(spec: SignatureSpec, secret: string, rawBody: Buffer, headers: IncomingHttpHeaders, now = Date.now()): SignatureProblem | undefined {
  const header = spec.header.toLowerCase();
  const given = single(headers[header]);
  if (!given) return { path: `headers.${header}`, message: `${spec.header} header is missing: deliveries must be signed` };
  let signed = rawBody;
  if (spec.timestamp) {
    const timestampHeader = spec.timestamp.header.toLowerCase();
    const timestamp = single(headers[timestampHeader]);
    if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { path: `headers.${timestampHeader}`, message: `${spec.timestamp.header} header must be the signing time in Unix seconds` };
    if (Math.abs(now - Number(timestamp) * 1000) > spec.timestamp.tolerance) {
      return { path: `headers.${timestampHeader}`, message: `${spec.timestamp.header} is stale: the delivery was signed more than ${Math.round(spec.timestamp.tolerance / 1000)} seconds from now (a replayed delivery?)` };
    }
    signed = Buffer.concat([Buffer.from(`${timestamp}.`), rawBody]);
  }
  const presented = spec.prefix && given.startsWith(spec.prefix) ? given.slice(spec.prefix.length) : given;
  const expected = createHmac('sha256', secret).update(signed).digest();
  const decoded = decode(presented.trim(), spec.encoding);
  if (!decoded || decoded.length !== expected.length || !timingSafeEqual(decoded, expected)) {
    return { path: `headers.${header}`, message: `${spec.header} does not match the body with this connector's secret` };
  }
  return undefined;
}

/** The HMAC header value for a body, as the mapping describes it (for senders' tests and the CLI). */
export function signHmac(spec: SignatureSpec, secret: string, rawBody: string | Buffer, timestamp?: number): string {
  const signed = spec.timestamp ? Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(rawBody)]) : Buffer.from(rawBody);
  return `${spec.prefix ?? ''}${createHmac('sha256', secret).update(signed).digest(spec.encoding)}`;
}

function decode(text: string, encoding: 'hex' | 'base64'): Buffer | undefined {
  if (encoding === 'hex' ? !/^[0-9a-fA-F]+$/.test(text) : !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, encoding);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
