/**
 * Draws a journey from its definition: as Mermaid text (for READMEs, wikis and
 * the web app) and as a self-contained SVG (no browser, no external tool). Both
 * show every state with what it does, every way out of it with why, the goal and
 * the exits; optional counts turn the drawing into a live picture of a journey.
 */
import elkBundle from 'elkjs/lib/elk.bundled.js';
import type { ELK as ElkInstance, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import { transitionsOf, type Action, type Condition, type Delay, type JourneyDefinition, RESERVED_STATES } from './definition.ts';

export interface StateCounts {
  current?: number;
  entered?: number;
  left?: number;
  converted?: number;
}

export interface DiagramOptions {
  counts?: Record<string, StateCounts>;
  /** The states in the order the journey's text lists them; the layout keeps to it where it can. */
  order?: readonly string[];
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

// SVG: laid out by ELK's layered algorithm (elkjs), top to bottom, so a journey
// grows down the page and stays as wide as its widest step; edge labels are
// placed by the layout as boxes of their own, so they never sit on each other.

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const CHAR_WIDTH = 7.2;
const LABEL_CHAR_WIDTH = 6.2;
const LINE_HEIGHT = 16;
const LABEL_LINE_HEIGHT = 14;
const PAD = 10;
const MARGIN = 24;
const TITLE_HEIGHT = 64;
const RESERVED_GAP = 32;
/** Characters per line of a box's details (exits and goals can list many events). */
const DETAIL_WIDTH = 40;
/** Characters per line of an edge's label. */
const LABEL_WIDTH = 30;
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

export interface LayoutBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LaidOutState extends LayoutBox {
  name: string;
  /** What the box says, unwrapped: its tooltip. */
  summary: string;
  /** The same, wrapped to the box's lines: the name, its counts, what it does. */
  lines: string[];
  /** How many of the lines after the name are counts. */
  countLines: number;
  kind: keyof Omit<typeof PALETTE, 'ink' | 'muted' | 'edge'>;
}

export interface LaidOutEdge {
  from: string;
  to: string;
  label: string;
  /** The label's lines and where they sit. */
  labelBox: LayoutBox & { lines: string[] };
  /** The route as points, first at the source, last at the target. */
  points: { x: number; y: number }[];
}

/** Where everything of a journey's drawing goes, in SVG pixels. */
export interface JourneyLayout {
  width: number;
  height: number;
  states: LaidOutState[];
  edges: LaidOutEdge[];
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

/** Counts for a box: the ones given, and zeros for a state nobody has reached yet when counts are shown at all. */
function countsFor(name: string, options: DiagramOptions): StateCounts | undefined {
  if (!options.counts) return undefined;
  const given = options.counts[name];
  const zeros = { current: 0, entered: 0, left: 0, converted: 0 };
  // A simulation counts only entries; live counts carry all four.
  const shape = Object.values(options.counts)[0] ?? zeros;
  return given ?? Object.fromEntries(Object.keys(shape).map((key) => [key, 0]));
}

function stateBoxes(definition: JourneyDefinition, names: string[], decisions: Set<string>, options: DiagramOptions): LaidOutState[] {
  return names.map((name) => {
    const state = definition.states[name];
    const title = name === RESERVED_STATES.goal ? 'goal reached' : name;
    // Counts sit on a line of their own under the name, on every box the journey can end in too.
    const counts = countsLabel(countsFor(name, options)).replace(/^ \((.*)\)$/, '$1');
    const detail =
      name === RESERVED_STATES.goal
        ? [`from any state: ${withConditions(definition.goal!.event, definition.goal!.when)}`]
        : name === RESERVED_STATES.exit
          ? [`from any state: ${definition.exits.join(', ')}`]
          : (state?.entry ?? []).map(describeAction);
    const kind: LaidOutState['kind'] =
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
    const countLines = counts ? wrapWords(counts, DETAIL_WIDTH) : [];
    const lines = [title, ...countLines, ...detail.flatMap((line) => wrapWords(line, DETAIL_WIDTH))];
    const width = Math.max(110, Math.ceil(Math.max(...lines.map((line) => line.length)) * CHAR_WIDTH) + 2 * PAD);
    const summary = [counts ? `${title} (${counts})` : title, ...detail].join('\n');
    return { name, summary, lines, countLines: countLines.length, kind, x: 0, y: 0, width, height: lines.length * LINE_HEIGHT + 2 * PAD };
  });
}

/** An edge label's lines: each reason of merged parallel edges on lines of its own. */
function labelLines(label: string): string[] {
  return label.split(' · ').flatMap((part) => wrapWords(part, LABEL_WIDTH));
}

/** elkjs is a CommonJS module whose export is the ELK class (its typings describe an ES module). */
const ELK = elkBundle as unknown as new () => ElkInstance;
let elk: ElkInstance | undefined;

/** Lays the journey out: states and their labelled edges by ELK, the goal and exit boxes in a row beneath. */
export async function journeyLayout(definition: JourneyDefinition, options: DiagramOptions = {}): Promise<JourneyLayout> {
  const { states, edges, decisions } = journeyGraph(definition);
  const order = options.order ? [...options.order.filter((name) => states.includes(name)), ...states.filter((name) => !options.order!.includes(name))] : states;
  const reserved = [...(definition.goal ? [RESERVED_STATES.goal] : []), ...(definition.exits.length ? [RESERVED_STATES.exit] : [])];
  const boxes = stateBoxes(definition, order, decisions, options);
  const reservedBoxes = stateBoxes(definition, reserved, decisions, options);

  // Parallel edges (same two states) are drawn once, their reasons one under the other.
  const drawn: Edge[] = [];
  for (const edge of edges) {
    const twin = drawn.find((other) => other.from === edge.from && other.to === edge.to);
    if (twin) twin.label = `${twin.label} · ${edge.label}`;
    else if (states.includes(edge.to)) drawn.push({ ...edge });
  }
  // The layout keeps to the order of its nodes and edges: both follow the text's order of states.
  drawn.sort((a, b) => order.indexOf(a.from) - order.indexOf(b.from) || order.indexOf(a.to) - order.indexOf(b.to));

  elk ??= new ELK();
  const graph: ElkNode = {
    id: 'journey',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.layered.crossingMinimization.forceNodeModelOrder': 'false',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.spacing.nodeNode': '28',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
      'elk.spacing.edgeLabel': '6',
      'elk.spacing.labelLabel': '6',
      'elk.spacing.edgeEdge': '14',
      'elk.layered.spacing.edgeNodeBetweenLayers': '16',
      'elk.edgeLabels.inline': 'false',
      'elk.layered.edgeLabels.sideSelection': 'SMART_DOWN',
      'elk.separateConnectedComponents': 'true',
      'elk.randomSeed': '1',
    },
    children: boxes.map((box) => ({ id: box.name, width: box.width, height: box.height })),
    edges: drawn.map((edge, index) => {
      const lines = labelLines(edge.label);
      return {
        id: `e${index}`,
        sources: [edge.from],
        targets: [edge.to],
        labels: [{ id: `l${index}`, text: edge.label, width: Math.ceil(Math.max(...lines.map((line) => line.length)) * LABEL_CHAR_WIDTH) + 8, height: lines.length * LABEL_LINE_HEIGHT + 4 }],
      };
    }),
  };
  const laid = await elk.layout(graph);

  const left = MARGIN + 24; // room for the trigger's dot and arrow beside the first state
  const top = TITLE_HEIGHT + MARGIN;
  for (const box of boxes) {
    const node = laid.children!.find((child: ElkNode) => child.id === box.name)!;
    box.x = left + node.x!;
    box.y = top + node.y!;
  }
  const laidEdges: LaidOutEdge[] = drawn.map((edge, index) => {
    const elkEdge = (laid.edges as ElkExtendedEdge[]).find((candidate) => candidate.id === `e${index}`)!;
    const section = elkEdge.sections?.[0];
    const points = section ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint].map((point) => ({ x: left + point.x, y: top + point.y })) : [];
    const label = elkEdge.labels![0]!;
    return {
      from: edge.from,
      to: edge.to,
      label: edge.label,
      labelBox: { x: left + label.x!, y: top + label.y!, width: label.width!, height: label.height!, lines: labelLines(edge.label) },
      points,
    };
  });

  // The goal and the exit are reached from any state: no arrows, a row of their own below.
  let x = left;
  const belowGraph = top + (laid.height ?? 0) + RESERVED_GAP;
  for (const box of reservedBoxes) {
    box.x = x;
    box.y = belowGraph;
    x += box.width + RESERVED_GAP;
  }
  const all = [...boxes, ...reservedBoxes];
  const right = Math.max(x - RESERVED_GAP, ...all.map((box) => box.x + box.width), ...laidEdges.map((edge) => edge.labelBox.x + edge.labelBox.width), MARGIN + 520);
  const bottom = Math.max(...all.map((box) => box.y + box.height), ...laidEdges.map((edge) => edge.labelBox.y + edge.labelBox.height));
  return { width: Math.ceil(right + MARGIN), height: Math.ceil(bottom + 8 + 40), states: all, edges: laidEdges };
}

/** The journey as a self-contained SVG, laid out by `journeyLayout`. */
export async function journeyToSvg(definition: JourneyDefinition, options: DiagramOptions = {}): Promise<string> {
  const layout = await journeyLayout(definition, options);
  const { width, height } = layout;
  const legendY = height - 40;
  const parts: string[] = [];
  const title = `Journey: ${definition.name}`;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${xml(title)}" font-family="${xml(FONT)}">`,
    `<title>${xml(title)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">' +
      `<path d="M 0 0 L 10 5 L 0 10 z" fill="${PALETTE.edge}"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#fafbfc"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 8}" font-size="18" font-weight="600" fill="${PALETTE.ink}">${xml(definition.name)}</text>`,
    `<text x="${MARGIN}" y="${MARGIN + 28}" font-size="12" fill="${PALETTE.muted}">${xml(`enrolls on ${withConditions(`${definition.trigger.event}${definition.trigger.first ? ' (first)' : ''}`, definition.trigger.when)} · re-entry: ${definition.reentry.policy}`)}</text>`,
  );

  // Edges first, so boxes sit on top of them; labels last of all.
  for (const edge of layout.edges) {
    if (edge.points.length < 2) continue;
    const path = edge.points.map((point, index) => `${index === 0 ? 'M' : 'L'} ${point.x.toFixed(1)} ${point.y.toFixed(1)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${PALETTE.edge}" stroke-width="1.4" marker-end="url(#arrow)"/>`);
  }
  // The trigger's arrow into the initial state.
  const initial = layout.states.find((box) => box.name === definition.initial);
  if (initial) {
    parts.push(`<circle cx="${initial.x - 18}" cy="${initial.y + initial.height / 2}" r="5" fill="${PALETTE.ink}"/>`);
    parts.push(
      `<path d="M ${initial.x - 13} ${initial.y + initial.height / 2} L ${initial.x} ${initial.y + initial.height / 2}" stroke="${PALETTE.edge}" stroke-width="1.4" marker-end="url(#arrow)"/>`,
    );
  }

  for (const box of layout.states) {
    const colors = PALETTE[box.kind];
    const shape =
      box.kind === 'decision'
        ? `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="4" fill="${colors.fill}" stroke="${colors.stroke}" stroke-width="1.5" stroke-dasharray="5 3"/>`
        : `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="10" fill="${colors.fill}" stroke="${colors.stroke}" stroke-width="${box.kind === 'state' ? 1.2 : 2}"/>`;
    // data-state lets a page or a test find a state's box and its counts.
    parts.push(`<g data-state="${xml(box.name)}"><title>${xml(box.summary)}</title>${shape}`);
    box.lines.forEach((line, index) => {
      const y = box.y + PAD + LINE_HEIGHT * (index + 1) - 4;
      const role = index === 0 ? 'name' : index <= box.countLines ? 'counts' : 'detail';
      const style = { name: ' font-size="13" font-weight="600"', counts: ' font-size="11" font-weight="600"', detail: ' font-size="11"' }[role];
      parts.push(`<text x="${box.x + PAD}" y="${y}"${style} fill="${role === 'detail' ? PALETTE.muted : PALETTE.ink}"${role === 'counts' ? ' class="counts"' : ''}>${xml(line)}</text>`);
    });
    parts.push('</g>');
  }

  for (const edge of layout.edges) {
    const { labelBox } = edge;
    parts.push(`<g class="edge-label"><title>${xml(edge.label)}</title>`);
    parts.push(`<rect x="${labelBox.x.toFixed(1)}" y="${labelBox.y.toFixed(1)}" width="${labelBox.width}" height="${labelBox.height}" rx="3" fill="#fafbfc" fill-opacity="0.92"/>`);
    labelBox.lines.forEach((line, index) => {
      const y = labelBox.y + 2 + LABEL_LINE_HEIGHT * (index + 1) - 3;
      parts.push(`<text x="${(labelBox.x + labelBox.width / 2).toFixed(1)}" y="${y.toFixed(1)}" font-size="11" text-anchor="middle" fill="${PALETTE.ink}">${xml(line)}</text>`);
    });
    parts.push('</g>');
  }

  const legend: [LaidOutState['kind'], string][] = [
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
