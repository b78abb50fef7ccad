/** A lean JSON client for the load generator: node:http with kept-alive connections, so the client costs little. */
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export interface JsonReply {
  status: number;
  body: string;
}

/** Sends one request; resolves with the status and body, whatever the status. */
export function sendJson(method: 'GET' | 'POST', url: string, apiKey: string, body?: unknown): Promise<JsonReply> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        },
        timeout: 120_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer in 120 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}
