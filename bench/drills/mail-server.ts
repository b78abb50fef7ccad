/**
 * The drills' own mail server on loopback. It records every message it receives
 * (recipient, Message-ID, when), so a drill can count what arrived twice, and it
 * can misbehave for a while: answer 421 to every connection and MAIL FROM, or take
 * a message whole and cut the connection before its final reply (the one window
 * no sender can close: the message is delivered, the sender never hears so).
 */
import { once } from 'node:events';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  recipient: string;
  messageId: string;
  /** Date.now() when its data ended. */
  at: number;
  /** Whether the connection was cut instead of answering 250. */
  cut: boolean;
}

export interface DrillMailServer {
  url: string;
  received: ReceivedMail[];
  /** How often it misbehaved: 421 answers given, connections cut after a message. */
  faults: { refused: number; cut: number };
  /** From now, for ms: 421 to every connection and MAIL FROM. */
  refuseFor(ms: number): void;
  /** From now, for ms: take each message, then cut the connection before the final reply. */
  cutFor(ms: number): void;
  /** Back to accepting everything at once. */
  behave(): void;
  stop(): Promise<void>;
}

type Behaviour = 'refuse' | 'cut';

/** Header lines are read up to this many bytes; Steward's Message-ID is near the top. */
const HEADER_BYTES = 16 * 1024;

export async function startDrillMailServer(): Promise<DrillMailServer> {
  const received: ReceivedMail[] = [];
  let misbehaving: { how: Behaviour; until: number } | undefined;
  const faults = { refused: 0, cut: 0 };
  const now = (how: Behaviour) => misbehaving?.how === how && Date.now() < misbehaving.until;
  const refusal = () => (now('refuse') ? ((faults.refused += 1), unavailable()) : undefined);
  const unavailable = () => Object.assign(new Error('4.3.2 Service not available, closing transmission channel'), { responseCode: 421 });

  const server: SMTPServer = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    onConnect(_session, callback) {
      callback(refusal());
    },
    onMailFrom(_address, _session, callback) {
      callback(refusal());
    },
    onData(stream, session, callback) {
      let head = '';
      stream.on('data', (chunk: Buffer) => {
        if (head.length < HEADER_BYTES) head += chunk.toString('latin1');
      });
      stream.on('end', () => {
        const cut = now('cut');
        const messageId = /^message-id:\s*(\S+)/im.exec(head.split(/\r?\n\r?\n/)[0] ?? '')?.[1] ?? '(none)';
        for (const { address } of session.envelope.rcptTo) received.push({ recipient: address.toLowerCase(), messageId, at: Date.now(), cut });
        if (cut) {
          faults.cut += 1;
          cutConnection(server, session);
        }
        else callback();
      });
    },
  });
  // Senders killed mid-message reset their connections: expected in a drill.
  server.on('error', () => {});
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    faults,
    refuseFor: (ms) => (misbehaving = { how: 'refuse', until: Date.now() + ms }),
    cutFor: (ms) => (misbehaving = { how: 'cut', until: Date.now() + ms }),
    behave: () => (misbehaving = undefined),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Drops the session's TCP connection without a reply (smtp-server keeps its connections, by session id, in a set). */
function cutConnection(server: SMTPServer, session: SMTPServerSession): void {
  const connections = (server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }).connections;
  for (const connection of connections) if (connection.id === session.id) connection._socket.destroy();
}
