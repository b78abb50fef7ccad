/**
 * SMS through Twilio's own client. Steward names the account and the sender
 * (a number, or better a messaging service, which handles opt-outs and number
 * pools); Twilio's API address is configurable only so a stand-in can receive the
 * requests, which are otherwise exactly what Twilio would get.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import twilio from 'twilio';
import type { SendDiscipline } from '../delivery/claimed-send.ts';
import { createSendGate, type SendLimits } from '../delivery/send-gate.ts';

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  from?: string | undefined;
  messagingServiceSid?: string | undefined;
  /** https://api.twilio.com unless a stand-in is used. */
  apiUrl: string;
  /** Where Twilio reports delivery (the status callback endpoint). */
  statusCallbackUrl?: string | undefined;
  /** The longest one request to Twilio may take, in ms; it is aborted there. */
  timeoutMs?: number | undefined;
  /** Requests in flight at once and messages per second. */
  limits?: SendLimits | undefined;
}

/** Twilio's own client waits 30 s; a message request answers in well under a second when Twilio is well. */
const DEFAULT_TIMEOUT_MS = 15_000;
export const defaultSmsLimits: SendLimits = { concurrency: 4, perSecond: null };

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
 * opted out (STOP) at Twilio's side. Not 21408 (the account may not send to the
 * number's region): that is the organisation's own setting, and the number may
 * receive once it is changed.
 */
const BAD_NUMBER_CODES = new Set([21211, 21214, 21265, 21407, 21610, 21612, 21614, 30003, 30005, 30006]);

/** 21610: the recipient sent STOP, and Twilio refuses to text them; the number works, the person said no. */
const OPTED_OUT_CODE = 21610;

export function isOptedOutCode(code: number | string | undefined | null): boolean {
  return code !== undefined && code !== null && Number(code) === OPTED_OUT_CODE;
}

export function isBadNumberCode(code: number | string | undefined | null): boolean {
  return code !== undefined && code !== null && BAD_NUMBER_CODES.has(Number(code));
}

export interface SmsSender {
  /** Sends one message; aborting `signal` aborts the request to Twilio. */
  send(message: OutgoingSms, signal?: AbortSignal): Promise<{ sid: string }>;
  /** The gate every send passes, and the longest one send may take. */
  readonly sending: SendDiscipline;
}

export function createTwilioSender(settings: TwilioSettings): SmsSender {
  if (!settings.from && !settings.messagingServiceSid) throw new Error('Twilio needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID to send from');
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = twilio(settings.accountSid, settings.authToken, { httpClient: boundedClient(settings.apiUrl, timeoutMs) });
  return {
    sending: { gate: createSendGate(settings.limits ?? defaultSmsLimits), callBudgetMs: timeoutMs },
    async send({ to, body }, signal) {
      try {
        const message = await callSignal.run(signal, () => client.messages.create({
          to,
          body,
          ...(settings.messagingServiceSid ? { messagingServiceSid: settings.messagingServiceSid } : { from: settings.from! }),
          ...(settings.statusCallbackUrl ? { statusCallback: settings.statusCallbackUrl } : {}),
        }));
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

/** The abort signal of the send making the current request, if it has one. */
const callSignal = new AsyncLocalStorage<AbortSignal | undefined>();

/**
 * Twilio's HTTP client with a hard deadline on every request (its own `timeout` is
 * a socket idle timeout, which a trickling answer never trips), aborted also with
 * the send's own signal; sending to another base address when one is configured.
 */
function boundedClient(apiUrl: string, timeoutMs: number): InstanceType<typeof twilio.RequestClient> {
  const client = new twilio.RequestClient({ timeout: timeoutMs });
  client.axios.interceptors.request.use((config) => {
    const signal = callSignal.getStore();
    config.signal = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    return config;
  });
  if (apiUrl === 'https://api.twilio.com') return client;
  const base = apiUrl.replace(/\/$/, '');
  const request = client.request.bind(client);
  client.request = (options) => request({ ...options, uri: options.uri.replace(/^https:\/\/api\.twilio\.com/, base) });
  return client;
}
