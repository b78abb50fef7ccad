/**
 * SMS through Twilio's own client. Steward names the account and the sender
 * (a number, or better a messaging service, which handles opt-outs and number
 * pools); Twilio's API address is configurable only so a stand-in can receive the
 * requests, which are otherwise exactly what Twilio would get.
 */
import twilio from 'twilio';

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  from?: string | undefined;
  messagingServiceSid?: string | undefined;
  /** https://api.twilio.com unless a stand-in is used. */
  apiUrl: string;
  /** Where Twilio reports delivery (the status callback endpoint). */
  statusCallbackUrl?: string | undefined;
}

export interface OutgoingSms {
  to: string;
  body: string;
}

/** What Twilio said when it refused a message for good: retrying cannot help. */
export class PermanentSmsError extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** The number cannot receive SMS (invalid, landline, opted out at the carrier). */
    readonly badNumber: boolean,
  ) {
    super(message);
    this.name = 'PermanentSmsError';
  }
}

/**
 * Twilio error codes that mean the recipient's number will never work: invalid
 * number, not a mobile, an unreachable or unknown destination, the recipient
 * opted out (STOP) at Twilio's side.
 */
const BAD_NUMBER_CODES = new Set([21211, 21214, 21265, 21407, 21408, 21610, 21612, 21614, 30003, 30005, 30006]);

export function isBadNumberCode(code: number | string | undefined | null): boolean {
  return code !== undefined && code !== null && BAD_NUMBER_CODES.has(Number(code));
}

export interface SmsSender {
  send(message: OutgoingSms): Promise<{ sid: string }>;
}

export function createTwilioSender(settings: TwilioSettings): SmsSender {
  if (!settings.from && !settings.messagingServiceSid) throw new Error('Twilio needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID to send from');
  const client = twilio(settings.accountSid, settings.authToken, {
    httpClient: settings.apiUrl === 'https://api.twilio.com' ? undefined : redirectingClient(settings.apiUrl),
  });
  return {
    async send({ to, body }) {
      try {
        const message = await client.messages.create({
          to,
          body,
          ...(settings.messagingServiceSid ? { messagingServiceSid: settings.messagingServiceSid } : { from: settings.from! }),
          ...(settings.statusCallbackUrl ? { statusCallback: settings.statusCallbackUrl } : {}),
        });
        return { sid: message.sid };
      } catch (error) {
        // A 4xx other than rate limiting is Twilio refusing this message: final.
        // 429, 5xx and network errors are passing: thrown on, for Temporal to retry.
        if (error instanceof twilio.RestException && error.status >= 400 && error.status < 500 && error.status !== 429) {
          throw new PermanentSmsError(`Twilio ${error.code ?? error.status}: ${error.message}`, String(error.code ?? error.status), isBadNumberCode(error.code));
        }
        throw error;
      }
    },
  };
}

/** Twilio's HTTP client, sending to another base address. */
function redirectingClient(apiUrl: string): InstanceType<typeof twilio.RequestClient> {
  const base = apiUrl.replace(/\/$/, '');
  const client = new twilio.RequestClient();
  const request = client.request.bind(client);
  client.request = (options) => request({ ...options, uri: options.uri.replace(/^https:\/\/api\.twilio\.com/, base) });
  return client;
}
