/**
 * SMS templates, and how many segments each message costs. Carriers bill and
 * split by segment: 160 characters of the GSM-7 alphabet (153 each once split),
 * or 70 (67) as soon as one character needs UCS-2, such as an emoji.
 */
export interface SmsTemplateData {
  constituent: { firstName: string | null };
  registration?: { program: string } | undefined;
}

export interface RenderedSms {
  body: string;
  segments: number;
  encoding: 'GSM-7' | 'UCS-2';
}

const OPT_OUT = 'Reply STOP to opt out.';

const templates: Record<string, (data: SmsTemplateData) => string> = {
  'event-reminder-day-sms': (data) => {
    if (!data.registration) throw new Error('event-reminder-day-sms needs the registration');
    return `Hi ${data.constituent.firstName ?? 'there'}, see you tomorrow at ${data.registration.program}! ${OPT_OUT}`;
  },
  'winback-sms': (data) => `Hi ${data.constituent.firstName ?? 'there'}, we miss you! Your support made a real difference. ${OPT_OUT}`,
  'recurring-gift-failed-sms': (data) =>
    `Hi ${data.constituent.firstName ?? 'there'}, your monthly gift did not go through. Please check your email to update your card. ${OPT_OUT}`,
};

export const smsTemplateNames: readonly string[] = Object.keys(templates);

export function hasSmsTemplate(name: string): boolean {
  return Object.hasOwn(templates, name);
}

export function renderSms(name: string, data: SmsTemplateData): RenderedSms {
  const template = Object.hasOwn(templates, name) ? templates[name] : undefined;
  if (!template) throw new Error(`Unknown SMS template "${name}"`);
  const body = template(data);
  return { body, ...countSegments(body) };
}

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** Characters of the GSM-7 extension table: each takes two septets (an escape and the character). */
const GSM_EXTENSION = '\f^{}\\[~]|€';

export function countSegments(body: string): Omit<RenderedSms, 'body'> {
  let septets = 0;
  for (const char of body) {
    if (GSM_BASIC.includes(char)) septets += 1;
    else if (GSM_EXTENSION.includes(char)) septets += 2;
    else return ucs2Segments(body);
  }
  return { encoding: 'GSM-7', segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
}

function ucs2Segments(body: string): Omit<RenderedSms, 'body'> {
  // UCS-2 counts 16-bit units: an emoji outside the basic plane takes two.
  const units = body.length;
  return { encoding: 'UCS-2', segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}
