/** What publishing a version changes, and the status each version is shown with. */
import { describe, expect, it } from 'vitest';
import { JourneyDefinition } from '../../src/journeys/definition.ts';
import { templatesOf, versionChanges } from '../../src/journeys/version-changes.ts';
import { liveVersionNumber, shownStatus } from '../../src/journeys/version-status.ts';
import { createJourneyAuthoring } from '../../src/journeys/authoring.ts';
import { productCatalog } from '../../src/journeys/catalog.ts';
import { SAMPLE_JOURNEY } from '../../src/web/pages/editor.ts';

const base = JourneyDefinition.parse({
  id: 'thanks',
  name: 'Thanks',
  trigger: { event: 'donation' },
  initial: 'thanked',
  states: {
    thanked: { entry: [{ do: 'email', template: 'first-gift-thank-you' }], after: [{ delay: '7d', to: 'impact' }] },
    impact: { entry: [{ do: 'email', template: 'new-donor-impact' }], after: [{ delay: '30d', to: 'done' }] },
    done: { final: true },
  },
});

describe('versionChanges', () => {
  it('names states added, removed and changed, messages now and no longer sent, and a new trigger', () => {
    const next = JourneyDefinition.parse({
      ...base,
      trigger: { event: 'donation', when: [{ field: 'event.amount', gte: 100 }] },
      states: {
        thanked: { entry: [{ do: 'email', template: 'first-gift-thank-you' }], after: [{ delay: '3d', to: 'call' }] },
        call: { entry: [{ do: 'task', queue: 'stewardship', title: 'Call', due: '48h' }, { do: 'sms', template: 'winback-sms' }], after: [{ delay: '30d', to: 'done' }] },
        done: { final: true },
      },
    });
    const changes = versionChanges({ version: 1, definition: base }, next);
    expect(changes).toMatchObject({
      liveVersion: 1,
      states: { added: ['call'], removed: ['impact'], changed: ['thanked'] },
      templates: { added: ['sms:winback-sms'], removed: ['email:new-donor-impact'] },
      trigger: { before: { event: 'donation' }, after: { event: 'donation', when: [{ field: 'event.amount', gte: 100 }] } },
      same: false,
    });
  });

  it('says nothing changes for the same content written in another order, and everything is new with nothing live', () => {
    const reordered = JourneyDefinition.parse({ states: base.states, initial: base.initial, trigger: base.trigger, name: base.name, id: base.id });
    expect(versionChanges({ version: 3, definition: base }, reordered)).toMatchObject({ same: true, trigger: undefined, states: { added: [], removed: [], changed: [] } });
    expect(versionChanges(undefined, base)).toMatchObject({
      liveVersion: undefined,
      states: { added: ['thanked', 'impact', 'done'] },
      templates: { added: ['email:first-gift-thank-you', 'email:new-donor-impact'] },
      trigger: { before: undefined, after: { event: 'donation' } },
      same: false,
    });
  });

  it('finds templates sent on transitions too', () => {
    const withTransitionMessage = JourneyDefinition.parse({ ...base, states: { ...base.states, done: { final: true }, thanked: { on: { donation: { to: 'done', do: [{ do: 'email', template: 'new-donor-thanks' }] } } } } });
    expect(templatesOf(withTransitionMessage)).toContain('email:new-donor-thanks');
  });
});

describe('the status a version is shown with', () => {
  it('shows versions older than the live one as superseded, drafts included', () => {
    const versions = [
      { version: 1, status: 'draft' as const },
      { version: 2, status: 'published' as const },
      { version: 3, status: 'published' as const },
      { version: 4, status: 'draft' as const },
      { version: 5, status: 'archived' as const },
    ];
    const live = liveVersionNumber(versions);
    expect(live).toBe(3);
    expect(versions.map((version) => shownStatus(version, live))).toEqual(['superseded', 'superseded', 'published', 'draft', 'archived']);
    expect(shownStatus({ version: 1, status: 'draft' }, liveVersionNumber([{ version: 1, status: 'draft' }]))).toBe('draft');
  });
});

describe('the starter journey', () => {
  it('has the call its description promises, and checks clean', async () => {
    const checked = await createJourneyAuthoring(undefined as never, productCatalog()).check(SAMPLE_JOURNEY);
    expect(checked.ok).toBe(true);
    expect(checked.definition!.description).toMatch(/call the generous ones/);
    const tasks = Object.values(checked.definition!.states).flatMap((state) => (state.entry ?? []).filter((action) => action.do === 'task'));
    expect(tasks).toHaveLength(1);
  });

  it('asks staff to call a generous donor in simulation, and not a small one', async () => {
    const authoring = createJourneyAuthoring(undefined as never, productCatalog());
    const run = async (amount: number) =>
      (await authoring.simulate(SAMPLE_JOURNEY, { events: [{ at: '+0d', type: 'donation', data: { amount, currency: 'USD', campaign: 'spring-appeal' } }], until: '+60d' } as never)).entries;
    expect((await run(500)).filter((entry) => entry.kind === 'task')).toHaveLength(1);
    expect((await run(50)).filter((entry) => entry.kind === 'task')).toHaveLength(0);
  });
});
