/**
 * Email templates: pure functions from what an activity loaded to subject, text and
 * HTML. Each template names the data it needs, so a missing piece is an error
 * before anything is sent, never a blank in a donor's inbox.
 */
export interface EmailTemplateData {
  constituent: { firstName: string | null; lastName: string | null; locale: string | null; timezone?: string | null };
  /** The gift that enrolled the constituent. */
  gift?: { amount: string; currency: string } | undefined;
  /** The next ask from the ask ladder, in the donor's currency. */
  ask?: { amount: string; currency: string } | undefined;
  /** The registration that enrolled the constituent. */
  registration?: { program: string; startsAt: string | null } | undefined;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export class TemplateDataError extends Error {
  override name = 'TemplateDataError';
}

type EmailTemplate = (data: EmailTemplateData) => RenderedEmail;

/** An email of a subject and paragraphs, as plain text and as escaped HTML. */
function letter(subject: string, paragraphs: string[]): RenderedEmail {
  return {
    subject,
    text: paragraphs.join('\n\n') + '\n',
    html: `<!doctype html><html><body>${paragraphs.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}</body></html>`,
  };
}

const nameOf = (data: EmailTemplateData) => data.constituent.firstName ?? 'friend';
const SIGN_OFF = ['With gratitude,', 'The team'];

function need<T>(value: T | undefined, template: string, what: string): T {
  if (value === undefined) throw new TemplateDataError(`${template} needs ${what}`);
  return value;
}

function money(data: EmailTemplateData, amount: { amount: string; currency: string }): string {
  return formatMoney(amount.amount, amount.currency, data.constituent.locale);
}

function eventDate(data: EmailTemplateData, registration: { startsAt: string | null }): string {
  if (!registration.startsAt) return 'soon';
  return new Intl.DateTimeFormat(data.constituent.locale ?? 'en-US', {
    dateStyle: 'full',
    timeStyle: 'short',
    timeZone: data.constituent.timezone ?? 'UTC',
  }).format(new Date(registration.startsAt));
}

const templates: Record<string, EmailTemplate> = {
  'first-gift-thank-you': (data) => {
    const gift = need(data.gift, 'first-gift-thank-you', 'the gift that enrolled the donor');
    return letter(`Thank you for your gift, ${nameOf(data)}`, [
      `Dear ${nameOf(data)},`,
      `Thank you for your first gift of ${money(data, gift)}. Gifts like yours keep our work going, and we are so glad to have you with us.`,
      'In the coming weeks we will write to show you what your generosity makes possible.',
      ...SIGN_OFF,
    ]);
  },
  'new-donor-thanks': (data) => {
    const gift = need(data.gift, 'new-donor-thanks', 'the gift that enrolled the donor');
    return letter(`Welcome, ${nameOf(data)}, and thank you`, [
      `Dear ${nameOf(data)},`,
      `Your gift of ${money(data, gift)} has arrived, and it is already at work. Thank you for joining us.`,
      'Over the next few weeks we will share what your support makes possible, so you can see the difference you make.',
      ...SIGN_OFF,
    ]);
  },
  'new-donor-impact': (data) =>
    letter(`${nameOf(data)}, here is what your gift is doing`, [
      `Dear ${nameOf(data)},`,
      'A week ago you chose to help. This week, gifts like yours paid for meals, classes and care for people in our community.',
      'Thank you for being part of it. We will keep you posted.',
      ...SIGN_OFF,
    ]),
  'new-donor-second-ask': (data) => {
    const ask = need(data.ask, 'new-donor-second-ask', 'an ask amount');
    return letter(`Will you give again, ${nameOf(data)}?`, [
      `Dear ${nameOf(data)},`,
      'A month ago your first gift made a real difference. The need has not gone away, and neither has our gratitude.',
      `Would you consider a gift of ${money(data, ask)} today? Every gift goes straight to the work you have seen.`,
      ...SIGN_OFF,
    ]);
  },
  'event-confirmation': (data) => {
    const registration = need(data.registration, 'event-confirmation', 'the registration');
    return letter(`You are registered: ${registration.program}`, [
      `Dear ${nameOf(data)},`,
      `Thank you for registering for ${registration.program} on ${eventDate(data, registration)}. We have saved your place.`,
      'We will send you a reminder before the day. We look forward to seeing you.',
      ...SIGN_OFF,
    ]);
  },
  'event-reminder-week': (data) => {
    const registration = need(data.registration, 'event-reminder-week', 'the registration');
    return letter(`One week to go: ${registration.program}`, [
      `Dear ${nameOf(data)},`,
      `${registration.program} is one week away, on ${eventDate(data, registration)}. We are looking forward to seeing you.`,
      'If your plans have changed, just reply to this email so we can offer your place to someone else.',
      ...SIGN_OFF,
    ]);
  },
  'event-reminder-day': (data) => {
    const registration = need(data.registration, 'event-reminder-day', 'the registration');
    return letter(`See you tomorrow at ${registration.program}`, [
      `Dear ${nameOf(data)},`,
      `A friendly reminder: ${registration.program} is tomorrow, ${eventDate(data, registration)}.`,
      'See you there!',
      ...SIGN_OFF,
    ]);
  },
  'event-thank-you': (data) => {
    const registration = need(data.registration, 'event-thank-you', 'the registration');
    return letter(`Thank you for coming to ${registration.program}`, [
      `Dear ${nameOf(data)},`,
      `It was wonderful to see you at ${registration.program}. Thank you for spending your time with us.`,
      'We hope to see you again soon.',
      ...SIGN_OFF,
    ]);
  },
  'event-no-show': (data) => {
    const registration = need(data.registration, 'event-no-show', 'the registration');
    return letter(`We missed you at ${registration.program}`, [
      `Dear ${nameOf(data)},`,
      `We missed you at ${registration.program}. We hope all is well.`,
      'We would love to see you at a future event; we will let you know when the next one is announced.',
      ...SIGN_OFF,
    ]);
  },
  'winback-we-miss-you': (data) => {
    const ask = need(data.ask, 'winback-we-miss-you', 'an ask amount');
    return letter(`We miss you, ${nameOf(data)}`, [
      `Dear ${nameOf(data)},`,
      'It has been a while since we heard from you, and we wanted to say: your past support made a real difference.',
      `If you are able, a gift of ${money(data, ask)} would help us keep going this season.`,
      ...SIGN_OFF,
    ]);
  },
  'winback-last-chance': (data) =>
    letter(`${nameOf(data)}, one last note from us`, [
      `Dear ${nameOf(data)},`,
      'We have written a few times because your support has meant so much. This is our last note for now.',
      'Whenever you are ready to give again, we will be here. Thank you for everything you have done.',
      ...SIGN_OFF,
    ]),
  'recurring-gift-failed': (data) =>
    letter('Your monthly gift did not go through', [
      `Dear ${nameOf(data)},`,
      'Your monthly gift did not go through this time. This usually means a card has expired or been replaced.',
      'Could you take a minute to update your payment details? Your monthly support is one of the most reliable ways we have to plan our work.',
      'Thank you,',
      'The team',
    ]),
  'recurring-gift-failed-reminder': (data) =>
    letter('A quick reminder about your monthly gift', [
      `Dear ${nameOf(data)},`,
      'A few days ago we let you know your monthly gift did not go through. If you have a moment, please update your payment details.',
      'If you would rather pause or change your gift, just reply: we are happy to help.',
      'Thank you,',
      'The team',
    ]),
  'major-gift-thanks': (data) => {
    const gift = need(data.gift, 'major-gift-thanks', 'the gift that enrolled the donor');
    return letter(`${nameOf(data)}, thank you for your extraordinary gift`, [
      `Dear ${nameOf(data)},`,
      `Your gift of ${money(data, gift)} is extraordinary, and we are deeply grateful.`,
      'Someone from our team will be in touch personally in the next couple of days to thank you and to hear what matters most to you.',
      ...SIGN_OFF,
    ]);
  },
  'major-gift-follow-up': (data) =>
    letter(`Following up, ${nameOf(data)}`, [
      `Dear ${nameOf(data)},`,
      'Thank you again for your generous support. We would love to show you the work your gift is making possible.',
      'If you would like a visit or a call with our director, simply reply to this email and we will arrange it.',
      ...SIGN_OFF,
    ]),
};

export const emailTemplateNames: readonly string[] = Object.keys(templates);

export function hasEmailTemplate(name: string): boolean {
  return Object.hasOwn(templates, name);
}

/** Renders a named template; throws for an unknown name or missing data. */
export function renderEmail(name: string, data: EmailTemplateData): RenderedEmail {
  const template = Object.hasOwn(templates, name) ? templates[name] : undefined;
  if (!template) throw new TemplateDataError(`Unknown email template "${name}"`);
  return template(data);
}

export function formatMoney(amount: string, currency: string, locale: string | null): string {
  return new Intl.NumberFormat(locale ?? 'en-US', { style: 'currency', currency }).format(Number(amount));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
