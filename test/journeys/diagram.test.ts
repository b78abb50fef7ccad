/** Journey diagrams: the Mermaid text says exactly what the journey does; the SVG is well-formed and complete. */
import { describe, expect, it } from 'vitest';
import { JourneyDefinition } from '../../src/journeys/definition.ts';
import { readFileSync } from 'node:fs';
import { loadJourneyCatalog, productCatalog } from '../../src/journeys/catalog.ts';
import { journeyLayout, journeyToMermaid, journeyToSvg, wrapWords, type JourneyLayout, type LayoutBox } from '../../src/journeys/diagram.ts';
import { readJourneySource } from '../../src/journeys/source.ts';

const welcome = JourneyDefinition.parse({
  id: 'welcome',
  name: 'Welcome <new> donors',
  trigger: { event: 'donation', first: true, when: [{ field: 'event.amount', gte: 10 }] },
  goal: { event: 'donation', name: 'second-gift' },
  initial: 'thanked',
  states: {
    thanked: { entry: [{ do: 'email', template: 'thanks' }], after: [{ delay: '7d', to: 'decide' }] },
    decide: { choose: [{ when: [{ field: 'constituent.consent.sms', eq: 'granted' }], to: 'texted' }, { to: 'call' }] },
    texted: { entry: [{ do: 'sms', template: 'nudge' }], after: [{ delay: '1d', to: 'call' }] },
    call: {
      entry: [{ do: 'task', queue: 'stewardship', title: 'Call; say "thanks"', due: '48h' }],
      on: { 'task-completed': [{ to: 'won', when: [{ field: 'event.outcome', in: ['pledged', 'gave'] }] }, 'done'] },
      wait: { for: 'donation', to: 'won', timeout: '14d', then: 'done' },
    },
    won: { final: true, outcome: 'converted' },
    done: { final: true },
  },
});

describe('journeyToMermaid', () => {
  it('shows the limit of a timer that bounds a loop', () => {
    const looping = JourneyDefinition.parse({
      id: 'looping',
      name: 'Looping',
      trigger: { event: 'donation' },
      initial: 'asked',
      states: {
        asked: { after: [{ delay: '7d', to: 'reminded' }] },
        reminded: { after: [{ delay: '7d', to: 'asked', limit: 3 }, { delay: '8d', to: 'done' }] },
        done: { final: true },
      },
    });
    expect(journeyToMermaid(looping)).toContain('reminded --> asked : after 7d (at most 3×)');
  });


  it('draws every state, action and transition with its reason', () => {
    expect(journeyToMermaid(welcome).split('\n')).toEqual([
      'stateDiagram-v2',
      '  direction LR',
      '  state "thanked" as thanked',
      '  thanked : ✉ email thanks',
      '  state decide <<choice>>',
      '  state "texted" as texted',
      '  texted : 📱 sms nudge',
      '  state "call" as call',
      '  call : ☎ task stewardship#58; Call#59; say #34;thanks#34; (due 48h)',
      '  state "won" as won',
      '  state "done" as done',
      '  [*] --> thanked : donation (first) [event.amount ≥ 10]',
      '  thanked --> decide : after 7d',
      '  decide --> texted : if consent.sms = granted',
      '  decide --> call : otherwise',
      '  texted --> call : after 1d',
      '  call --> won : task-completed [event.outcome in pledged/gave]',
      '  call --> done : task-completed',
      '  call --> won : donation',
      '  call --> done : no donation in 14d',
      '  won --> [*] : converted',
      '  done --> [*]',
      '  state "goal reached" as goalReached',
      '  goalReached --> [*] : converted',
      '  note right of goalReached',
      '    from any state: donation',
      '  end note',
      '  state "exited" as exited',
      '  exited --> [*] : exited',
      '  note right of exited',
      '    from any state: unsubscribed, hard-bounced, removed',
      '  end note',
      '',
    ]);
  });

  it('shows live counts in the states when given', () => {
    const text = journeyToMermaid(welcome, { counts: { thanked: { current: 12, entered: 340 }, decide: { entered: 200 } } });
    expect(text).toContain('state "thanked (12 now · 340 entered)" as thanked');
    // A decision with counts is drawn as a state so its numbers can be shown.
    expect(text).toContain('state "decide (200 entered)" as decide');
  });
});

describe('journeyToSvg', async () => {
  const svg = await journeyToSvg(welcome);

  it('is well-formed XML with an accessible title', () => {
    expect(isWellFormed(svg)).toBe(true);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]* role="img" aria-label="Journey: Welcome &lt;new&gt; donors"/);
    expect(svg).toContain('<title>Journey: Welcome &lt;new&gt; donors</title>');
  });

  it('has a box for every state, the goal and the exit, and an arrow for every transition', () => {
    const boxes = svg.match(/<g data-state="[^"]+"><title>/g) ?? [];
    expect(boxes).toHaveLength(Object.keys(welcome.states).length + 2);
    const arrows = svg.match(/marker-end="url\(#arrow\)"/g) ?? [];
    // Six distinct state-to-state edges (parallel ones share an arrow) and the trigger's.
    expect(arrows).toHaveLength(6 + 1);
    expect(svg).toContain('task-completed [event.outcome in pledged/gave] · donation');
    expect(svg).toContain('task-completed · no donation in 14d');
    expect(svg).toContain('Call; say &quot;thanks&quot; (due 48h)');
  });

  it('is deterministic', async () => {
    expect(await journeyToSvg(welcome)).toBe(svg);
  });

  it('wraps long details so a journey with many exits stays as narrow as its steps', async () => {
    const exits = ['unsubscribed', 'hard-bounced', 'removed'];
    const many = await journeyToSvg(JourneyDefinition.parse({ ...welcome, exits }));
    const detailLines = [...many.matchAll(/<g data-state="exited">.*?<\/g>/gs)][0]![0].match(/<text[^>]*>[^<]*<\/text>/g)!.slice(1);
    expect(detailLines).toHaveLength(2);
    for (const line of detailLines) expect(line.replace(/<[^>]+>/g, '').length).toBeLessThanOrEqual(44);
    expect(detailLines.map((line) => line.replace(/<[^>]+>/g, '')).join(' ')).toBe(`from any state: ${exits.join(', ')}`);
  });
});

