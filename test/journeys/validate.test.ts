/**
 * Journey validation: a table of mistakes people really make, each expected to be
 * reported at the right place with a useful message; plus line and column in YAML.
 */
import { describe, expect, it } from 'vitest';
import { simulateJourney } from '../../src/journeys/simulate.ts';
import { MAX_ALIAS_EXPANSIONS, readJourneySource } from '../../src/journeys/source.ts';
import { formatPath, validateJourney, type Diagnostic, type ValidationCatalog } from '../../src/journeys/validate.ts';

const catalog: ValidationCatalog = {
  emailTemplates: new Set(['thanks', 'impact', 'ask']),
  smsTemplates: new Set(['nudge']),
  taskQueues: new Set(['stewardship']),
};

/** A small valid journey; each case below breaks one thing in a copy of it. */
function journey(): Record<string, any> {
  return {
    id: 'welcome',
    name: 'Welcome',
    trigger: { event: 'donation', when: [{ field: 'event.amount', gte: 10 }] },
    goal: { event: 'donation', name: 'second-gift' },
    initial: 'thanked',
    states: {
      thanked: { entry: [{ do: 'email', template: 'thanks' }], after: [{ delay: '7d', to: 'impact' }] },
      impact: {
        entry: [{ do: 'email', template: 'impact' }],
        on: { 'task-completed': [{ to: 'done', when: [{ field: 'event.outcome', eq: 'reached' }] }, 'done'] },
        after: [{ delay: '30d', to: 'done' }],
      },
      done: { final: true },
    },
  };
}

function errorsOf(definition: unknown): Diagnostic[] {
  return validateJourney(definition, catalog).diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
}

