/** Builder edits change a journey's YAML in place: what they touch changes, comments and order elsewhere stay. */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  addAction,
  addState,
  connect,
  disconnect,
  JourneyEditError,
  journeyText,
  openJourneySource,
  removeAction,
  removeState,
  setExits,
  setFinal,
  setGoal,
  setJourneyInfo,
  stateOrder,
} from '../../src/journeys/edits.ts';
import { productCatalog } from '../../src/journeys/catalog.ts';
import { readJourneySource } from '../../src/journeys/source.ts';

const majorGift = readFileSync(new URL('../../journeys/major-gift-prospect.yaml', import.meta.url), 'utf8');
const catalog = productCatalog();

const starter = `# Spring appeal: keep this note.
id: spring
name: Spring appeal
trigger:
  event: donation # any gift
initial: thanked
states:
  # the first thing a donor meets
  thanked:
    entry:
      - { do: email, template: first-gift-thank-you }
`;

describe('journey edits', () => {
  it('leave every shipped journey text byte for byte as written when nothing is edited', () => {
    const dir = new URL('../../journeys/', import.meta.url);
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.yaml'))) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      expect(journeyText(openJourneySource(text)), file).toBe(text);
    }
  });

  it('add a state at the end, keeping every comment and the order of the others', () => {
    const document = openJourneySource(majorGift);
    addState(document, 'thankedAgain');
    const text = journeyText(document);
    expect(stateOrder(document)).toEqual(['thanked', 'escalated', 'noAnswer', 'followUp', 'cultivation', 'stewarded', 'thankedAgain']);
    // Every line of the file is still there, in the same order, comments included.
    const kept = text.split('\n').filter((line) => majorGift.split('\n').includes(line));
    expect(kept).toEqual(majorGift.split('\n').filter((line) => text.split('\n').includes(line)));
    expect(text).toContain('# A call not logged after 3 days is escalated.');
    expect(text).toContain('# v2: first in the acknowledgment group');
    expect(text.startsWith(majorGift.trimEnd())).toBe(true);
  });

  it('build a three-state journey from a starter, each step in the file style, comments kept', () => {
    const document = openJourneySource(starter);
    addState(document, 'waiting');
    addState(document, 'done');
    connect(document, 'thanked', { kind: 'after', delay: '7d', to: 'waiting' });
    connect(document, 'waiting', { kind: 'wait', for: 'donation', to: 'done', timeout: '30d', then: 'done' });
    addAction(document, 'waiting', { do: 'task', queue: 'stewardship', title: 'Call to say thanks', due: '48h' });
    setFinal(document, 'done', 'completed');
    setGoal(document, { event: 'donation', name: 'second-gift' });
    const text = journeyText(document);
    expect(text).toBe(`# Spring appeal: keep this note.
id: spring
name: Spring appeal
trigger:
  event: donation # any gift
goal:
  event: donation
  name: second-gift
initial: thanked
states:
  # the first thing a donor meets
  thanked:
    entry:
      - { do: email, template: first-gift-thank-you }
    after:
      - { delay: 7d, to: waiting }
  waiting:
    entry:
      - { do: task, queue: stewardship, title: Call to say thanks, due: 48h }
    wait:
      for: donation
      to: done
      timeout: 30d
      then: done
  done:
    final: true
`);
    const checked = readJourneySource(text, 'spring.yaml', catalog);
    expect(checked.diagnostics.filter((item) => item.severity === 'error')).toEqual([]);
    expect(checked.definition?.states.waiting?.wait?.timeout).toBe('30d');
  });

  it('turn a single event transition into a list when a second is connected, and back when one is removed', () => {
    const document = openJourneySource(majorGift);
    connect(document, 'noAnswer', { kind: 'on', event: 'task-completed', to: 'cultivation', when: [{ field: 'event.outcome', eq: 'meeting-booked' }] });
    expect(journeyText(document)).toContain(`      task-completed:
        - followUp
        - { to: cultivation, when: [{ field: event.outcome, eq: meeting-booked }] }`);
    disconnect(document, 'noAnswer', { kind: 'on', event: 'task-completed', index: 1 });
    disconnect(document, 'thanked', { kind: 'on', event: 'task-completed', index: 2 });
    const definition = readJourneySource(journeyText(document), 'x.yaml', catalog).definition!;
    expect(definition.states.thanked!.on!['task-completed']).toHaveLength(2);
    expect(journeyText(document)).toContain('# A call not logged after 3 days is escalated.');
  });

  it('remove a state with every way into it, and the actions a step no longer needs', () => {
    const document = openJourneySource(majorGift);
    removeState(document, 'noAnswer');
    removeAction(document, 'thanked', 1);
    const text = journeyText(document);
    expect(stateOrder(document)).toEqual(['thanked', 'escalated', 'followUp', 'cultivation', 'stewarded']);
    expect(text).not.toContain('noAnswer');
    expect(text).not.toContain('Call to thank a major donor');
    expect(text).toContain('# A call not logged after 3 days is escalated.');
    const checked = readJourneySource(text, 'x.yaml', catalog);
    expect(checked.diagnostics.filter((item) => item.severity === 'error')).toEqual([]);
  });

  it('replace the exits in place and add decisions and splits', () => {
    const document = openJourneySource(starter);
    addState(document, 'decide');
    addState(document, 'a');
    addState(document, 'b');
    connect(document, 'thanked', { kind: 'on', event: 'donation', to: 'decide' });
    connect(document, 'decide', { kind: 'choose', to: 'a', when: [{ field: 'constituent.consent.sms', eq: 'granted' }] });
    connect(document, 'decide', { kind: 'choose', to: 'b' });
    connect(document, 'a', { kind: 'split', percent: 50, to: 'b' });
    setExits(document, ['unsubscribed', 'removed']);
    const text = journeyText(document);
    expect(text).toContain('exits: [unsubscribed, removed]');
    expect(text).toContain('      - { when: [{ field: constituent.consent.sms, eq: granted }], to: a }\n      - { to: b }');
    setExits(document, ['removed']);
    expect(journeyText(document)).toContain('exits: [removed]');
  });

  it('refuse edits that name what is not there, saying where', () => {
    const document = openJourneySource(starter);
    const before = journeyText(document);
    expect(() => addState(document, 'thanked')).toThrow(/already a state "thanked"/);
    expect(() => addState(document, '2nd')).toThrow(JourneyEditError);
    expect(() => addState(document, 'goalReached')).toThrow(/kept for the journey's goal/);
    expect(() => connect(document, 'thanked', { kind: 'after', delay: '1d', to: 'nowhere' })).toThrow(/no state "nowhere" to lead to/);
    expect(() => removeAction(document, 'thanked', 4)).toThrow(/no such action/);
    expect(() => disconnect(document, 'thanked', { kind: 'wait' })).toThrow(/no such way out/);
    expect(() => openJourneySource('id: [unclosed')).toThrow(/does not parse/);
    expect(journeyText(document)).toBe(before);
  });

  it('name a journey and its trigger in place, and fill a starter whose states are `{}`', () => {
    const document = openJourneySource('# Built in the journey builder: this note stays.\nid: new-journey\nname: New journey\ntrigger:\n  event: donation # what enrolls people\nstates: {}\n');
    setJourneyInfo(document, { id: 'spring-thanks', name: 'Spring thanks', triggerEvent: 'registration' });
    addState(document, 'welcomed');
    expect(journeyText(document)).toBe('# Built in the journey builder: this note stays.\nid: spring-thanks\nname: Spring thanks\ntrigger:\n  event: registration # what enrolls people\ninitial: welcomed\nstates:\n  welcomed: {}\n');
    expect(() => setJourneyInfo(document, { id: 'Spring Thanks' })).toThrow(/not a journey id/);
  });

  it('make the first state of an empty journey its initial state', () => {
    const document = openJourneySource('# keep\nid: empty\nname: Empty\ntrigger: { event: donation }\n');
    addState(document, 'start');
    expect(journeyText(document)).toBe('# keep\nid: empty\nname: Empty\ntrigger: { event: donation }\ninitial: start\nstates:\n  start: {}\n');
  });
});
