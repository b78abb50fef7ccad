/**
 * The benchmark's own mail server: accepts everything on loopback, keeps nothing
 * but the moment each message's DATA was accepted, by recipient.
 */
import { once } from 'node:events';
import { SMTPServer } from 'smtp-server';

export interface SmtpSink {
  url: string;
  /** performance.now() at which DATA was accepted, by lower-cased recipient (first message only). */
  receivedAt: Map<string, number>;
  messages(): number;
  stop(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const receivedAt = new Map<string, number>();
  let messages = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        const at = performance.now();
        messages += 1;
        for (const { address } of session.envelope.rcptTo) if (!receivedAt.has(address.toLowerCase())) receivedAt.set(address.toLowerCase(), at);
        callback();
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    receivedAt,
    messages: () => messages,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
