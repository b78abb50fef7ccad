/**
 * Whether a state-changing request that a browser sends with Steward's cookie, or a
 * form post to the app, comes from the app's own pages: another site could otherwise
 * act with the browser's session, or sign the browser into its own key.
 *
 * Browsers send `Origin` as a serialized origin, `scheme://host[:port]`, and that exact
 * text is compared with the app's own origins. Text that merely parses to an allowed
 * host is refused: userinfo (`http://evil.example@127.0.0.1:3101`), a path, a trailing
 * slash, `null`. A request without Origin falls back to its Referer's origin (older
 * browsers send only that); one with neither is refused.
 */
import type { FastifyRequest } from 'fastify';

/** Whether the request's Origin (or, without one, its Referer) is one of the app's own origins. */
export function fromOwnPages(request: FastifyRequest, publicUrl: string | undefined): boolean {
  const origin = claimedOrigin(request.headers.origin, request.headers.referer);
  return origin !== undefined && ownOrigins(request, publicUrl).includes(origin);
}

/** The origin a browser says the request comes from, or undefined when it says none that can be trusted. */
export function claimedOrigin(origin: string | undefined, referer: string | undefined): string | undefined {
  if (origin !== undefined) return exactOrigin(origin);
  const url = referer ? parse(referer) : undefined;
  // A Referer is a whole address; browsers never put userinfo in one, so one that has it was written by hand.
  return url && !url.username && !url.password ? serialized(url) : undefined;
}

/** `text` when it is exactly a serialized origin, as browsers send in Origin; undefined otherwise. */
function exactOrigin(text: string): string | undefined {
  const url = parse(text);
  return url && serialized(url) === text ? text : undefined;
}

/**
 * The origins the app's pages are served from: the address the request was sent to
 * (scheme and Host, which a browser sets itself and another site cannot) and the
 * public address (STEWARD_PUBLIC_URL) that people reach through a proxy.
 */
function ownOrigins(request: FastifyRequest, publicUrl: string | undefined): string[] {
  const addressed = request.host ? parse(`${request.protocol}://${request.host}`) : undefined;
  const published = publicUrl ? parse(publicUrl) : undefined;
  return [addressed, published].flatMap((url) => {
    const origin = url && serialized(url);
    return origin ? [origin] : [];
  });
}

/** An http(s) address's origin; undefined for other schemes, whose origin is opaque. */
function serialized(url: URL): string | undefined {
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
}

function parse(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
