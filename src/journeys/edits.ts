/**
 * Edits to a journey's YAML text made in place on its `yaml` Document, so whatever
 * the author wrote around the change (comments, key order, state order, flow or
 * block style) survives. The visual builder is made of these operations; each
 * takes a Document and changes it, touching nothing else.
 */
import { isMap, isScalar, isSeq, Lexer, parseDocument, YAMLMap, YAMLSeq, type Document, type Node, type Pair } from 'yaml';
import type { Condition, Delay } from './definition.ts';
import { RESERVED_STATES } from './definition.ts';
import type { InteractionType, JourneyEventType } from './vocabulary.ts';

/** An edit that cannot be made as asked (a state that exists, one that does not), with the field it is about. */
export class JourneyEditError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'JourneyEditError';
  }
}

/** The actions the builder offers on entering a state. */
export type BuilderAction =
  | { do: 'email' | 'sms'; template: string; class?: 'transactional' | 'marketing' | undefined }
  | { do: 'task'; queue: string; title: string; due?: string | undefined }
  | { do: 'set'; attribute: string; value: string | number | boolean }
  | { do: 'goal'; name: string };

/** A way out of a state, as the builder connects two states. */
export type Connection =
  | { kind: 'on'; event: JourneyEventType; to: string; when?: Condition[] | undefined }
  | { kind: 'after'; delay: Delay; to: string }
  | { kind: 'wait'; for: JourneyEventType; to: string; timeout: Delay; then: string; when?: Condition[] | undefined }
  | { kind: 'choose'; to: string; when?: Condition[] | undefined }
  | { kind: 'split'; percent: number; to: string };

/** Which way out to remove: the event's n-th transition, the n-th timer, the wait, the n-th branch. */
export type ConnectionRef =
  | { kind: 'on'; event: string; index: number }
  | { kind: 'after'; index: number }
  | { kind: 'wait' }
  | { kind: 'choose'; index: number }
  | { kind: 'split'; index: number };

const STATE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Reads journey text for editing; a text that does not parse cannot be edited in place. */
export function openJourneySource(text: string): Document {
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) throw new JourneyEditError('', `the YAML does not parse: ${document.errors[0]!.message.split('\n')[0]}`);
  if (!isMap(document.contents)) throw new JourneyEditError('', 'the journey must be a mapping of keys (id, name, trigger, states…)');
  return document;
}

/**
 * The document as text again, after edits, written as journey files are: long lines
 * never folded, `{ do: email }` with spaces inside its braces and `[a, b]` without,
 * so a part the edit did not touch reads exactly as it was written. (yaml pads both
 * kinds of flow collection alike; the lexer's tokens find the brackets to unpad.)
 */
export function journeyText(document: Document): string {
  const padded = document.toString({ lineWidth: 0, flowCollectionPadding: true });
  const tokens = [...new Lexer().lex(padded)];
  let text = '';
  tokens.forEach((token, index) => {
    if (isLexerMarker(token)) return;
    if (/^ +$/.test(token) && (tokens[index - 1] === '[' || nextToken(tokens, index) === ']')) return;
    text += token;
  });
  return text;
}

/** The lexer's control tokens (document start, scalar, flow error end) carry no text. */
function isLexerMarker(token: string): boolean {
  return token.length === 1 && token.charCodeAt(0) < 0x20 && token !== '\n' && token !== '\t';
}

function nextToken(tokens: string[], index: number): string | undefined {
  for (let next = index + 1; next < tokens.length; next++) if (!isLexerMarker(tokens[next]!)) return tokens[next];
  return undefined;
}

/** The state names in the order the text lists them. */
export function stateOrder(document: Document): string[] {
  const states = document.get('states');
  if (!isMap(states)) return [];
  return states.items.flatMap((pair) => (isScalar(pair.key) && typeof pair.key.value === 'string' ? [pair.key.value] : []));
}

