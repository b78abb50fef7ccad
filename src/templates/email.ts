/**
 * Email templates: pure functions from what an activity loaded to subject, text and
 * HTML. Each template names the data it needs, so a missing piece is an error
 * before anything is sent, never a blank in a donor's inbox.
 */
export interface EmailTemplateData {
  constituent: { firstName: string | null; lastName: string | null; locale: string | null };
  gift?: { amount: string; currency: string } | undefined;
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

const templates: Record<string, EmailTemplate> = {
  'first-gift-thank-you': ({ constituent, gift }) => {
    if (!gift) throw new TemplateDataError('first-gift-thank-you needs the gift that enrolled the donor');
    const name = constituent.firstName ?? 'friend';
    const amount = formatMoney(gift.amount, gift.currency, constituent.locale);
    const lines = [
      `Dear ${name},`,
      `Thank you for your first gift of ${amount}. Gifts like yours keep our work going, and we are so glad to have you with us.`,
      'In the coming weeks we will write to show you what your generosity makes possible.',
      'With gratitude,',
      'The team',
    ];
    return {
      subject: `Thank you for your gift, ${name}`,
      text: lines.join('\n\n') + '\n',
      html: `<!doctype html><html><body>${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}</body></html>`,
    };
  },
};

export function hasEmailTemplate(name: string): boolean {
  return Object.hasOwn(templates, name);
}

/** Renders a named template; throws for an unknown name or missing data. */
export function renderEmail(name: string, data: EmailTemplateData): RenderedEmail {
  const template = templates[name];
  if (!template) throw new TemplateDataError(`Unknown email template "${name}"`);
  return template(data);
}

export function formatMoney(amount: string, currency: string, locale: string | null): string {
  return new Intl.NumberFormat(locale ?? 'en-US', { style: 'currency', currency }).format(Number(amount));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
