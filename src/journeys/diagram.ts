/**
 * Draws a journey from its definition: as Mermaid text (for READMEs, wikis and
 * the web app) and as a self-contained SVG (no browser, no external tool). Both
 * show every state with what it does, every way out of it with why, the goal and
 * the exits; optional counts turn the drawing into a live picture of a journey.
 */
import { transitionsOf, type Action, type Condition, type Delay, type JourneyDefinition, RESERVED_STATES } from './definition.ts';

export interface StateCounts {
  current?: number;
  entered?: number;
  left?: number;
  converted?: number;
}

export interface DiagramOptions {
  counts?: Record<string, StateCounts>;
}

interface Edge {
  from: string;
  to: string;
  label: string;
}

/** The journey as nodes and labelled edges, the common ground of both renderings. */
export function journeyGraph(definition: JourneyDefinition): { states: string[]; edges: Edge[]; decisions: Set<string> } {
  const edges: Edge[] = [];
  const decisions = new Set<string>();
  for (const [name, state] of Object.entries(definition.states)) {
    for (const [event, spec] of Object.entries(state.on ?? {})) {
      for (const transition of transitionsOf(spec)) edges.push({ from: name, to: transition.to, label: withConditions(event, transition.when) });
    }
    if (state.wait) {
      edges.push({ from: name, to: state.wait.to, label: withConditions(state.wait.for, state.wait.when) });
      edges.push({ from: name, to: state.wait.then, label: `no ${state.wait.for} ${describeDelay(state.wait.timeout, 'in')}` });
    }
    for (const timed of state.after ?? []) {
      const bound = timed.limit === undefined ? '' : ` (at most ${timed.limit}×)`;
      edges.push({ from: name, to: timed.to, label: `${describeDelay(timed.delay, 'after')}${bound}` });
    }
    if (state.choose) {
      decisions.add(name);
      for (const branch of state.choose) {
        edges.push({ from: name, to: branch.to, label: branch.when?.length ? `if ${describeConditions(branch.when)}` : 'otherwise' });
      }
    }
    if (state.split) {
      decisions.add(name);
      for (const branch of state.split) edges.push({ from: name, to: branch.to, label: `${branch.percent}%` });
    }
  }
  return { states: Object.keys(definition.states), edges, decisions };
}

/**
 * States in the order a constituent meets them: breadth-first from the initial
 * state, then any the transitions never reach. (Stored definitions are JSONB,
 * which does not keep the order states were written in.)
 */
export function statesInJourneyOrder(definition: JourneyDefinition): string[] {
  const { states, edges } = journeyGraph(definition);
  const ordered = [definition.initial];
  for (let index = 0; index < ordered.length; index++) {
    for (const edge of edges) {
      if (edge.from === ordered[index] && states.includes(edge.to) && !ordered.includes(edge.to)) ordered.push(edge.to);
    }
  }
  return [...ordered, ...states.filter((state) => !ordered.includes(state))];
}

export function describeAction(action: Action): string {
  switch (action.do) {
    case 'email':
      return `✉ email ${action.template}`;
    case 'sms':
      return `📱 sms ${action.template}`;
    case 'task':
      return `☎ task ${action.queue}: ${action.title}${action.due ? ` (due ${action.due})` : ''}`;
    case 'set':
      return `set ${action.attribute} = ${String(action.value)}`;
    case 'goal':
      return `★ goal ${action.name}`;
  }
}

export function describeConditions(conditions: readonly Condition[]): string {
  return conditions.map(describeCondition).join(' and ');
}

function describeCondition(condition: Condition): string {
  if ('any' in condition) return `(${condition.any.map(describeCondition).join(' or ')})`;
  if ('not' in condition) return `not ${describeCondition(condition.not)}`;
  const field = condition.field.replace(/^constituent\./, '');
  const symbols = { eq: '=', ne: '≠', gt: '>', gte: '≥', lt: '<', lte: '≤' } as const;
  for (const [op, symbol] of Object.entries(symbols) as [keyof typeof symbols, string][]) {
    if (condition[op] !== undefined) return `${field} ${symbol} ${String(condition[op])}`;
  }
  if (condition.in) return `${field} in ${condition.in.join('/')}`;
  if (condition.notIn) return `${field} not in ${condition.notIn.join('/')}`;
  if (condition.exists !== undefined) return condition.exists ? `${field} given` : `no ${field}`;
  if (condition.contains !== undefined) return `${field} contains ${condition.contains}`;
  if (condition.atLeastAhead !== undefined) return `${field} ≥ ${condition.atLeastAhead} ahead`;
  return field;
}

