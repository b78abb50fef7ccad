/**
 * Where a webhook may connect: public addresses only, so an endpoint cannot turn
 * Steward into a way into the networks it runs in (a database on 10.x, an admin
 * page on 127.0.0.1, the cloud's metadata service and its credentials on
 * 169.254.169.254). Private networks (RFC 1918, loopback, unique-local IPv6, shared
 * carrier-grade NAT space) are allowed only when the organisation says so
 * (STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS), for a CRM on its own network; link-local
 * addresses, cloud metadata services and every other special-use range never are.
 *
 * Address kinds come from `ipaddr.js`, which also reads an IPv4 address written as
 * IPv6 (`::ffff:127.0.0.1`) as the IPv4 address it is.
 */
import { lookup as systemLookup, type LookupAddress } from 'node:dns';
import { promisify } from 'node:util';
import ipaddr from 'ipaddr.js';

/** Resolves a host name to every address it has, as the system's resolver would. */
export type HostLookup = (hostname: string) => Promise<LookupAddress[]>;

export interface AddressPolicy {
  /** STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS: private, loopback, unique-local and shared addresses allowed. */
  allowPrivateNetworks: boolean;
  /** How host names are resolved; the system's resolver (getaddrinfo, /etc/hosts included) unless given. */
  lookup?: HostLookup | undefined;
}

/** A host resolved and every one of its addresses checked: the only addresses a request to it may connect to. */
export interface CheckedHost {
  hostname: string;
  addresses: LookupAddress[];
}

const lookupAll = promisify(systemLookup);
export const systemHostLookup: HostLookup = (hostname) => lookupAll(hostname, { all: true, verbatim: true });

/** The kinds a private network is made of: allowed with STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS. */
const privateKinds: Record<string, string> = {
  private: 'a private address',
  loopback: 'a loopback address (this machine)',
  uniqueLocal: 'a unique-local IPv6 address (a private network)',
  carrierGradeNat: 'a shared carrier-grade NAT address (a private network)',
};

/** Kinds no webhook receiver lives at, refused whatever the setting. */
const neverKinds: Record<string, string> = {
  linkLocal: 'a link-local address, where cloud metadata services answer',
  unspecified: 'the unspecified address, which reaches this machine',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
};

/**
 * Metadata services that live outside link-local space, refused even on a private
 * network: AWS's over IPv6 (fd00:ec2::254) and Alibaba Cloud's (100.100.100.200).
 */
const cloudMetadata = ['fd00:ec2::254', '100.100.100.200'].map((address) => ipaddr.parse(address).toNormalizedString());

const NEVER = 'Steward never sends webhooks there';
const ONLY_PUBLIC = 'Steward sends webhooks only to public addresses unless STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true';

/** What an address is, when a webhook may not connect to it: its kind in words, and whether the setting would allow it. */
function refusedKind(address: string, policy: Pick<AddressPolicy, 'allowPrivateNetworks'>): { shown: string; kind: string; why: string } | undefined {
  const parsed = ipaddr.process(address);
  const shown = parsed.toString();
  if (cloudMetadata.includes(parsed.toNormalizedString())) return { shown, kind: 'a cloud metadata service', why: NEVER };
  const range = parsed.range();
  if (range === 'unicast') return undefined;
  const privateKind = privateKinds[range];
  if (privateKind) return policy.allowPrivateNetworks ? undefined : { shown, kind: privateKind, why: ONLY_PUBLIC };
  return { shown, kind: neverKinds[range] ?? `a special-use address (${range})`, why: NEVER };
}

/** Why a webhook may not connect to this IP address, or undefined when it may. */
export function addressRefusal(address: string, policy: Pick<AddressPolicy, 'allowPrivateNetworks'>): string | undefined {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const refused = refusedKind(address, policy);
  return refused && `${refused.shown} is ${refused.kind}; ${refused.why}`;
}

/** The host of a URL as an address when it is one (`[::1]` without its brackets), else undefined. */
function literalAddress(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) ? bare : undefined;
}

/**
 * Resolves a URL's host and checks every address it has: a host with one address
 * Steward may not reach is refused as a whole, since any of them could be the one
 * connected to. A host written as an address is checked as it is, without DNS.
 * Throws what the resolver throws when the name does not resolve.
 */
export async function checkHost(hostname: string, policy: AddressPolicy): Promise<CheckedHost | { refused: string }> {
  const literal = literalAddress(hostname);
  if (literal) {
    const refused = addressRefusal(literal, policy);
    return refused ? { refused } : { hostname, addresses: [{ address: literal, family: ipaddr.parse(literal).kind() === 'ipv4' ? 4 : 6 }] };
  }
  const addresses = await (policy.lookup ?? systemHostLookup)(hostname);
  if (addresses.length === 0) throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
  for (const { address } of addresses) {
    const refused = refusedKind(address, policy);
    if (refused) return { refused: `${hostname} resolves to ${refused.shown}, ${refused.kind}; ${refused.why}` };
  }
  return { hostname, addresses };
}

/**
 * Why an endpoint URL being saved points where webhooks may not go, or undefined. A
 * name that does not resolve now is accepted: it is checked again before every
 * request, which is what keeps webhooks off private networks.
 */
export async function endpointAddressProblem(url: string, policy: AddressPolicy): Promise<string | undefined> {
  try {
    const checked = await checkHost(new URL(url).hostname, policy);
    return 'refused' in checked ? checked.refused : undefined;
  } catch {
    return undefined;
  }
}