describe('validateJourney', () => {
  it('accepts the valid journey without errors or warnings', () => {
    const result = validateJourney(journey(), catalog);
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
  });

  const mistakes: [string, (j: Record<string, any>) => void, string, RegExp][] = [
    ['a missing name', (j) => delete j.name, 'name', /expected string/],
    ['an id with capitals', (j) => (j.id = 'Welcome'), 'id', /lower-case/],
    ['an unknown trigger event', (j) => (j.trigger.event = 'gift'), 'trigger.event', /donation/],
    ['a typo in a field name', (j) => (j.states.thanked.entyr = []), 'states.thanked', /entyr/],
    ['an unknown initial state', (j) => (j.initial = 'thank'), 'initial', /unknown state "thank" \(did you mean "thanked"\?\)/],
    ['an unknown target in after', (j) => (j.states.thanked.after[0].to = 'impakt'), 'states.thanked.after[0].to', /unknown state "impakt"/],
    ['an unknown target in on (shorthand)', (j) => (j.states.impact.on['task-completed'][1] = 'finished'), 'states.impact.on.task-completed[1]', /unknown state "finished"/],
    ['an unknown email template', (j) => (j.states.thanked.entry[0].template = 'thank-you'), 'states.thanked.entry[0].template', /unknown email template "thank-you"/],
    ['an email template used as SMS', (j) => (j.states.thanked.entry[0] = { do: 'sms', template: 'thanks' }), 'states.thanked.entry[0].template', /unknown SMS template "thanks"/],
    ['an unknown task queue', (j) => j.states.impact.entry.push({ do: 'task', queue: 'major-gift', title: 'Call' }), 'states.impact.entry[1].queue', /unknown task queue "major-gift"/],
    ['an unknown action', (j) => (j.states.thanked.entry[0] = { do: 'letter', template: 'thanks' }), 'states.thanked.entry[0].do', /email.*sms|Invalid/i],
    ['a bad duration', (j) => (j.states.thanked.after[0].delay = '7 days'), 'states.thanked.after[0].delay', /not a duration/],
    ['a duration in months', (j) => (j.states.thanked.after[0].delay = 'P1M'), 'states.thanked.after[0].delay', /ISO 8601 duration of weeks, days/],
    ['a bad task due time', (j) => j.states.impact.entry.push({ do: 'task', queue: 'stewardship', title: 'Call', due: 'soon' }), 'states.impact.entry[1].due', /not a duration/],
    ['a condition on a field donations do not have', (j) => (j.trigger.when[0].field = 'event.amont'), 'trigger.when[0].field', /donation events have no field "amont" \(did you mean "amount"\?\)/],
    ['a condition on an unknown constituent field', (j) => (j.trigger.when[0] = { field: 'constituent.email', exists: true }), 'trigger.when[0].field', /unknown constituent field "email"/],
    ['a number comparison on a text field', (j) => (j.states.impact.on['task-completed'][0].when[0] = { field: 'event.outcome', gte: 3 }), 'states.impact.on.task-completed[0].when[0].gte', /not a number/],
    ['a condition with two operators', (j) => (j.trigger.when[0] = { field: 'event.amount', gte: 10, lt: 100 }), 'trigger.when[0]', /2 operators/],
    ['event fields where there is no event', (j) => (j.states.thanked = { choose: [{ when: [{ field: 'event.amount', gte: 5 }], to: 'impact' }, { to: 'done' }] }), 'states.thanked.choose[0].when[0].field', /no event here/],
    ['an unreachable state', (j) => (j.states.orphan = { entry: [{ do: 'email', template: 'ask' }], after: [{ delay: '1d', to: 'done' }] }), 'states.orphan', /unreachable/],
    ['a non-final state with no way out', (j) => delete j.states.impact.on && delete j.states.impact.after, 'states.impact', /no way out/],
    ['a choose without an otherwise branch', (j) => (j.states.thanked = { choose: [{ when: [{ field: 'trigger.amount', gte: 50 }], to: 'impact' }] }), 'states.thanked.choose', /stuck/],
    ['a loop without a wait', (j) => { j.states.thanked = { choose: [{ to: 'impact' }] }; j.states.impact = { choose: [{ when: [{ field: 'trigger.amount', gte: 1 }], to: 'thanked' }, { to: 'done' }] }; }, 'states.thanked', /loop without a wait: thanked -> impact -> thanked/],
    ['a zero-length timer loop', (j) => (j.states.impact.after = [{ delay: '0s', to: 'thanked' }]) && (j.states.thanked.after[0].delay = 'PT0S'), 'states.thanked', /loop without a wait/],
    ['a loop of timers that waits for no event', (j) => (j.states.impact.after = [{ delay: '30d', to: 'thanked' }]), 'states.thanked', /loop of timers: thanked -> impact -> thanked repeats without waiting/],
    [
      'a loop through two waits before a date',
      (j) => {
        j.trigger = { event: 'registration' };
        delete j.goal;
        j.states.thanked.after[0].delay = { before: 'trigger.startsAt', by: '1d' };
        j.states.impact.after = [{ delay: { before: 'trigger.startsAt' }, to: 'thanked' }];
      },
      'states.thanked',
      /loop of timers: thanked -> impact -> thanked/,
    ],
    ['split percentages that do not add up', (j) => (j.states.thanked = { split: [{ percent: 50, to: 'impact' }, { percent: 30, to: 'done' }] }), 'states.thanked.split', /add up to 80, not 100/],
    ['a final state that moves on', (j) => (j.states.done.after = [{ delay: '1d', to: 'thanked' }]), 'states.done.after', /final state ends the enrollment/],
    ['an outcome on a non-final state', (j) => (j.states.impact.outcome = 'converted'), 'states.impact.outcome', /only a final state/],
    ['a reserved state name', (j) => (j.states.exited = { final: true }) && (j.states.thanked.after.push({ delay: '2d', to: 'exited' })), 'states.exited', /reserved/],
    ['once-per-period without a period', (j) => (j.reentry = { policy: 'once-per-period' }), 'reentry.period', /needs a period/],
    ['a wait before a field that is not a date', (j) => (j.states.thanked.after[0].delay = { before: 'trigger.amount', by: '1d' }), 'states.thanked.after[0].delay.before', /not a date/],
  ];

  it.each(mistakes)('reports %s', (_name, breakIt, expectedPath, message) => {
    const definition = journey();
    breakIt(definition);
    const errors = errorsOf(definition);
    expect(errors.map((error) => ({ path: formatPath(error.path), message: error.message }))).toContainEqual({
      path: expectedPath,
      message: expect.stringMatching(message),
    });
  });

  it('accepts a loop of timers bounded by a limit, which the simulator then leaves', () => {
    const definition = journey();
    definition.states.impact.after = [{ delay: '30d', to: 'thanked', limit: 2 }];
    delete definition.states.impact.on;
    definition.states.impact.after.push({ delay: '31d', to: 'done' });
    const result = validateJourney(definition, catalog);
    expect(result.diagnostics).toEqual([]);
    const simulated = simulateJourney(result.definition!, { events: [{ at: '2026-01-05T09:00:00Z', type: 'donation', data: { amount: 20 } }] });
    // Thanked on entering and on each of the two rounds back; then the 31-day timer leaves.
    expect(simulated.entries.filter((entry) => entry.kind === 'email' && entry.template === 'thanks')).toHaveLength(3);
    expect(simulated.enrollments[0]).toMatchObject({ status: 'completed', state: 'done' });
  });

  it('has at least twenty mistakes in its table', () => {
    expect(mistakes.length).toBeGreaterThanOrEqual(20);
  });

  it('warns, without failing, about an SMS with no consent check and a wait with no timeout', () => {
    const definition = journey();
    definition.states.impact = { entry: [{ do: 'sms', template: 'nudge' }], on: { donation: 'done' } };
    const result = validateJourney(definition, catalog);
    expect(result.ok).toBe(true);
    expect(result.diagnostics.map((diagnostic) => [diagnostic.severity, formatPath(diagnostic.path)])).toEqual([
      ['warning', 'states.impact'],
      ['warning', 'states.impact.entry[0]'],
    ]);
    expect(result.diagnostics[0]!.message).toMatch(/waits for donation with no timeout/);
    expect(result.diagnostics[1]!.message).toMatch(/without checking constituent.consent.sms/);
  });

  it('does not warn about an SMS reached only through a consent check', () => {
    const definition = journey();
    definition.states.thanked.after[0].to = 'decide';
    definition.states.decide = { choose: [{ when: [{ field: 'constituent.consent.sms', eq: 'granted' }], to: 'texted' }, { to: 'impact' }] };
    definition.states.texted = { entry: [{ do: 'sms', template: 'nudge' }], after: [{ delay: '1d', to: 'impact' }] };
    expect(validateJourney(definition, catalog).diagnostics).toEqual([]);
  });
});