describe('journeyLayout', () => {
  const majorGift = readJourneySource(readFileSync(new URL('../../journeys/major-gift-prospect.yaml', import.meta.url), 'utf8'), 'major-gift-prospect.yaml', productCatalog()).definition!;
  const liveCounts = (names: string[]) => Object.fromEntries(names.map((name, index) => [name, { current: index, entered: 1000 + index, left: 990, converted: 12 }]));

  it("fits major-gift-prospect, with live counts on every box, into a 1280 px page", async () => {
    const names = [...Object.keys(majorGift.states), 'exited'];
    const layout = await journeyLayout(majorGift, { counts: liveCounts(names) });
    expect(layout.width).toBeLessThanOrEqual(1280);
    for (const box of layout.states) expect(box.x + box.width, box.name).toBeLessThanOrEqual(layout.width);
    expect(layout.states.map((box) => box.name).sort()).toEqual(names.sort());
  });

  it('puts no edge label on another label or on a state, in any shipped journey', async () => {
    for (const { definition } of await loadJourneyCatalog()) {
      const layout = await journeyLayout(definition, { counts: liveCounts([...Object.keys(definition.states), 'goalReached', 'exited']) });
      const labels = layout.edges.map((edge) => ({ ...edge.labelBox, what: `${edge.from}->${edge.to} "${edge.label}"` }));
      const boxes = layout.states.map((box) => ({ ...box, what: `state ${box.name}` }));
      for (const [index, label] of labels.entries()) {
        for (const other of [...labels.slice(index + 1), ...boxes]) {
          expect(overlaps(label, other), `${definition.id}: ${label.what} overlaps ${other.what}`).toBe(false);
        }
      }
      for (const [index, box] of boxes.entries()) {
        for (const other of boxes.slice(index + 1)) expect(overlaps(box, other), `${definition.id}: ${box.what} overlaps ${other.what}`).toBe(false);
      }
    }
  });

  it('shows counts on the goal and exit boxes too, zeros where nobody has arrived yet', async () => {
    const svg = await journeyToSvg(welcome, { counts: { thanked: { current: 2, entered: 5, left: 3, converted: 1 }, goalReached: { current: 0, entered: 4, left: 0, converted: 4 } } });
    const countsOf = (state: string) => new RegExp(`<g data-state="${state}">.*?class="counts">([^<]*)<`, 's').exec(svg)?.[1];
    expect(countsOf('goalReached')).toBe('0 now · 4 entered · 0 left · 4 converted');
    expect(countsOf('exited')).toBe('0 now · 0 entered · 0 left · 0 converted');
    expect(countsOf('thanked')).toBe('2 now · 5 entered · 3 left · 1 converted');
  });

  it('keeps to the order the text lists the states in', async () => {
    const straight = JourneyDefinition.parse({
      id: 'order', name: 'Order', trigger: { event: 'donation' }, initial: 'a',
      states: { a: { choose: [{ to: 'b' }, { to: 'c' }] }, b: { final: true }, c: { final: true } },
    });
    const xOf = (layout: JourneyLayout, name: string) => layout.states.find((box) => box.name === name)!.x;
    const written = await journeyLayout(straight, { order: ['a', 'c', 'b'] });
    expect(xOf(written, 'c')).toBeLessThan(xOf(written, 'b'));
    const plain = await journeyLayout(straight);
    expect(xOf(plain, 'b')).toBeLessThan(xOf(plain, 'c'));
  });
});

function overlaps(a: LayoutBox, b: LayoutBox): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

describe('wrapWords', () => {
  it('breaks at spaces within the width and keeps a longer word whole', () => {
    expect(wrapWords('from any state: unsubscribed, hard-bounced', 20)).toEqual(['from any state:', 'unsubscribed,', 'hard-bounced']);
    expect(wrapWords('a supercalifragilistic b', 5)).toEqual(['a', 'supercalifragilistic', 'b']);
    expect(wrapWords('short', 44)).toEqual(['short']);
  });
});

/** A small well-formedness check: every tag closes in order, attributes are quoted. */
function isWellFormed(text: string): boolean {
  const stack: string[] = [];
  for (const match of text.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, closing, name, , selfClosing] = match;
    if (selfClosing) continue;
    if (closing) {
      if (stack.pop() !== name) return false;
    } else {
      stack.push(name!);
    }
  }
  const stripped = text.replace(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g, '');
  return stack.length === 0 && !/[<>]/.test(stripped);
}
