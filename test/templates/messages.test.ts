/** Email and SMS templates: the right words for the right person, escaped, and never a blank. */
import { describe, expect, it } from 'vitest';
import { emailTemplateNames, renderEmail, TemplateDataError, type EmailTemplateData } from '../../src/templates/email.ts';
import { countSegments, renderSms, smsTemplateNames } from '../../src/templates/sms.ts';

const sample: EmailTemplateData = {
  constituent: { firstName: 'Ada', lastName: 'Lovelace', locale: 'en-GB', timezone: 'Europe/London' },
  gift: { amount: '25.00', currency: 'GBP' },
  ask: { amount: '40', currency: 'GBP' },
  registration: { program: 'Spring gala', startsAt: '2026-03-20T18:00:00Z' },
};

describe('email templates', () => {
  it.each(emailTemplateNames)('%s renders a subject, text and HTML addressed to the constituent', (name) => {
    const email = renderEmail(name, sample);
    expect(email.subject.length).toBeGreaterThan(5);
    expect(email.text).toContain('Dear Ada,');
    expect(email.html).toContain('<p>Dear Ada,</p>');
  });

  it('speaks of the gift, the ask and the event in the constituent\'s own format', () => {
    expect(renderEmail('new-donor-thanks', sample).text).toContain('£25.00');
    expect(renderEmail('new-donor-second-ask', sample).text).toContain('£40.00');
    expect(renderEmail('event-confirmation', sample).text).toContain('Spring gala on Friday, 20 March 2026 at 18:00');
  });

  it('escapes what a constituent typed', () => {
    const email = renderEmail('new-donor-impact', { ...sample, constituent: { ...sample.constituent, firstName: '<script>x</script>' } });
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&#60;script&#62;');
  });

  it('refuses to send without the data a template needs, naming it', () => {
    expect(() => renderEmail('new-donor-second-ask', { constituent: sample.constituent })).toThrow(new TemplateDataError('new-donor-second-ask needs an ask amount'));
    expect(() => renderEmail('event-reminder-day', { constituent: sample.constituent })).toThrow(/needs the registration/);
    expect(() => renderEmail('no-such-template', sample)).toThrow(/Unknown email template "no-such-template"/);
  });
});

describe('SMS templates', () => {
  it.each(smsTemplateNames)('%s fits one segment and says how to opt out', (name) => {
    const sms = renderSms(name, { constituent: { firstName: 'Ada' }, registration: { program: 'Spring gala' } });
    expect(sms.body).toContain('Reply STOP to opt out.');
    expect(sms).toMatchObject({ encoding: 'GSM-7', segments: 1 });
  });

  it('counts segments as carriers do', () => {
    expect(countSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1 });
    expect(countSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', segments: 2 });
    expect(countSegments('a'.repeat(306))).toEqual({ encoding: 'GSM-7', segments: 2 });
    expect(countSegments('a'.repeat(307))).toEqual({ encoding: 'GSM-7', segments: 3 });
    // Extension characters take two septets each.
    expect(countSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1 });
    expect(countSegments('€'.repeat(81))).toEqual({ encoding: 'GSM-7', segments: 2 });
    // One emoji switches the whole message to UCS-2, where it takes two units.
    expect(countSegments(`${'a'.repeat(68)}🙂`)).toEqual({ encoding: 'UCS-2', segments: 1 });
    expect(countSegments(`${'a'.repeat(69)}🙂`)).toEqual({ encoding: 'UCS-2', segments: 2 });
  });
});
