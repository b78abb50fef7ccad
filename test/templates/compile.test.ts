/** Templates written in the app: compiled as the files are, every problem at its part, line and column. */
import { describe, expect, it } from 'vitest';
import { compileTemplate, libraryWith } from '../../src/templates/compile.ts';
import { renderEmail, renderSms, templateLibrary } from '../../src/templates/library.ts';
import { sampleData } from '../../src/templates/sample.ts';

describe('compiling a template written in the app', () => {
  it('compiles a good email and renders it inside the shipped layout', () => {
    const result = compileTemplate('email', 'spring-thanks', { subject: 'Thanks, {{ constituent.firstName }}', text: 'Dear {{ constituent.firstName }},\n\nThank you.' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const email = renderEmail(libraryWith(templateLibrary(), result.template), 'spring-thanks', sampleData({ constituent: { firstName: 'Zoë' } }));
    expect(email.subject).toBe('Thanks, Zoë');
    expect(email.text).toContain('Dear Zoë,');
    // The layout's footer: the organisation's address and the unsubscribe link.
    expect(email.html).toContain('1 Example Street');
    expect(email.text).toContain('Unsubscribe:');
  });

  it.each([
    ['an unclosed tag in the HTML', { subject: 'Hi', text: 'Hello', html: '<p>Hi</p>\n<p>\n{% if gift %}thanks</p>' }, { field: 'html', line: 3, message: /tag \{% if gift %\} not closed/ }],
    ['an unknown filter in the text', { subject: 'Hi', text: 'line one\nline two\n  {{ gift.amount | dollars }}' }, { field: 'text', line: 3, column: 3, message: /undefined filter: dollars/ }],
    ['an output not closed in the subject', { subject: 'Hi {{ constituent.firstName', text: 'x' }, { field: 'subject', line: 1, message: /output .* not closed/ }],
    ['a variable no journey supplies', { subject: 'Hi', text: 'one\ntwo {{ gift.amont }}' }, { field: 'text', line: 2, column: 8, message: 'uses unknown variable "gift.amont"' }],
    ['a variable an SMS does not have', { text: 'Stop: {{ links.unsubscribe }}' }, { field: 'text', line: 1, column: 10, message: /an SMS does not have/ }],
    ['an email without a subject', { subject: '  ', text: 'x' }, { field: 'subject', line: 1, message: 'an email needs a subject' }],
  ])('places %s at its part and line', (_case, source, expected) => {
    const channel = 'subject' in source ? 'email' : 'sms';
    const result = compileTemplate(channel, 'broken', source);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toContainEqual(expect.objectContaining({ ...expected, message: expected.message instanceof RegExp ? expect.stringMatching(expected.message) : expected.message }));
  });

  it('refuses what the journeys that send it cannot supply: a gift in a registration journey', () => {
    const source = { subject: 'See you', text: 'Thanks for {{ gift.amount }}' };
    expect(compileTemplate('email', 'see-you', source).ok).toBe(true);
    const result = compileTemplate('email', 'see-you', source, {}, 'registration');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatchObject({ field: 'text', line: 1, message: expect.stringContaining('only journeys triggered by a donation') });
  });
});

describe('SMS segments and encoding', () => {
  const render = (text: string) => {
    const result = compileTemplate('sms', 'count', { text });
    if (!result.ok) throw new Error(result.problems[0]!.message);
    return renderSms(libraryWith(templateLibrary(), result.template), 'count', sampleData());
  };

  it.each([
    ['160 GSM-7 characters: one segment', 'a'.repeat(160), 'GSM-7', 1],
    ['161 GSM-7 characters: two of 153', 'a'.repeat(161), 'GSM-7', 2],
    ['306 GSM-7 characters: two; 307: three', 'a'.repeat(307), 'GSM-7', 3],
    ['the euro sign takes two septets: 80 of them fill one segment', '€'.repeat(80), 'GSM-7', 1],
    ['81 euro signs overflow it', '€'.repeat(81), 'GSM-7', 2],
    ['one emoji makes the whole message UCS-2', `${'a'.repeat(60)} 🎉`, 'UCS-2', 1],
    ['71 UCS-2 units: two segments of 67', `${'a'.repeat(69)}🎉`, 'UCS-2', 2],
    ['a name with a Polish letter is UCS-2 too', 'Dziękujemy, {{ constituent.firstName }}!', 'UCS-2', 1],
  ])('%s', (_case, text, encoding, segments) => {
    expect(render(text)).toMatchObject({ encoding, segments });
  });
});