/** Adds an empty state after the last one; the first state added to a journey without one becomes its initial state. */
export function addState(document: Document, name: string): void {
  if (!STATE_NAME.test(name)) throw new JourneyEditError('states', `"${name}" is not a state name: start with a letter, then letters, digits, - and _`);
  if ((Object.values(RESERVED_STATES) as string[]).includes(name)) throw new JourneyEditError('states', `"${name}" is kept for the journey's goal and exits; choose another name`);
  if (!isMap(document.get('states', true))) setTopLevel(document, 'states', blockMap(document));
  const states = statesMap(document);
  // `states: {}` in a starter becomes a block once it has a state.
  if (states.flow && states.items.length === 0) states.flow = false;
  if (states.has(name)) throw new JourneyEditError(`states.${name}`, `there is already a state "${name}"`);
  states.set(document.createNode(name), blockMap(document));
  if (!document.has('initial') || stateOrder(document).length === 1) setTopLevel(document, 'initial', name);
}

/** Removes a state and every way into it; the initial state moves to the first one left. */
export function removeState(document: Document, name: string): void {
  const states = statesMap(document);
  const pair = findPair(states, name);
  if (!pair) throw new JourneyEditError(`states.${name}`, `there is no state "${name}"`);
  states.items.splice(states.items.indexOf(pair), 1);
  for (const other of states.items) if (isMap(other.value)) dropTransitionsTo(other.value, name);
  if (document.get('initial') === name) {
    const first = stateOrder(document)[0];
    if (first) document.set('initial', first);
    else document.delete('initial');
  }
}

/** Makes a state the one every enrollment starts in. */
export function setInitial(document: Document, name: string): void {
  stateMap(document, name);
  document.set('initial', name);
}

/** Appends an action to what a state does on entry. */
export function addAction(document: Document, stateName: string, action: BuilderAction): void {
  const state = stateMap(document, stateName);
  const existing = state.get('entry', true);
  let entry: YAMLSeq;
  if (isSeq(existing)) entry = existing;
  else {
    // What a state does on entry is read first: it goes before its ways out.
    entry = new YAMLSeq(document.schema);
    state.items.splice(state.has('description') ? 1 : 0, 0, document.createPair('entry', entry) as Pair);
  }
  entry.items.push(flowMap(document, withoutUndefined(action)));
}

/** Removes the n-th action a state does on entry (the list goes when it empties). */
export function removeAction(document: Document, stateName: string, index: number): void {
  const state = stateMap(document, stateName);
  const entry = state.get('entry', true);
  if (!isSeq(entry) || index < 0 || index >= entry.items.length) throw new JourneyEditError(`states.${stateName}.entry[${index}]`, 'there is no such action');
  entry.items.splice(index, 1);
  if (entry.items.length === 0) state.delete('entry');
}

/** Adds a way out of `from`: on an event, after a delay, a wait with its timeout, a decision branch or a split branch. */
export function connect(document: Document, from: string, connection: Connection): void {
  const state = stateMap(document, from);
  const targets = connection.kind === 'wait' ? [connection.to, connection.then] : [connection.to];
  for (const target of targets) {
    if (!findPair(statesMap(document), target)) throw new JourneyEditError(`states.${from}`, `there is no state "${target}" to lead to`);
  }
  switch (connection.kind) {
    case 'on': {
      const on = ensureMap(state, 'on', document);
      const transition = connection.when?.length ? flowMap(document, { to: connection.to, when: connection.when }) : document.createNode(connection.to);
      const existing = on.get(connection.event, true);
      if (existing === undefined) on.set(document.createNode(connection.event), transition);
      else if (isSeq(existing)) existing.items.push(asTransitionItem(document, transition));
      else {
        const list = new YAMLSeq(document.schema);
        list.items.push(asTransitionItem(document, existing as Node), asTransitionItem(document, transition));
        on.set(connection.event, list);
      }
      return;
    }
    case 'after':
      ensureSeq(state, 'after', document).items.push(flowMap(document, { delay: connection.delay, to: connection.to }));
      return;
    case 'wait': {
      const { for: event, to, timeout, then, when } = connection;
      const wait = blockMap(document);
      for (const [key, value] of Object.entries(withoutUndefined({ for: event, when: when?.length ? when : undefined, to, timeout, then }))) {
        wait.set(document.createNode(key), key === 'when' ? flowNode(document, value) : document.createNode(value));
      }
      state.set(document.createNode('wait'), wait);
      return;
    }
    case 'choose':
      ensureSeq(state, 'choose', document).items.push(flowMap(document, withoutUndefined({ when: connection.when?.length ? connection.when : undefined, to: connection.to })));
      return;
    case 'split':
      ensureSeq(state, 'split', document).items.push(flowMap(document, { percent: connection.percent, to: connection.to }));
      return;
    default:
      return unreachable(connection);
  }
}

