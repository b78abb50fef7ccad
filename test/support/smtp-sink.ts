/** A real SMTP server for tests: receives what nodemailer sends and parses each message. */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpSink {
  url: string;
  messages: ParsedMail[];
  /** Resolves once at least `count` messages have arrived. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  stop(): Promise<void>;
}

export interface SmtpSinkOptions {
  /**
   * A slow server: wait this long after the message's data before accepting it. A
   * message whose sender disconnects meanwhile is not accepted (nothing committed).
   */
  acceptDelayMs?: number;
  /** Called when a message's data has arrived, before it is accepted. */
  onReceiving?: () => void;
  /** Recipients refused as mail servers refuse unknown mailboxes: 550 5.1.1. */
  unknownMailboxes?: ReadonlySet<string>;
  /** Every message refused once its data has arrived, with this reply (a content filter: 554 5.7.1 …). */
  refuseMessages?: SmtpRefusal;
  /**
   * The first this many messages answered with a passing refusal once their data has
   * arrived, quoting the recipient as greylisting servers do (450 4.2.0 <address>: …);
   * later ones accepted.
   */
  deferFirst?: number;
  /** Every sender refused at MAIL FROM with this reply (a relay that does not know the sender's domain: 553 5.1.8 …). */
  refuseSenders?: SmtpRefusal;
}

/** A permanent refusal: the reply code and the text after it. */
export interface SmtpRefusal {
  code: number;
  text: string;
}

/** An error smtp-server answers with: its code and text as the reply. */
function refusal({ code, text }: SmtpRefusal): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  const closed = new Set<string>();
  let deferred = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onMailFrom(_address, _session, callback) {
      callback(options.refuseSenders ? refusal(options.refuseSenders) : undefined);
    },
    onRcptTo(address, _session, callback) {
      if (!options.unknownMailboxes?.has(address.address.toLowerCase())) return callback();
      callback(refusal({ code: 550, text: `5.1.1 <${address.address}>: Recipient address rejected: User unknown` }));
    },
    onClose(session) {
      closed.add(session.id);
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          options.onReceiving?.();
          if (options.acceptDelayMs) await new Promise((resolve) => setTimeout(resolve, options.acceptDelayMs));
          if (closed.has(session.id)) return;
          if (options.refuseMessages) return callback(refusal(options.refuseMessages));
          if (deferred < (options.deferFirst ?? 0)) {
            deferred += 1;
            const recipient = session.envelope.rcptTo[0]?.address ?? '';
            return callback(refusal({ code: 450, text: `4.2.0 <${recipient}>: Recipient address rejected: Greylisted, try again later` }));
          }
          messages.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  // Senders that vanish mid-message (a killed worker) reset their connections; that is expected here.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as { port: number };

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async waitForMessages(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`Expected ${count} message(s), received ${messages.length}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return messages;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
