/**
 * A journey's text travels with its version: shipped files are stored as written
 * (comments, key order, state order), an edit in the app keeps them, versions
 * stored without text read back in the file style, and the funnel's order of
 * states is the text's.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJourneyAuthoring, sourceOf, stateOrderOf } from '../../src/journeys/authoring.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { addState, connect, journeyText, openJourneySource, setFinal } from '../../src/journeys/edits.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const majorGiftFile = readFileSync(new URL('../../journeys/major-gift-prospect.yaml', import.meta.url), 'utf8');
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
}, 120_000);

afterAll(async () => {
  await database?.drop();
});

describe('journey text with each version', () => {
  it('stores a shipped journey as its file says it, and the editor opens those 58 lines, comments and all', async () => {
    await publishJourneyCatalog(database.prisma, await loadJourneyCatalog());
    const stored = await database.prisma.journeyVersion.findUniqueOrThrow({ where: { journeyId_version: { journeyId: 'major-gift-prospect', version: 2 } } });
    expect(stored.source).toBe(majorGiftFile);
    expect(sourceOf(stored).split('\n')).toHaveLength(majorGiftFile.split('\n').length);
    // The funnel and the pages follow the file's order, not the order the journey is walked in.
    expect(stateOrderOf(stored)).toEqual(['thanked', 'escalated', 'noAnswer', 'followUp', 'cultivation', 'stewarded']);
  });

  it('gives a version stored before its text was kept the file text on the next start', async () => {
    await database.prisma.journeyVersion.updateMany({ where: { journeyId: 'new-donor-welcome' }, data: { source: null } });
    await publishJourneyCatalog(database.prisma, await loadJourneyCatalog());
    const stored = await database.prisma.journeyVersion.findFirstOrThrow({ where: { journeyId: 'new-donor-welcome' } });
    expect(stored.source).toBe(readFileSync(new URL('../../journeys/new-donor-welcome.yaml', import.meta.url), 'utf8'));
  });

  it('reads back a version without text in the file style: one line per action, timer and condition', () => {
    const definition = { ...JSON.parse(JSON.stringify(openJourneySource(majorGiftFile).toJS())), exits: ['unsubscribed', 'hard-bounced', 'removed'], reentry: { period: '180d', policy: 'once-per-period' } };
    const text = sourceOf({ source: null, definition });
    expect(text).toContain('      - { do: email, template: major-gift-thanks }');
    expect(text).toContain('        - { to: cultivation, when: [{ field: event.outcome, eq: meeting-booked }] }');
    expect(text).toContain('exits: [unsubscribed, hard-bounced, removed]');
    expect(text.indexOf('id:')).toBeLessThan(text.indexOf('trigger:'));
    expect(text.split('\n').length).toBeLessThan(70);
  });

  it('keeps comments and order through an edit saved from the app', async () => {
    const authoring = createJourneyAuthoring(database.prisma);
    const document = openJourneySource(majorGiftFile);
    addState(document, 'galaGuest');
    connect(document, 'noAnswer', { kind: 'on', event: 'registration', to: 'galaGuest' });
    setFinal(document, 'galaGuest', 'completed');
    const saved = await authoring.saveDraft(journeyText(document), 'major-gift-prospect');
    const stored = await database.prisma.journeyVersion.findUniqueOrThrow({ where: { id: saved.id } });
    expect(stored.source).toContain('# A call not logged after 3 days is escalated.');
    expect(sourceOf(stored).startsWith(majorGiftFile.split('    on:\n      task-completed: followUp')[0]!)).toBe(true);
    expect(stateOrderOf(stored)).toEqual(['thanked', 'escalated', 'noAnswer', 'followUp', 'cultivation', 'stewarded', 'galaGuest']);
  });
});