/** Removes one way out of a state. */
export function disconnect(document: Document, from: string, ref: ConnectionRef): void {
  const state = stateMap(document, from);
  const missing = () => new JourneyEditError(`states.${from}`, 'there is no such way out');
  if (ref.kind === 'wait') {
    if (!state.has('wait')) throw missing();
    state.delete('wait');
    return;
  }
  if (ref.kind === 'on') {
    const on = state.get('on', true);
    if (!isMap(on) || !on.has(ref.event)) throw missing();
    const spec = on.get(ref.event, true);
    if (isSeq(spec)) {
      if (ref.index < 0 || ref.index >= spec.items.length) throw missing();
      spec.items.splice(ref.index, 1);
      if (spec.items.length > 0) return;
    } else if (ref.index !== 0) throw missing();
    on.delete(ref.event);
    if (on.items.length === 0) state.delete('on');
    return;
  }
  const list = state.get(ref.kind, true);
  if (!isSeq(list) || ref.index < 0 || ref.index >= list.items.length) throw missing();
  list.items.splice(ref.index, 1);
  if (list.items.length === 0) state.delete(ref.kind);
}

/** Marks a state as an end (`completed` or `converted`), or makes it an ordinary state again. */
export function setFinal(document: Document, stateName: string, outcome: 'completed' | 'converted' | undefined): void {
  const state = stateMap(document, stateName);
  if (outcome === undefined) {
    state.delete('final');
    state.delete('outcome');
    return;
  }
  state.set('final', true);
  if (outcome === 'converted') state.set('outcome', 'converted');
  else state.delete('outcome');
}

/** Sets the journey's goal (an event that converts from any state), or removes it. */
export function setGoal(document: Document, goal: { event: JourneyEventType; name?: string | undefined; when?: Condition[] | undefined } | undefined): void {
  if (!goal) {
    document.delete('goal');
    return;
  }
  const map = blockMap(document);
  map.set(document.createNode('event'), document.createNode(goal.event));
  if (goal.when?.length) map.set(document.createNode('when'), flowNode(document, goal.when));
  if (goal.name) map.set(document.createNode('name'), document.createNode(goal.name));
  const existing = document.get('goal', true);
  if (isMap(existing)) {
    // Keep the node (and the comments on it); replace what it says.
    existing.items = map.items;
    return;
  }
  setTopLevel(document, 'goal', map);
}

/** Sets the events that end an enrollment at once from any state. */
export function setExits(document: Document, exits: readonly string[]): void {
  const existing = document.get('exits', true);
  if (isSeq(existing)) {
    existing.items = exits.map((exit) => document.createNode(exit));
    return;
  }
  const list = new YAMLSeq(document.schema);
  list.flow = true;
  list.items = exits.map((exit) => document.createNode(exit));
  setTopLevel(document, 'exits', list);
}

/** Sets what the journey is called and what enrolls people in it; each field given is changed in place. */
export function setJourneyInfo(document: Document, info: { id?: string | undefined; name?: string | undefined; description?: string | undefined; triggerEvent?: InteractionType | undefined }): void {
  if (info.id !== undefined) {
    if (!/^[a-z][a-z0-9-]*$/.test(info.id)) throw new JourneyEditError('id', `"${info.id}" is not a journey id: lower-case letters, digits and dashes, e.g. spring-appeal-thanks`);
    setTopLevel(document, 'id', info.id);
  }
  if (info.name !== undefined) {
    if (!info.name.trim()) throw new JourneyEditError('name', 'a journey needs a name');
    setTopLevel(document, 'name', info.name.trim());
  }
  if (info.description !== undefined) {
    if (info.description.trim()) setTopLevel(document, 'description', info.description.trim());
    else document.delete('description');
  }
  if (info.triggerEvent !== undefined) {
    if (!isMap(document.get('trigger', true))) setTopLevel(document, 'trigger', blockMap(document));
    (document.get('trigger', true) as YAMLMap).set('event', info.triggerEvent);
  }
}

/** Sets a state's note for people (`description`), or removes it when empty. */
export function setDescription(document: Document, stateName: string, description: string): void {
  const state = stateMap(document, stateName);
  if (description.trim()) setFirst(document, state, 'description', description.trim());
  else state.delete('description');
}

// ---------------------------------------------------------------------------

