/** Templates in the constituent's language: which variant, formatted how, and which variant files are refused. */
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { loadTemplateLibrary, renderEmail, renderSms, templateLibrary, TemplateSourceError, TEMPLATES_DIR } from '../../src/templates/library.ts';
import { canonicalLocale, formattingLocale, LocaleCode, localeFallbacks, resolveTemplateLocale } from '../../src/templates/locales.ts';
import { sampleData } from '../../src/templates/sample.ts';

const library = templateLibrary();

describe('the fallback chain', () => {
  it.each([
    ['fr-CA', ['fr-CA', 'fr']],
    ['fr-ca', ['fr-CA', 'fr']],
    ['fr', ['fr']],
    ['zh-Hant-TW', ['zh-Hant-TW', 'zh-Hant', 'zh']],
    ['de-DE-u-nu-latn', ['de-DE', 'de']],
    ['en_US', []],
    ['not a locale', []],
    ['', []],
    [null, []],
  ])('%s looks for %j', (tag, chain) => {
    expect(localeFallbacks(tag)).toEqual(chain);
  });

  it('reads a tag Intl cannot use as en-US for formatting', () => {
    expect(formattingLocale('fr-FR')).toBe('fr-FR');
    expect(formattingLocale('xx_YY')).toBe('en-US');
    expect(formattingLocale(undefined)).toBe('en-US');
    expect(canonicalLocale('PT-br')).toBe('pt-BR');
  });

  it('says what is wrong with a locale code', () => {
    const parsed = LocaleCode.safeParse('fr_FR');
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('"fr_FR" is not a valid BCP 47 locale code (e.g. fr, fr-CA, pt-BR)');
  });
});

describe('choosing a template by locale', () => {
  it.each([
    ['fr-FR', 'fr'],
    ['fr-CA', 'fr'],
    ['fr', 'fr'],
    ['en-US', null],
    ['de-DE', null],
    ['garbage_tag', null],
  ])('a constituent in %s gets the %s variant of the first-gift thank-you', (locale, expected) => {
    const resolved = resolveTemplateLocale(library, 'email', 'first-gift-thank-you', locale);
    expect(resolved?.locale).toBe(expected);
    expect(resolved?.template.locale).toBe(expected);
  });

  it('resolves each template and locale once, and knows no template it does not have', () => {
    const first = resolveTemplateLocale(library, 'email', 'new-donor-thanks', 'fr-BE');
    expect(resolveTemplateLocale(library, 'email', 'new-donor-thanks', 'fr-BE')).toBe(first);
    expect(resolveTemplateLocale(library, 'email', 'no-such-template', 'fr')).toBeUndefined();
    expect(resolveTemplateLocale(library, 'sms', 'first-gift-thank-you', 'fr')).toBeUndefined();
  });

  it('prefers the most specific variant the library has', async () => {
    const dir = await copyOfShippedTemplates();
    await writeFile(
      path.join(dir, 'email', 'first-gift-thank-you.fr-CA.yaml'),
      'subject: "Merci du fond du cœur, {{ constituent.firstName }}"\ntext: "Votre don de {{ gift.amount | money: gift.currency }}."\n',
    );
    const local = loadTemplateLibrary(dir);
    expect(resolveTemplateLocale(local, 'email', 'first-gift-thank-you', 'fr-CA')?.locale).toBe('fr-CA');
    expect(resolveTemplateLocale(local, 'email', 'first-gift-thank-you', 'fr-FR')?.locale).toBe('fr');
    const rendered = renderEmail(local, 'first-gift-thank-you', sampleData({ constituent: { locale: 'fr-CA' }, gift: { amount: '1234.5', currency: 'CAD' } }));
    expect(rendered.subject).toBe('Merci du fond du cœur, Ada');
    expect(rendered.text).toContain('Votre don de 1\u00a0234,50\u00a0$.');
  });

  it('ships French thank-yous, with the layout in French too', () => {
    for (const name of ['first-gift-thank-you', 'new-donor-thanks', 'major-gift-thanks', 'event-thank-you']) {
      expect(library.email.get(name)?.locales.has('fr'), name).toBe(true);
    }
    expect(library.layout.text.locales.has('fr')).toBe(true);
    expect(library.layout.html.locales.has('fr')).toBe(true);
  });
});

