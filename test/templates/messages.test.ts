/** Message templates in Liquid: the right words for the right person, escaped, and never a blank. */
import { mkdtemp, cp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateJourney } from '../../src/journeys/validate.ts';
import { productCatalog } from '../../src/journeys/catalog.ts';
import { main } from '../../src/cli/main.ts';
import {
  checkTemplate,
  loadTemplateLibrary,
  renderEmail,
  renderSms,
  templateLibrary,
  TemplateRenderError,
  TemplateSourceError,
  TEMPLATES_DIR,
} from '../../src/templates/library.ts';
import { sampleData } from '../../src/templates/sample.ts';
import { countSegments } from '../../src/templates/sms.ts';

const library = templateLibrary();
const sample = sampleData({
  constituent: { firstName: 'Ada', locale: 'en-GB', timezone: 'Europe/London' },
  gift: { amount: '25.00', currency: 'GBP' },
  ask: { amount: '40', currency: 'GBP' },
  registration: { program: 'Spring gala', startsAt: '2026-03-20T18:00:00Z' },
  links: { unsubscribe: 'https://steward.example/u/token-123', preferences: 'https://steward.example/p/token-123' },
});

describe('email templates', () => {
  it.each([...library.email.keys()])('%s renders a subject, text and HTML addressed to the constituent, with the unsubscribe link', (name) => {
    const email = renderEmail(library, name, sample);
    expect(email.subject.length).toBeGreaterThan(5);
    expect(email.subject).not.toContain('\n');
    expect(email.text).toMatch(/Ada/);
    expect(email.html).toMatch(/Ada/);
    expect(email.text).toContain('Unsubscribe: https://steward.example/u/token-123');
    expect(email.html).toContain('href="https://steward.example/u/token-123"');
    expect(email.html).toContain('1 Example Street');
  });

  it("speaks of the gift, the ask and the event in the constituent's own format", () => {
    expect(renderEmail(library, 'new-donor-thanks', sample).text).toContain('£25.00');
    expect(renderEmail(library, 'new-donor-second-ask', sample).html).toContain('<strong>£40.00</strong>');
    expect(renderEmail(library, 'event-confirmation', sample).text).toContain('Spring gala on Friday, 20 March 2026 at 18:00');
    const french = sampleData({ constituent: { locale: 'fr-FR', timezone: 'Europe/Paris' }, gift: { amount: '1234.5', currency: 'EUR' } });
    expect(renderEmail(library, 'new-donor-thanks', french).text).toContain('1\u202f234,50\u00a0€');
  });

  it('escapes what a constituent typed in HTML, and leaves plain text plain', () => {
    const email = renderEmail(library, 'new-donor-impact', sampleData({ constituent: { firstName: '<script>x</script> & co' } }));
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&#60;script&#62;x&#60;/script&#62; &#38; co');
    expect(email.text).toContain('<script>x</script> & co');
  });

  it('refuses to render without the data a template uses, naming it', () => {
    expect(() => renderEmail(library, 'new-donor-thanks', sampleData({ gift: null }))).toThrow(TemplateRenderError);
    expect(() => renderEmail(library, 'new-donor-thanks', sampleData({ gift: null }))).toThrow(/new-donor-thanks.*undefined variable: gift/);
    expect(() => renderEmail(library, 'no-such-template', sample)).toThrow(/Unknown email template "no-such-template"/);
  });
});

describe('SMS templates', () => {
  it.each([...library.sms.keys()])('%s fits one segment and says how to opt out', (name) => {
    const sms = renderSms(library, name, sample);
    expect(sms.body).toContain('Reply STOP to opt out.');
    expect(sms).toMatchObject({ encoding: 'GSM-7', segments: 1 });
  });

  it('counts segments as carriers do', () => {
    expect(countSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1 });
    expect(countSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', segments: 2 });
    expect(countSegments('a'.repeat(306))).toEqual({ encoding: 'GSM-7', segments: 2 });
    expect(countSegments('a'.repeat(307))).toEqual({ encoding: 'GSM-7', segments: 3 });
    expect(countSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1 });
    expect(countSegments('€'.repeat(81))).toEqual({ encoding: 'GSM-7', segments: 2 });
    expect(countSegments(`${'a'.repeat(68)}🙂`)).toEqual({ encoding: 'UCS-2', segments: 1 });
    expect(countSegments(`${'a'.repeat(69)}🙂`)).toEqual({ encoding: 'UCS-2', segments: 2 });
  });

  it('reports the segments a long or emoji-bearing message costs', () => {
    const long = renderSms(library, 'recurring-gift-failed-sms', sampleData({ org: { name: 'The Very Long Named Community Foundation of Greater Springfield 🙂' } }));
    expect(long.encoding).toBe('UCS-2');
    expect(long.segments).toBeGreaterThan(1);
  });
});