describe('readJourneySource (YAML)', () => {
  const yaml = `id: welcome
name: Welcome
trigger:
  event: donation
initial: thanked
states:
  thanked:
    entry:
      - { do: email, template: thank-you }
    after:
      - delay: 7 days
        to: done
  done:
    final: true
`;

  it('points each error at its line and column', () => {
    const loaded = readJourneySource(yaml, 'welcome.yaml', catalog);
    expect(loaded.definition).toBeUndefined();
    expect(loaded.diagnostics.map(({ path, line, column }) => ({ path: formatPath(path), line, column }))).toEqual([
      { path: 'states.thanked.entry[0].template', line: 9, column: 32 },
      { path: 'states.thanked.after[0].delay', line: 11, column: 16 },
    ]);
  });

  it('points a missing field at the object that lacks it', () => {
    const loaded = readJourneySource(yaml.replace('  event: donation\n', '  first: true\n'), 'welcome.yaml', catalog);
    expect(loaded.diagnostics).toContainEqual(expect.objectContaining({ path: ['trigger', 'event'], line: 4, column: 3 }));
  });

  it('reports YAML syntax errors with their position', () => {
    const loaded = readJourneySource('id: welcome\nstates: [unclosed\n', 'broken.yaml', catalog);
    expect(loaded.diagnostics).toHaveLength(1);
    expect(loaded.diagnostics[0]).toMatchObject({ severity: 'error', file: 'broken.yaml', line: expect.any(Number), column: expect.any(Number) });
  });

  it(`reads aliases that expand to ${MAX_ALIAS_EXPANSIONS} copies, and points at the first alias beyond that`, () => {
    const reused = (copies: number) =>
      `id: welcome\nname: &name Welcome\ndescription: [${Array(copies).fill('*name').join(', ')}]\ntrigger: { event: donation }\ninitial: a\nstates: { a: { final: true } }\n`;
    expect(readJourneySource(reused(MAX_ALIAS_EXPANSIONS), 'reused.yaml', catalog).diagnostics).toEqual([expect.objectContaining({ path: ['description'] })]);
    expect(readJourneySource(reused(MAX_ALIAS_EXPANSIONS + 1), 'reused.yaml', catalog).diagnostics).toEqual([
      expect.objectContaining({ path: [], message: expect.stringMatching(/^aliases .* expand to more than 50 copies/), line: 3, column: 15 }),
    ]);
  });

  it('says a text nested too deeply to read is, at its line', () => {
    const loaded = readJourneySource(`id: deep\nstates: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, 'deep.yaml', catalog);
    expect(loaded.diagnostics).toEqual([expect.objectContaining({ message: 'nests too deeply to read', line: 2 })]);
  });

  it('reads JSON with positions too', () => {
    const json = JSON.stringify({ ...journey(), initial: 'nowhere' }, null, 2);
    const loaded = readJourneySource(json, 'welcome.json', catalog);
    const lines = json.split('\n');
    const line = lines.findIndex((text) => text.includes('"initial"')) + 1;
    const column = lines[line - 1]!.indexOf('"nowhere"') + 1;
    expect(loaded.diagnostics).toEqual([expect.objectContaining({ path: ['initial'], line, column })]);
  });
});