/** Where a top-level key goes when the text has none yet: in the order journey files are written. */
const TOP_LEVEL_ORDER = ['id', 'name', 'description', 'version', 'trigger', 'reentry', 'limit', 'goal', 'exits', 'delivery', 'initial', 'states'];

function setTopLevel(document: Document, key: string, value: unknown): void {
  const root = document.contents as YAMLMap;
  if (root.has(key)) {
    root.set(key, value);
    return;
  }
  const rank = TOP_LEVEL_ORDER.indexOf(key);
  const at = root.items.findIndex((pair) => isScalar(pair.key) && TOP_LEVEL_ORDER.indexOf(String(pair.key.value)) > rank);
  const pair = document.createPair(key, value) as Pair;
  if (at === -1) root.items.push(pair);
  else root.items.splice(at, 0, pair);
}

function setFirst(document: Document, map: YAMLMap, key: string, value: unknown): void {
  if (map.has(key)) map.set(key, value);
  else map.items.unshift(document.createPair(key, value) as Pair);
}

function statesMap(document: Document): YAMLMap {
  const states = document.get('states', true);
  if (!isMap(states)) throw new JourneyEditError('states', 'the journey has no states yet');
  return states;
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => (isScalar(pair.key) ? pair.key.value : pair.key) === key) as Pair | undefined;
}

function stateMap(document: Document, name: string): YAMLMap {
  const pair = findPair(statesMap(document), name);
  if (!pair) throw new JourneyEditError(`states.${name}`, `there is no state "${name}"`);
  if (!isMap(pair.value)) {
    // `name:` with nothing, or `name: {}` written as a scalar: make it a map to edit.
    pair.value = blockMap(document);
  }
  const map = pair.value as YAMLMap;
  // An empty flow map (`{}`) becomes a block once it has something to say.
  if (map.flow && map.items.length === 0) map.flow = false;
  return map;
}

function ensureMap(map: YAMLMap, key: string, document?: Document): YAMLMap {
  const existing = map.get(key, true);
  if (isMap(existing)) return existing;
  const created = new YAMLMap(document?.schema);
  map.set(key, created);
  return created;
}

function ensureSeq(map: YAMLMap, key: string, document: Document): YAMLSeq {
  const existing = map.get(key, true);
  if (isSeq(existing)) return existing;
  const created = new YAMLSeq(document.schema);
  map.set(document.createNode(key), created);
  return created;
}

function blockMap(document: Document): YAMLMap {
  return new YAMLMap(document.schema);
}

/** A small map written on one line, as journey files write actions and transitions. */
function flowMap(document: Document, value: Record<string, unknown>): YAMLMap {
  const node = document.createNode(value) as YAMLMap;
  node.flow = true;
  return node;
}

function flowNode(document: Document, value: unknown): Node {
  const node = document.createNode(value) as Node & { flow?: boolean };
  if (isMap(node) || isSeq(node)) node.flow = true;
  return node;
}

/** A transition in a list: the shorthand `state` stays a scalar; a `{ to, when }` map stays on one line. */
function asTransitionItem(document: Document, node: Node): Node {
  if (isMap(node) && !node.flow && node.items.length <= 2) node.flow = true;
  return node ?? document.createNode(null);
}

/** Drops, from one state, every transition that leads to `target`. */
function dropTransitionsTo(state: YAMLMap, target: string): void {
  const leadsTo = (node: unknown) => (isScalar(node) ? node.value === target : isMap(node) && node.get('to') === target);
  const on = state.get('on', true);
  if (isMap(on)) {
    for (const pair of [...on.items]) {
      if (isSeq(pair.value)) {
        pair.value.items = pair.value.items.filter((item) => !leadsTo(item));
        if (pair.value.items.length > 0) continue;
      } else if (!leadsTo(pair.value)) continue;
      on.items.splice(on.items.indexOf(pair), 1);
    }
    if (on.items.length === 0) state.delete('on');
  }
  for (const key of ['after', 'choose', 'split']) {
    const list = state.get(key, true);
    if (!isSeq(list)) continue;
    list.items = list.items.filter((item) => !leadsTo(item));
    if (list.items.length === 0) state.delete(key);
  }
  const wait = state.get('wait', true);
  if (isMap(wait) && (wait.get('to') === target || wait.get('then') === target)) state.delete('wait');
}

function withoutUndefined<T extends object>(value: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined));
}

function unreachable(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
