/**
 * Where Steward may send webhooks: https, and plain http only to this machine
 * (loopback) and only when the organisation allows it for local testing, since a
 * webhook carries constituents' details. Which addresses the URL's host may be is
 * the address policy's to say (endpoint-address.ts), once the host is resolved.
 */
import type { AddressPolicy } from './endpoint-address.ts';

export interface EndpointUrlPolicy extends AddressPolicy {
  /** STEWARD_WEBHOOK_ALLOW_LOOPBACK_HTTP: http://127.0.0.1, http://localhost and http://[::1] allowed. */
  allowLoopbackHttp: boolean;
}

/** Https only, to public addresses only: the policy unless the organisation loosens it. */
export const strictEndpointPolicy: EndpointUrlPolicy = { allowLoopbackHttp: false, allowPrivateNetworks: false };

const loopbackHosts = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** Why this URL cannot receive webhooks, or undefined when it can. */
export function endpointUrlProblem(text: string, policy: EndpointUrlPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL, e.g. https://crm.example.org/steward-webhooks';
  }
  if (url.username || url.password) return 'must not carry a user name or password: the signature proves who is calling';
  if (url.hash) return 'must not have a #fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return 'must be an https:// URL';
  if (!loopbackHosts.test(url.hostname)) return 'must be https:// (plain http is allowed only to this machine, for local testing)';
  if (!policy.allowLoopbackHttp) return 'must be https:// (http to this machine needs STEWARD_WEBHOOK_ALLOW_LOOPBACK_HTTP=true)';
  return undefined;
}