describe('formatting in the constituent’s locale', () => {
  const french = sampleData({ constituent: { firstName: 'Aurore', locale: 'fr-FR', timezone: 'Europe/Paris' }, gift: { amount: '1234.5', currency: 'EUR' } });

  it('sends a fr-FR donor the French thank-you with French money', () => {
    const email = renderEmail(library, 'first-gift-thank-you', french);
    expect(email.locale).toBe('fr');
    expect(email.subject).toBe('Merci pour votre don, Aurore');
    // fr-FR groups with a narrow no-break space and puts the euro after a no-break space.
    expect(email.text).toContain('premier don de 1\u202f234,50\u00a0€');
    expect(email.html).toContain('<strong>1\u202f234,50\u00a0€</strong>');
    expect(email.html).toContain('<html lang="fr">');
    expect(email.text).toContain('Se désabonner : https://example.org/u/sample-token');
    expect(email.text).not.toContain('Unsubscribe');
  });

  it('keeps English for a locale without a variant, formatted in that locale', () => {
    const email = renderEmail(library, 'first-gift-thank-you', sampleData({ constituent: { locale: 'de-DE' }, gift: { amount: '1234.5', currency: 'EUR' } }));
    expect(email.locale).toBeNull();
    expect(email.subject).toBe('Thank you for your gift, Ada');
    expect(email.text).toContain('1.234,50\u00a0€');
  });

  it('formats numbers and dates in the locale (number and localdate filters)', async () => {
    const dir = await copyOfShippedTemplates();
    await writeFile(
      path.join(dir, 'email', 'numbers.yaml'),
      'subject: "{{ event.amount | number }}"\ntext: "{{ registration.startsAt | localdate: \'date\' }}"\n',
    );
    const local = loadTemplateLibrary(dir);
    const data = (locale: string) =>
      sampleData({ constituent: { locale, timezone: 'Europe/Paris' }, event: { type: 'donation', amount: 12345.6 }, registration: { startsAt: '2027-04-17T23:00:00Z' } });
    expect(renderEmail(local, 'numbers', data('fr-FR')).subject).toBe('12\u202f345,6');
    expect(renderEmail(local, 'numbers', data('en-US')).subject).toBe('12,345.6');
    expect(renderEmail(local, 'numbers', data('fr-FR')).text).toContain('18 avril 2027');
    expect(renderEmail(local, 'numbers', data('en-US')).text).toContain('April 18, 2027');
  });

  it('picks SMS variants the same way', async () => {
    const dir = await copyOfShippedTemplates();
    await writeFile(path.join(dir, 'sms', 'winback-sms.fr.liquid'), '{{ org.name }} : vous nous manquez. STOP pour ne plus recevoir.');
    const local = loadTemplateLibrary(dir);
    expect(renderSms(local, 'winback-sms', sampleData({ constituent: { locale: 'fr-CA' } }))).toMatchObject({ locale: 'fr', body: 'Steward : vous nous manquez. STOP pour ne plus recevoir.' });
    expect(renderSms(local, 'winback-sms', sampleData()).locale).toBeNull();
  });
});

