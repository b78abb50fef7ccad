/**
 * How Steward sends, as the send activities see it: who the messages are from,
 * where links point, the send window and caps, and the SMS provider. Built from
 * the configuration at start-up; a test builds its own.
 */
import type { Config } from '../config.ts';
import { parseCap, type FrequencyCap } from './caps.ts';
import { parseSendWindow, type SendWindow } from './window.ts';
import { createTwilioSender, type SmsSender } from '../sms/twilio.ts';
import { receiptSettings, type ReceiptSettings } from '../receipts/settings.ts';
import type { EngagementTracking } from '../engagement/tracked-links.ts';

export interface MessagingSettings {
  /** Base of the links in messages (unsubscribe) and of Twilio's callbacks. */
  publicUrl: string;
  /** Key that signs unsubscribe links and tracked links. */
  signingSecret: string;
  /** What Steward learns from sent email: nothing, clicks, or clicks and opens. */
  engagementTracking: EngagementTracking;
  org: { name: string; address: string; website: string };
  /** For constituents whose own time zone is unknown. */
  defaultTimeZone: string;
  /** For phone numbers written without a country code. */
  phoneCountry: string;
  /** When messages may go out; null: at any hour. */
  window: SendWindow | null;
  caps: { email: FrequencyCap | null; sms: FrequencyCap | null };
  whenCapped: 'defer' | 'skip';
  /** Whether transactional email needs email consent (SMS always does). */
  transactionalConsent: 'not-required' | 'required';
  /** Where SMS goes; without one SMS steps are recorded as not sent. */
  sms?: SmsSender | undefined;
  /** How gifts are receipted; without it receipt templates are skipped. */
  receipts?: ReceiptSettings | undefined;
}

/** Settings with no window and no caps: every consented message goes out at once. */
export function unrestrictedMessaging(overrides: Partial<MessagingSettings> = {}): MessagingSettings {
  return {
    publicUrl: 'http://127.0.0.1:3000',
    signingSecret: 'steward-development-signing-secret-not-for-production',
    engagementTracking: 'off',
    org: { name: 'Steward', address: '1 Example Street, Springfield', website: '' },
    defaultTimeZone: 'UTC',
    phoneCountry: 'US',
    window: null,
    caps: { email: null, sms: null },
    whenCapped: 'defer',
    transactionalConsent: 'not-required',
    ...overrides,
  };
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export function messagingSettings(config: Config, signingSecret: string, publicUrl: string): MessagingSettings {
  const window = parseSendWindow(config.STEWARD_SEND_WINDOW, config.STEWARD_SEND_DAYS);
  if ('error' in window) throw new SettingsError(`STEWARD_SEND_WINDOW/STEWARD_SEND_DAYS: ${window.error}`);
  const cap = (variable: 'STEWARD_EMAIL_CAP' | 'STEWARD_SMS_CAP') => {
    const parsed = parseCap(config[variable]);
    if (parsed && 'error' in parsed) throw new SettingsError(`${variable}: ${parsed.error}`);
    return parsed;
  };
  const twilio =
    config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN
      ? createTwilioSender({
          accountSid: config.TWILIO_ACCOUNT_SID,
          authToken: config.TWILIO_AUTH_TOKEN,
          from: config.TWILIO_FROM,
          messagingServiceSid: config.TWILIO_MESSAGING_SERVICE_SID,
          apiUrl: config.TWILIO_API_URL,
          statusCallbackUrl: `${publicUrl}/webhooks/twilio/status`,
          limits: { concurrency: config.STEWARD_SMS_MAX_CONCURRENT, perSecond: config.STEWARD_SMS_RATE },
        })
      : undefined;
  return {
    publicUrl,
    signingSecret,
    engagementTracking: config.STEWARD_ENGAGEMENT_TRACKING,
    org: { name: config.STEWARD_ORG_NAME, address: config.STEWARD_ORG_ADDRESS, website: config.STEWARD_ORG_WEBSITE },
    defaultTimeZone: config.STEWARD_TIMEZONE,
    phoneCountry: config.STEWARD_PHONE_COUNTRY,
    window,
    caps: { email: cap('STEWARD_EMAIL_CAP'), sms: cap('STEWARD_SMS_CAP') },
    whenCapped: config.STEWARD_CAP_POLICY,
    transactionalConsent: config.STEWARD_TRANSACTIONAL_CONSENT,
    sms: twilio,
    receipts: receiptSettings(config),
  };
}