function withConditions(event: string, conditions: readonly Condition[] | undefined): string {
  return conditions?.length ? `${event} [${describeConditions(conditions)}]` : event;
}

function describeDelay(delay: Delay, word: 'after' | 'in'): string {
  if (typeof delay === 'string') return `${word} ${delay}`;
  return delay.by ? `${delay.by} before ${delay.before}` : `at ${delay.before}`;
}

function countsLabel(counts: StateCounts | undefined): string {
  if (!counts) return '';
  const parts = [
    counts.current !== undefined ? `${counts.current} now` : undefined,
    counts.entered !== undefined ? `${counts.entered} entered` : undefined,
    counts.left !== undefined ? `${counts.left} left` : undefined,
    counts.converted !== undefined ? `${counts.converted} converted` : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(' · ')})` : '';
}

/** Mermaid identifiers take letters, digits and underscores only. */
function mermaidIds(names: string[]): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const name of names) {
    let id = name.replace(/[^A-Za-z0-9_]/g, '_');
    while (used.has(id)) id += '_';
    used.add(id);
    ids.set(name, id);
  }
  return ids;
}

/** Characters Mermaid reads as syntax inside labels, written as its entity codes. */
function mermaidText(text: string): string {
  return text.replace(/[#;:"{}<>]/g, (char) => `#${char.charCodeAt(0)};`);
}

