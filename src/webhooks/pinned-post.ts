/**
 * One webhook POST over a connection to an address Steward has checked
 * (`checkHost`): the HTTP client is handed the checked addresses as its lookup, so
 * it never asks DNS again, and a name that answers a public address to the check and
 * a private one a moment later (DNS rebinding) still reaches only the first. TLS
 * still verifies the certificate against the host name, and redirects are not
 * followed. One connection per request, so none is reused across a policy change.
 */
import type { LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { CheckedHost } from './endpoint-address.ts';

export interface PinnedPost {
  headers: Record<string, string>;
  body: string;
  /** The longest the request may take to be answered. */
  timeoutMs: number;
  /** How much of the answer to read. */
  excerptChars: number;
}

export interface PinnedAnswer {
  statusCode: number;
  /** The start of the answer's body: an answer cut short (or too slow to finish) is still an answer. */
  excerpt: string;
}

/** A lookup that answers only with the checked addresses, in the form the caller asked for. */
function pinnedLookup(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) return (callback as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
    const [first] = addresses;
    callback(null, first!.address, first!.family);
  };
}

/** Posts to `url`, connecting only to `host`'s checked addresses; rejects when no answer comes in time. */
export function postPinned(url: URL, host: CheckedHost, post: PinnedPost): Promise<PinnedAnswer> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    let response: IncomingMessage | undefined;
    let text = '';
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
      response?.destroy();
      request.destroy();
    };
    const answered = () => finish(() => resolve({ statusCode: response!.statusCode ?? 0, excerpt: text.slice(0, post.excerptChars) }));
    const request = send(url, {
      method: 'POST',
      headers: { ...post.headers, 'content-length': String(Buffer.byteLength(post.body)) },
      lookup: pinnedLookup(host.addresses),
      agent: false,
    });
    const timer = setTimeout(() => {
      if (response) return answered();
      const error = new Error(`no answer within ${post.timeoutMs / 1000} s`);
      error.name = 'TimeoutError';
      finish(() => reject(error));
    }, post.timeoutMs);
    request.on('error', (error) => (response ? answered() : finish(() => reject(error))));
    request.on('response', (incoming) => {
      response = incoming;
      const decoder = new StringDecoder('utf8');
      incoming.on('data', (chunk: Buffer) => {
        text += decoder.write(chunk);
        if (text.length >= post.excerptChars) answered();
      });
      incoming.on('end', answered);
      incoming.on('close', answered);
      incoming.on('error', answered);
    });
    request.end(post.body);
  });
}
