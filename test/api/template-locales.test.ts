/** Previewing a template over HTTP as a constituent in a given locale gets it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWithoutTemporal, type ApiWithoutTemporal } from '../support/api-without-temporal.ts';
import { injectWithKey, makeKey } from '../support/api.ts';

let started: ApiWithoutTemporal;
let reader: ReturnType<typeof injectWithKey>;

beforeAll(async () => {
  started = await startApiWithoutTemporal();
  reader = injectWithKey(started.api, await makeKey(started.services.keys, ['read']));
});
afterAll(async () => started?.stop());

describe('template previews by locale', () => {
  it('renders the French variant for ?locale=fr-CA, formatted in that locale', async () => {
    const response = await reader({ method: 'POST', url: '/templates/email/first-gift-thank-you/preview?locale=fr-CA', payload: { gift: { amount: '1234.5', currency: 'CAD' } } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ locale: 'fr', subject: 'Merci pour votre don, Ada' });
    expect(response.json().text).toContain('1\u00a0234,50\u00a0$');
  });

  it('renders the default without a locale, and for a locale it has no variant for', async () => {
    expect((await reader({ method: 'POST', url: '/templates/email/first-gift-thank-you/preview', payload: {} })).json()).toMatchObject({ locale: null, subject: 'Thank you for your gift, Ada' });
    expect((await reader({ method: 'POST', url: '/templates/email/first-gift-thank-you/preview?locale=de', payload: {} })).json()).toMatchObject({ locale: null });
  });

  it('refuses a locale that is not BCP 47 with a 400 that says so', async () => {
    const response = await reader({ method: 'POST', url: '/templates/email/first-gift-thank-you/preview?locale=fr_FR', payload: {} });
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(response.json())).toContain('is not a valid BCP 47 locale code');
  });

  it('lists the locales each template has', async () => {
    const list = (await reader({ method: 'GET', url: '/templates' })).json() as { templates: { name: string; locales: string[] }[] };
    expect(list.templates.find((template) => template.name === 'first-gift-thank-you')?.locales).toEqual(['fr']);
    expect(list.templates.find((template) => template.name === 'gift-receipt')?.locales).toEqual([]);
  });
});