describe('refusing variant files, with file and line', () => {
  it.each([
    [
      'a variable the default does not use',
      'first-gift-thank-you.fr-CA.yaml',
      'subject: "Merci"\ntext: |\n  Bonjour {{ constituent.firstName }},\n\n  Votre don du {{ event.occurredAt | localdate }}.\n',
      { line: 5, message: 'uses "event.occurredAt", which the default template does not; a locale variant may use only the default\'s variables' },
    ],
    [
      'a locale code that is not BCP 47',
      'first-gift-thank-you.fr_FR.yaml',
      'subject: "Merci"\ntext: "Bonjour"\n',
      { line: 1, message: '"fr_FR" is not a valid BCP 47 locale code (e.g. fr, fr-CA, pt-BR) in the file name' },
    ],
    [
      'a class of its own',
      'first-gift-thank-you.de.yaml',
      'subject: "Danke"\nclass: marketing\ntext: "Hallo"\n',
      { line: 2, message: 'unknown field "class" (expected subject, text, html); a de variant takes its class from the default template' },
    ],
    [
      'no default to translate',
      'no-such-default.fr.yaml',
      'subject: "Merci"\ntext: "Bonjour"\n',
      { line: 1, message: 'a fr variant of "no-such-default", which has no default no-such-default.yaml' },
    ],
  ])('%s', async (_what, file, source, problem) => {
    const dir = await copyOfShippedTemplates();
    await writeFile(path.join(dir, 'email', file), source);
    expect(problemsLoading(dir)).toContainEqual({ file: `email/${file}`, ...problem });
  });

  it('refuses an SMS or layout variant that uses more than its default', async () => {
    const dir = await copyOfShippedTemplates();
    await writeFile(path.join(dir, 'sms', 'winback-sms.fr.liquid'), 'Bonjour\n{{ constituent.lastName }}');
    await writeFile(path.join(dir, 'email', '_layout.text.es.liquid'), '{{ content }}\n{{ org.website }}\n{{ journey.name }}');
    const problems = problemsLoading(dir);
    expect(problems).toContainEqual({ file: 'sms/winback-sms.fr.liquid', line: 2, message: expect.stringContaining('uses "constituent.lastName"') });
    expect(problems).toContainEqual({ file: 'email/_layout.text.es.liquid', line: 2, message: expect.stringContaining('uses "org.website"') });
    expect(problems).toContainEqual({ file: 'email/_layout.text.es.liquid', line: 3, message: expect.stringContaining('uses "journey.name"') });
  });
});

describe('previewing a locale from the command line', () => {
  it('renders the French variant with --locale, and refuses a bad code', async () => {
    const out = collect();
    expect(await main(['templates', 'preview', 'first-gift-thank-you', '--locale', 'fr-CA', '--sample', '{"gift":{"amount":"50","currency":"CAD"}}'], out.output)).toBe(0);
    expect(out.stdout()).toContain('Subject: Merci pour votre don, Ada');
    expect(out.stdout()).toContain('50,00\u00a0$');
    expect(out.stdout()).toContain('Locale: fr (asked for fr-CA)');
    const bad = collect();
    expect(await main(['templates', 'preview', 'first-gift-thank-you', '--locale', 'fr_CA'], bad.output)).toBe(1);
    expect(bad.stderr()).toContain('--locale: "fr_CA" is not a valid BCP 47 locale code');
  });

  it('lists each template’s locales', async () => {
    const out = collect();
    expect(await main(['templates', 'list'], out.output)).toBe(0);
    expect(out.stdout()).toMatch(/email first-gift-thank-you\s+\[fr\]/);
  });
});

async function copyOfShippedTemplates(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'steward-locales-'));
  await cp(TEMPLATES_DIR, dir, { recursive: true });
  return dir;
}

function problemsLoading(dir: string) {
  try {
    loadTemplateLibrary(dir);
  } catch (error) {
    if (!(error instanceof TemplateSourceError)) throw error;
    return error.problems.map((problem) => ({ ...problem, file: path.relative(dir, problem.file) }));
  }
  throw new Error('the library loaded without problems');
}

function collect() {
  let stdout = '';
  let stderr = '';
  const output = {
    out: { write: (text: string) => ((stdout += text), true) },
    err: { write: (text: string) => ((stderr += text), true) },
  };
  return { output: output as never, stdout: () => stdout, stderr: () => stderr };
}