export function journeyToMermaid(definition: JourneyDefinition, options: DiagramOptions = {}): string {
  const { states, edges, decisions } = journeyGraph(definition);
  const extra = [...(definition.goal ? [RESERVED_STATES.goal] : []), RESERVED_STATES.exit];
  const ids = mermaidIds([...states, ...extra]);
  const lines = ['stateDiagram-v2', '  direction LR'];

  for (const name of states) {
    const state = definition.states[name]!;
    const id = ids.get(name)!;
    const label = `${name}${countsLabel(options.counts?.[name])}`;
    if (decisions.has(name) && !state.entry?.length && !options.counts?.[name]) {
      lines.push(`  state ${id} <<choice>>`);
      continue;
    }
    lines.push(`  state "${mermaidText(label)}" as ${id}`);
    for (const action of state.entry ?? []) lines.push(`  ${id} : ${mermaidText(describeAction(action))}`);
  }
  lines.push(`  [*] --> ${ids.get(definition.initial)} : ${mermaidText(withConditions(`${definition.trigger.event}${definition.trigger.first ? ' (first)' : ''}`, definition.trigger.when))}`);
  for (const edge of edges) lines.push(`  ${ids.get(edge.from)} --> ${ids.get(edge.to) ?? mermaidIds([edge.to]).get(edge.to)} : ${mermaidText(edge.label)}`);
  for (const name of states) {
    const state = definition.states[name]!;
    if (state.final) lines.push(`  ${ids.get(name)} --> [*]${state.outcome === 'converted' ? ' : converted' : ''}`);
  }
  if (definition.goal) {
    const goalId = ids.get(RESERVED_STATES.goal)!;
    lines.push(`  state "${mermaidText(`goal reached${countsLabel(options.counts?.[RESERVED_STATES.goal])}`)}" as ${goalId}`);
    lines.push(`  ${goalId} --> [*] : converted`);
    lines.push(`  note right of ${goalId}`);
    lines.push(`    from any state: ${mermaidText(withConditions(definition.goal.event, definition.goal.when))}`);
    lines.push('  end note');
  }
  if (definition.exits.length > 0) {
    const exitId = ids.get(RESERVED_STATES.exit)!;
    lines.push(`  state "${mermaidText(`exited${countsLabel(options.counts?.[RESERVED_STATES.exit])}`)}" as ${exitId}`);
    lines.push(`  ${exitId} --> [*] : exited`);
    lines.push(`  note right of ${exitId}`);
    lines.push(`    from any state: ${mermaidText(definition.exits.join(', '))}`);
    lines.push('  end note');
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------
// SVG: states laid out in columns by their distance from the initial state.

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const CHAR_WIDTH = 7.2;
const LINE_HEIGHT = 16;
const PAD = 10;
const COLUMN_GAP = 150;
const RESERVED_GAP = 56;
const ROW_GAP = 46;
const MARGIN = 24;
const TITLE_HEIGHT = 96;
/** Characters per line of a box's details (exits and goals can list many events). */
const DETAIL_WIDTH = 44;
const PALETTE = {
  ink: '#1f2933',
  muted: '#52606d',
  edge: '#616e7c',
  state: { fill: '#ffffff', stroke: '#3e4c59' },
  initial: { fill: '#e3f2fd', stroke: '#1565c0' },
  decision: { fill: '#fff8e1', stroke: '#b7791f' },
  completed: { fill: '#eceff1', stroke: '#455a64' },
  converted: { fill: '#e8f5e9', stroke: '#2e7d32' },
  exited: { fill: '#fdecea', stroke: '#c62828' },
};

interface Box {
  name: string;
  /** What the box says, unwrapped: its tooltip. */
  summary: string;
  /** The same, wrapped to the box's lines. */
  lines: string[];
  kind: keyof Omit<typeof PALETTE, 'ink' | 'muted' | 'edge'>;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Breaks text into lines of at most `width` characters at spaces; a longer word keeps a line of its own. */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

function xml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}

export function journeyToSvg(definition: JourneyDefinition, options: DiagramOptions = {}): string {
  const { states, edges, decisions } = journeyGraph(definition);
  const names = [...states, ...(definition.goal ? [RESERVED_STATES.goal] : []), ...(definition.exits.length ? [RESERVED_STATES.exit] : [])];

  // Columns: the longest path from the initial state once loops are set aside, so
  // every step of a journey reads left to right and only real loops point back.
  const column = layerColumns(definition.initial, states, edges);
  const lastColumn = Math.max(0, ...column.values());
  for (const name of states) if (!column.has(name)) column.set(name, lastColumn);
  if (definition.goal) column.set(RESERVED_STATES.goal, lastColumn + 1);
  if (definition.exits.length) column.set(RESERVED_STATES.exit, lastColumn + 1);

  const columnGap: number[] = [];
  const boxes = new Map<string, Box>();
  for (const name of names) {
    const state = definition.states[name];
    const title = `${name === RESERVED_STATES.goal ? 'goal reached' : name}${countsLabel(options.counts?.[name])}`;
    const detail =
      name === RESERVED_STATES.goal
        ? [`from any state: ${withConditions(definition.goal!.event, definition.goal!.when)}`]
        : name === RESERVED_STATES.exit
          ? [`from any state: ${definition.exits.join(', ')}`]
          : (state?.entry ?? []).map(describeAction);
    const kind: Box['kind'] =
      name === RESERVED_STATES.goal || state?.outcome === 'converted'
        ? 'converted'
        : name === RESERVED_STATES.exit
          ? 'exited'
          : state?.final
            ? 'completed'
            : decisions.has(name)
              ? 'decision'
              : name === definition.initial
                ? 'initial'
                : 'state';
    const lines = [title, ...detail.flatMap((line) => wrapWords(line, DETAIL_WIDTH))];
    const width = Math.max(110, Math.ceil(Math.max(...lines.map((line) => line.length)) * CHAR_WIDTH) + 2 * PAD);
    boxes.set(name, { name, summary: [title, ...detail].join('\n'), lines, kind, x: 0, y: 0, width, height: lines.length * LINE_HEIGHT + 2 * PAD });
  }

  // Parallel edges (same two states) are drawn once, their reasons side by side.
  const drawn: Edge[] = [];
  for (const edge of edges) {
    const twin = drawn.find((other) => other.from === edge.from && other.to === edge.to);
    if (twin) twin.label = `${twin.label} · ${edge.label}`;
    else drawn.push({ ...edge });
  }

  // Place columns left to right, each column's boxes top to bottom in definition order;
  // the gap after a column is wide enough for the labels of the edges leaving it.
  const columns = [...new Set([...column.values()])].sort((a, b) => a - b);
  let x = MARGIN;
  let height = 0;
  for (const index of columns) {
    const members = names.filter((name) => column.get(name) === index).map((name) => boxes.get(name)!);
    const width = Math.max(...members.map((box) => box.width));
    let y = TITLE_HEIGHT + MARGIN;
    for (const box of members) {
      box.x = x + (width - box.width) / 2;
      box.y = y;
      y += box.height + ROW_GAP;
    }
    height = Math.max(height, y);
    const leaving = drawn.filter((edge) => column.get(edge.from) === index && (column.get(edge.to) ?? 0) > index);
    // No arrow leads to the goal and exit boxes (they are reached from any state), so they sit closer.
    const gap = index === lastColumn && leaving.length === 0 ? RESERVED_GAP : Math.max(COLUMN_GAP, ...leaving.map((edge) => edge.label.length * 6.2 + 40));
    x += width + gap;
    columnGap.push(gap);
  }
  const width = x - (columnGap.at(-1) ?? COLUMN_GAP) + MARGIN;
  const legendY = height + 8;
  const totalHeight = legendY + 40;

  const parts: string[] = [];
  const title = `Journey: ${definition.name}`;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${totalHeight}" viewBox="0 0 ${width} ${totalHeight}" role="img" aria-label="${xml(title)}" font-family="${xml(FONT)}">`,
    `<title>${xml(title)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">' +
      `<path d="M 0 0 L 10 5 L 0 10 z" fill="${PALETTE.edge}"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#fafbfc"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 8}" font-size="18" font-weight="600" fill="${PALETTE.ink}">${xml(definition.name)}</text>`,
    `<text x="${MARGIN}" y="${MARGIN + 28}" font-size="12" fill="${PALETTE.muted}">${xml(`enrolls on ${withConditions(`${definition.trigger.event}${definition.trigger.first ? ' (first)' : ''}`, definition.trigger.when)} · re-entry: ${definition.reentry.policy}`)}</text>`,
  );

  // Edges first, so boxes sit on top of them.
  let backEdges = 0;
  let skipEdges = 0;
  for (const edge of drawn) {
    const from = boxes.get(edge.from);
    const to = boxes.get(edge.to);
    if (!from || !to) continue;
    let path: string;
    let labelX: number;
    let labelY: number;
    const fromColumn = column.get(edge.from) ?? 0;
    const toColumn = column.get(edge.to) ?? 0;
    if (toColumn > fromColumn + 1) {
      // A shortcut over intermediate columns arcs above the boxes it skips.
      skipEdges += 1;
      const x1 = from.x + from.width / 2;
      const y1 = from.y;
      const x2 = to.x + to.width / 2;
      const y2 = to.y;
      const top = Math.min(y1, y2) - 18 - 12 * (skipEdges % 3);
      path = `M ${x1} ${y1} C ${x1} ${top}, ${x2} ${top}, ${x2} ${y2}`;
      labelX = (x1 + x2) / 2;
      labelY = top + 6;
    } else if (toColumn > fromColumn) {
      const x1 = from.x + from.width;
      const y1 = from.y + from.height / 2;
      const x2 = to.x;
      const y2 = to.y + to.height / 2;
      const bend = (x2 - x1) / 2;
      path = `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
      labelX = (x1 + x2) / 2;
      labelY = (y1 + y2) / 2 - 6;
    } else if (toColumn === fromColumn && to.y > from.y) {
      // Down the same column: a short straight drop.
      const x1 = from.x + from.width / 2;
      const y1 = from.y + from.height;
      const x2 = to.x + to.width / 2;
      path = `M ${x1} ${y1} L ${x2} ${to.y}`;
      labelX = x1 + 8 + edge.label.length * 3.1;
      labelY = (y1 + to.y) / 2 + 4;
    } else {
      // Back edges loop under the boxes so they never cross them.
      backEdges += 1;
      const x1 = from.x + from.width / 2;
      const y1 = from.y + from.height;
      const x2 = to.x + to.width / 2;
      const y2 = to.y + to.height;
      const dip = Math.max(y1, y2) + 24 + 10 * backEdges;
      path = `M ${x1} ${y1} C ${x1} ${dip}, ${x2} ${dip}, ${x2} ${y2}`;
      labelX = (x1 + x2) / 2;
      labelY = dip - 2;
    }
    parts.push(`<path d="${path}" fill="none" stroke="${PALETTE.edge}" stroke-width="1.4" marker-end="url(#arrow)"/>`);
    parts.push(
      `<text x="${labelX.toFixed(1)}" y="${labelY.toFixed(1)}" font-size="11" text-anchor="middle" fill="${PALETTE.ink}" paint-order="stroke" stroke="#fafbfc" stroke-width="4">${xml(edge.label)}</text>`,
    );
  }
  // The trigger's arrow into the initial state.
  const initial = boxes.get(definition.initial);
  if (initial) {
    parts.push(`<circle cx="${initial.x - 18}" cy="${initial.y + initial.height / 2}" r="5" fill="${PALETTE.ink}"/>`);
    parts.push(
      `<path d="M ${initial.x - 13} ${initial.y + initial.height / 2} L ${initial.x} ${initial.y + initial.height / 2}" stroke="${PALETTE.edge}" stroke-width="1.4" marker-end="url(#arrow)"/>`,
    );
  }

  for (const name of names) {
    const box = boxes.get(name)!;
    const colors = PALETTE[box.kind];
    const shape =
      box.kind === 'decision'
        ? `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="4" fill="${colors.fill}" stroke="${colors.stroke}" stroke-width="1.5" stroke-dasharray="5 3"/>`
        : `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="10" fill="${colors.fill}" stroke="${colors.stroke}" stroke-width="${box.kind === 'state' ? 1.2 : 2}"/>`;
    // data-state lets a page or a test find a state's box and its counts.
    parts.push(`<g data-state="${xml(name)}"><title>${xml(box.summary)}</title>${shape}`);
    box.lines.forEach((line, index) => {
      const y = box.y + PAD + LINE_HEIGHT * (index + 1) - 4;
      parts.push(
        `<text x="${box.x + PAD}" y="${y}" font-size="${index === 0 ? 13 : 11}"${index === 0 ? ' font-weight="600"' : ''} fill="${index === 0 ? PALETTE.ink : PALETTE.muted}">${xml(line)}</text>`,
      );
    });
    parts.push('</g>');
  }

  const legend: [Box['kind'], string][] = [
    ['initial', 'first state'],
    ['state', 'state'],
    ['decision', 'decision'],
    ['converted', 'converted'],
    ['completed', 'completed'],
    ['exited', 'exited'],
  ];
  let legendX = MARGIN;
  for (const [kind, label] of legend) {
    const colors = PALETTE[kind];
    parts.push(`<rect x="${legendX}" y="${legendY}" width="14" height="14" rx="3" fill="${colors.fill}" stroke="${colors.stroke}"/>`);
    parts.push(`<text x="${legendX + 20}" y="${legendY + 11}" font-size="11" fill="${PALETTE.muted}">${xml(label)}</text>`);
    legendX += 28 + label.length * CHAR_WIDTH;
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/**
 * Longest-path layering: a depth-first walk from the initial state marks edges that
 * close a loop; over the remaining edges each state sits one column right of its
 * furthest predecessor.
 */
function layerColumns(initial: string, states: string[], edges: Edge[]): Map<string, number> {
  const loopEdges = new Set<Edge>();
  const visiting = new Set<string>();
  const done = new Set<string>();
  const walk = (name: string) => {
    visiting.add(name);
    for (const edge of edges.filter((candidate) => candidate.from === name)) {
      if (visiting.has(edge.to)) loopEdges.add(edge);
      else if (!done.has(edge.to)) walk(edge.to);
    }
    visiting.delete(name);
    done.add(name);
  };
  walk(initial);
  const column = new Map<string, number>();
  const place = (name: string): number => {
    const known = column.get(name);
    if (known !== undefined) return known;
    const incoming = edges.filter((edge) => edge.to === name && !loopEdges.has(edge) && done.has(edge.from) && edge.from !== name);
    const value = name === initial ? 0 : Math.max(0, ...incoming.map((edge) => place(edge.from) + 1));
    column.set(name, value);
    return value;
  };
  for (const name of states) if (done.has(name)) place(name);
  return column;
}
