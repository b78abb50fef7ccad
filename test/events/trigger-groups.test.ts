/**
 * One gift, one acknowledgment: journeys in one trigger group answer an event
 * once, and journeys that would both message someone on one event are found
 * before they are published. On real parts: the router, the time-skipping
 * Temporal server, a database and an SMTP server.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventRouter, type EventRouter } from '../../src/events/router.ts';
import { InteractionEventInput } from '../../src/events/schema.ts';
import { storeEvent } from '../../src/events/store.ts';
import { loadJourneyCatalog } from '../../src/journeys/catalog.ts';
import { JourneyDefinition, type JourneyDefinitionInput } from '../../src/journeys/definition.ts';
import { createJourneyLifecycle } from '../../src/journeys/lifecycle.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { triggerOverlap } from '../../src/journeys/trigger-overlap.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';

const thanking = (id: string, trigger: JourneyDefinitionInput['trigger']): JourneyDefinition =>
  JourneyDefinition.parse({
    id,
    name: id,
    trigger,
    initial: 'thanked',
    states: { thanked: { entry: [{ do: 'email', template: 'first-gift-thank-you' }], after: [{ delay: '30d', to: 'done' }] }, done: { final: true } },
  });

describe('journeys that would both answer one event', () => {
  it('are found, with an example event both would take', () => {
    const overlap = triggerOverlap(thanking('first', { event: 'donation', first: true }), thanking('major', { event: 'donation', when: [{ field: 'event.amount', gte: 1000 }] }));
    expect(overlap).toMatchObject({ other: 'major', example: { amount: 1000 } });
    expect(overlap!.message).toMatch(/^first and major would both enroll a constituent on one donation event, such as \{"amount":1000\}, and message them at once; put them in one trigger group/);
  });

  it('are not found when their conditions cannot both hold, their events differ, one sends nothing at once, or they share a group', () => {
    const major = thanking('major', { event: 'donation', when: [{ field: 'event.amount', gte: 1000 }] });
    expect(triggerOverlap(thanking('small', { event: 'donation', when: [{ field: 'event.amount', lt: 100 }] }), major)).toBeUndefined();
    expect(triggerOverlap(thanking('registered', { event: 'registration' }), major)).toBeUndefined();
    const quiet = JourneyDefinition.parse({ id: 'quiet', name: 'quiet', trigger: { event: 'donation' }, initial: 'waiting', states: { waiting: { after: [{ delay: '1d', to: 'done' }] }, done: { final: true } } });
    expect(triggerOverlap(quiet, major)).toBeUndefined();
    const grouped = (id: string, priority: number) => thanking(id, { event: 'donation', group: 'acknowledgment', priority });
    expect(triggerOverlap(grouped('a', 1), grouped('b', 2))).toBeUndefined();
  });

  it('are none among the shipped donation journeys, which share the acknowledgment group', async () => {
    const shipped = (await loadJourneyCatalog()).map((journey) => journey.definition);
    const overlaps = shipped.flatMap((journey, index) => shipped.slice(index + 1).flatMap((other) => triggerOverlap(journey, other) ?? []));
    expect(overlaps).toEqual([]);
  });
});

describe('a trigger group', () => {
  let runtime: TestRuntime;
  let router: EventRouter;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    const catalog = await loadJourneyCatalog();
    const donationJourneys = ['first-gift-thank-you', 'new-donor-welcome', 'major-gift-prospect'];
    await publishJourneyCatalog(runtime.db, catalog.filter((journey) => donationJourneys.includes(journey.definition.id)).map((journey) => ({ ...journey, publishOnStart: true })));
    router = createEventRouter({ db: runtime.db, temporal: runtime.env.client, taskQueue: runtime.taskQueue });
  }, 120_000);

  afterAll(() => runtime?.stop());

  async function firstGift(amount: number) {
    const email = `group-${randomUUID()}@example.org`;
    const input = InteractionEventInput.parse({ id: randomUUID(), type: 'donation', constituent: { email, firstName: 'Grace', consent: { email: 'granted' } }, data: { amount, currency: 'USD' } });
    const { event } = await storeEvent(runtime.db, input);
    return { email, routed: await router.routeEvent(event), event };
  }

  it('enrolls a first gift in the one journey of the group with the highest priority that admits it, and thanks it once', async () => {
    const major = await firstGift(1500);
    const small = await firstGift(50);
    expect(major.routed.map((entry) => entry.journeyId)).toEqual(['major-gift-prospect']);
    expect(small.routed.map((entry) => entry.journeyId)).toEqual(['new-donor-welcome']);
    // Routed again (a retry), the event finds the enrollment it opened, and opens no other.
    expect((await router.routeEvent(major.event)).map((entry) => entry.journeyId)).toEqual(['major-gift-prospect']);

    const worker = await runtime.worker();
    await worker.runUntil(() =>
      eventually(async () => ((await runtime.db.message.count({ where: { status: 'sent', constituent: { email: { in: [major.email, small.email] } } } })) >= 2 ? true : undefined), 'both thank-yous'),
    );
    const to = (email: string) => runtime.smtp.messages.filter((mail) => (mail.to as { text: string }).text === email).map((mail) => mail.subject);
    expect(to(major.email)).toEqual(['Grace, thank you for your extraordinary gift']);
    expect(to(small.email)).toEqual(['Welcome, Grace, and thank you']);
  });

  it('says at publishing which published journey would also message someone on the same event', async () => {
    await publishJourneyCatalog(runtime.db, [{ definition: thanking('another-thank-you', { event: 'donation', first: true }), source: 'test', publishOnStart: false }]);
    const lifecycle = createJourneyLifecycle({ db: runtime.db, temporal: runtime.env.client });
    const overlaps = await lifecycle.overlaps('another-thank-you', 1);
    expect(overlaps.map((overlap) => overlap.other)).toEqual(['first-gift-thank-you', 'major-gift-prospect', 'new-donor-welcome']);
  });
});