describe('checking templates before anything is sent', () => {
  const journey = (trigger: string, template: string, channel = 'email') => ({
    id: 'check',
    name: 'Check',
    trigger: { event: trigger },
    initial: 'send',
    states: { send: { entry: [{ do: channel, template }], after: [{ delay: '1d', to: 'done' }] }, done: { final: true } },
  });

  it('refuses a journey whose template uses what its trigger cannot supply, at the template path', () => {
    const result = validateJourney(journey('registration', 'new-donor-thanks'), productCatalog());
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toContainEqual({
      severity: 'error',
      path: ['states', 'send', 'entry', 0, 'template'],
      message: 'template "new-donor-thanks" uses "gift.amount", which only journeys triggered by a donation have (this one is triggered by a registration)',
    });
    expect(validateJourney(journey('donation', 'new-donor-thanks'), productCatalog()).ok).toBe(true);
  });

  it('finds unknown variables, unknown filters and syntax errors when the templates load, with file and line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'steward-templates-'));
    await cp(TEMPLATES_DIR, dir, { recursive: true });
    await writeFile(
      path.join(dir, 'email', 'broken.yaml'),
      'subject: "Hi {{ constituent.frstName }}"\ntext: |\n  Dear friend,\n\n  {{ gift.amount | monee: gift.currency }}\n',
    );
    await writeFile(path.join(dir, 'sms', 'broken-sms.liquid'), 'Hi {% if constituent.firstName %}{{ constituent.firstName }}\n');
    let error: unknown;
    try {
      loadTemplateLibrary(dir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TemplateSourceError);
    const problems = (error as TemplateSourceError).problems.map((problem) => ({ ...problem, file: path.relative(dir, problem.file) }));
    expect(problems).toContainEqual({ file: 'email/broken.yaml', line: 5, message: 'undefined filter: monee' });
    expect(problems).toContainEqual({ file: 'sms/broken-sms.liquid', line: 1, message: expect.stringMatching(/not closed/) });
    // The filter error stops parsing that part; the unknown variable in the subject is still found.
    expect(problems).toContainEqual({ file: 'email/broken.yaml', line: 1, message: 'template "broken" uses unknown variable "constituent.frstName"' });
  });

  it('keeps signed links out of SMS', () => {
    expect(checkTemplate(library, 'sms', 'winback-sms')).toEqual([]);
    expect(checkTemplate(library, 'email', 'winback-we-miss-you', 'drop-off')).toEqual([]);
    expect(checkTemplate(library, 'email', 'nope')).toEqual(['unknown email template "nope"']);
  });
});

describe('steward templates preview', () => {
  const run = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(args, { out: { write: (text: string) => (out += text) }, err: { write: (text: string) => (err += text) } }, {});
    return { code, out, err };
  };

  it('renders an email with sample data merged over the default donor', async () => {
    const result = await run('templates', 'preview', 'new-donor-thanks', '--sample', '{"constituent":{"firstName":"Bo"},"gift":{"amount":"12","currency":"CAD"}}');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^Subject: Welcome, Bo, and thank you\n/);
    expect(result.out).toContain('Your gift of CA$12.00 has arrived');
  });

  it('reports SMS segments', async () => {
    const result = await run('templates', 'preview', 'winback-sms');
    expect(result.out).toMatch(/GSM-7, 1 segment\n$/);
  });

  it('says what is wrong with the sample or the data', async () => {
    expect(await run('templates', 'preview', 'new-donor-thanks', '--sample', '{nope')).toMatchObject({ code: 1, err: expect.stringMatching(/--sample is not valid JSON/) });
    expect(await run('templates', 'preview', 'new-donor-thanks', '--sample', '{"gift":null}')).toMatchObject({ code: 1, err: expect.stringMatching(/undefined variable: gift/) });
    expect(await run('templates', 'preview', 'nope')).toMatchObject({ code: 1, err: expect.stringMatching(/no template "nope"/) });
  });
});
