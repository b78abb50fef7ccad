/** Tracked links in a rendered email: what is rewritten, what never is, and that only genuine tokens are honoured. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clickToken, openToken, trackEmail, verifyClickToken, verifyOpenToken, type TrackingOptions } from '../../src/engagement/tracked-links.ts';

const SECRET = 'a-signing-secret-of-at-least-thirty-two-characters';
const PUBLIC = 'https://steward.example.org';
const UNSUBSCRIBE = `${PUBLIC}/u/abc.def`;
const PREFERENCES = `${PUBLIC}/p/abc.def`;

const email = {
  html: `<html><body><p><a href="https://hope.example/stories?a=1&#38;b=2">Stories</a> and <a href='https://hope.example/give'>give</a>,
<a href="https://hope.example/stories?a=1&amp;b=2">again</a>, <a href="mailto:care@hope.example">write</a>.</p>
<a href="${UNSUBSCRIBE}">Unsubscribe</a> <a href="${PREFERENCES}">Preferences</a></body></html>`,
  text: `Stories: https://hope.example/stories?a=1&b=2\nGive: https://hope.example/give.\nUnsubscribe: ${UNSUBSCRIBE}\nPreferences: ${PREFERENCES}\n`,
};

const options = (overrides: Partial<TrackingOptions> = {}): TrackingOptions => ({
  mode: 'clicks',
  publicUrl: PUBLIC,
  secret: SECRET,
  messageId: randomUUID(),
  untracked: [UNSUBSCRIBE, PREFERENCES],
  ...overrides,
});

describe('trackEmail', () => {
  it('routes each web link through a signed redirect, one position per destination, and leaves unsubscribe, preferences and mailto alone', () => {
    const tracking = options();
    const tracked = trackEmail(email, tracking);
    expect(tracked.links).toEqual(['https://hope.example/stories?a=1&b=2', 'https://hope.example/give']);
    const first = `${PUBLIC}/t/c/${clickToken(SECRET, tracking.messageId, 0)}`;
    const second = `${PUBLIC}/t/c/${clickToken(SECRET, tracking.messageId, 1)}`;
    expect(tracked.html).toContain(`<a href="${first}">Stories</a>`);
    expect(tracked.html).toContain(`<a href='${second}'>give</a>`);
    expect(tracked.html).toContain(`<a href="${first}">again</a>`);
    expect(tracked.html).toContain('href="mailto:care@hope.example"');
    expect(tracked.html).toContain(`<a href="${UNSUBSCRIBE}">Unsubscribe</a>`);
    expect(tracked.html).toContain(`<a href="${PREFERENCES}">Preferences</a>`);
    expect(tracked.html).not.toContain('hope.example/stories');
    expect(tracked.text).toBe(`Stories: ${first}\nGive: ${second}.\nUnsubscribe: ${UNSUBSCRIBE}\nPreferences: ${PREFERENCES}\n`);
    expect(tracked.html).not.toContain('/t/o/');
    expect(tracked).toMatchObject({ tracksClicks: true, tracksOpens: false });
  });

  it('adds the open pixel before </body> only when opens are tracked', () => {
    const tracking = options({ mode: 'clicks-and-opens' });
    const tracked = trackEmail(email, tracking);
    expect(tracked.html).toMatch(new RegExp(`<img src="${PUBLIC}/t/o/${openToken(SECRET, tracking.messageId)}" width="1" height="1" alt=""[^>]*>\\n</body>`));
    expect(tracked.tracksOpens).toBe(true);
  });

  it('changes nothing with tracking off', () => {
    expect(trackEmail(email, options({ mode: 'off' }))).toEqual({ ...email, links: [], tracksClicks: false, tracksOpens: false });
  });

  it('renders the same bytes for the same message every time (a retried send is identical), and different tokens for another message', () => {
    const tracking = options({ mode: 'clicks-and-opens' });
    expect(trackEmail(email, tracking)).toEqual(trackEmail(email, { ...tracking }));
    expect(trackEmail(email, { ...tracking, messageId: randomUUID() }).html).not.toBe(trackEmail(email, tracking).html);
  });
});

describe('tokens', () => {
  const messageId = randomUUID();

  it('accepts a genuine click or open token', () => {
    expect(verifyClickToken(SECRET, clickToken(SECRET, messageId, 3))).toEqual({ messageId, position: 3 });
    expect(verifyOpenToken(SECRET, openToken(SECRET, messageId))).toEqual({ messageId });
  });

  it.each([
    ['another position', () => clickToken(SECRET, messageId, 3).replace(`${messageId}.3.`, `${messageId}.4.`)],
    ['another message', () => clickToken(SECRET, messageId, 0).replace(messageId, randomUUID())],
    ['an altered signature', () => clickToken(SECRET, messageId, 0).slice(0, -1) + (clickToken(SECRET, messageId, 0).endsWith('A') ? 'B' : 'A')],
    ['another secret', () => clickToken('another-secret-of-at-least-thirty-two-chars', messageId, 0)],
    ['an open token', () => openToken(SECRET, messageId)],
    ['no signature', () => `${messageId}.0`],
    ['a URL where the position goes', () => `${messageId}.https://evil.example.${clickToken(SECRET, messageId, 0).split('.')[2]}`],
    ['a leading zero', () => clickToken(SECRET, messageId, 1).replace(`.1.`, '.01.')],
    ['nothing', () => ''],
  ])('refuses a click token with %s', (_case, token) => {
    expect(verifyClickToken(SECRET, token())).toBeUndefined();
  });

  it('refuses a forged or borrowed open token', () => {
    expect(verifyOpenToken(SECRET, openToken(SECRET, messageId).replace(messageId, randomUUID()))).toBeUndefined();
    expect(verifyOpenToken(SECRET, clickToken(SECRET, messageId, 0))).toBeUndefined();
    expect(verifyOpenToken('another-secret-of-at-least-thirty-two-chars', openToken(SECRET, messageId))).toBeUndefined();
  });
});
