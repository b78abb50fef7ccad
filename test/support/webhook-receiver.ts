/**
 * A real HTTP server standing in for an organisation's CRM: it keeps every webhook
 * request as received (headers and the raw body, which the signature covers) and
 * answers with the status the test chooses for it.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered. */
  answered: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}

/** `answer` decides each request's status code from the request and those before it. */
export async function startWebhookReceiver(answer: (request: { headers: IncomingHttpHeaders; body: string }, earlier: ReceivedWebhook[]) => number = () => 200): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = answer({ headers: request.headers, body }, received);
      received.push({ headers: request.headers, body, answered: status });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'thanks' : `receiver says ${status}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/steward-hooks`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
