/**
 * Checks a journey definition before it touches anyone: the shape (zod), then the
 * meaning: targets that exist, states that can be reached and can be left,
 * templates and task queues that exist, durations that parse, conditions on
 * fields the events really carry, and loops that would spin without waiting.
 * Every finding names the spot by its path in the document.
 */
import type { z } from 'zod';
import {
  JourneyDefinition,
  RESERVED_STATES,
  transitionsOf,
  type Action,
  type Condition,
  type Delay,
  type State,
} from './definition.ts';
import { parseSendWindow } from '../delivery/window.ts';
import { parseDuration } from './duration.ts';
import { checkMessageClasses, type TemplateClass } from './message-classes.ts';
import { constituentFields, eventFields, type FieldType, type InteractionType, type JourneyEventType } from './vocabulary.ts';

export type DiagnosticPath = (string | number)[];

export interface Diagnostic {
  severity: 'error' | 'warning';
  path: DiagnosticPath;
  message: string;
}

/** What exists outside the journey: templates by channel, and staff task queues. */
export interface ValidationCatalog {
  emailTemplates: ReadonlySet<string>;
  smsTemplates: ReadonlySet<string>;
  taskQueues: ReadonlySet<string>;
  /** The class a template declares (`class:` in its file), which steps sending it take unless they say otherwise. */
  templateClass?: TemplateClass;
  /** Templates written but with no version published yet (`email:spring-appeal`): known, but nothing would be sent. */
  unpublishedTemplates?: ReadonlySet<string>;
  /** Why a template cannot be sent by a journey with this trigger (variables it cannot fill); empty when it can. */
  templateProblems?: (channel: 'email' | 'sms', template: string, trigger: InteractionType) => string[];
}

export type ValidationResult =
  | { ok: true; definition: JourneyDefinition; diagnostics: Diagnostic[] }
  | { ok: false; definition?: JourneyDefinition; diagnostics: Diagnostic[] };

export function validateJourney(input: unknown, catalog: ValidationCatalog): ValidationResult {
  const parsed = JourneyDefinition.safeParse(input);
  if (!parsed.success) return { ok: false, diagnostics: fromZod(parsed.error) };
  const diagnostics = [...checkMeaning(parsed.data, catalog), ...checkMessageClasses(parsed.data, catalog.templateClass ?? (() => undefined))];
  const ok = !diagnostics.some((diagnostic) => diagnostic.severity === 'error');
  return ok ? { ok, definition: parsed.data, diagnostics } : { ok, definition: parsed.data, diagnostics };
}

/** `states.thanked.entry[0].template`: the path as people read it. */
export function formatPath(path: DiagnosticPath): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${key}` : key), '');
}

function fromZod(error: z.ZodError): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const issue of error.issues) {
    // A union's error is most useful as the errors of the branch the author meant.
    if (issue.code === 'invalid_union' && 'errors' in issue && issue.errors.length > 0) {
      const best = issue.errors.reduce((a, b) => (deepest(b) > deepest(a) ? b : a));
      if (deepest(best) > 0) {
        for (const inner of best) diagnostics.push({ severity: 'error', path: [...issue.path, ...inner.path] as DiagnosticPath, message: inner.message });
        continue;
      }
    }
    diagnostics.push({ severity: 'error', path: issue.path as DiagnosticPath, message: issue.message });
  }
  return diagnostics;
}

function deepest(issues: readonly { path: PropertyKey[] }[]): number {
  return Math.max(0, ...issues.map((issue) => issue.path.length));
}

type Edge = { to: string; path: DiagnosticPath; conditions: Condition[]; kind: 'event' | 'timer' | 'eventless'; zeroDelay?: boolean; limited?: boolean };

function checkMeaning(definition: JourneyDefinition, catalog: ValidationCatalog): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const error = (path: DiagnosticPath, message: string) => diagnostics.push({ severity: 'error', path, message });
  const warning = (path: DiagnosticPath, message: string) => diagnostics.push({ severity: 'warning', path, message });
  const stateNames = new Set(Object.keys(definition.states));
  const triggerType: JourneyEventType = definition.trigger.event;

  const checkTarget = (to: string, path: DiagnosticPath) => {
    if (!stateNames.has(to)) error(path, `unknown state "${to}"${suggest(to, stateNames)}`);
  };
  const checkDuration = (text: string, path: DiagnosticPath): number | undefined => {
    const parsed = parseDuration(text);
    if ('error' in parsed) {
      error(path, parsed.error);
      return undefined;
    }
    return parsed.ms;
  };
  /** Field checks: `event.` means the event being matched, absent where there is none. */
  const checkConditions = (conditions: readonly Condition[] | undefined, path: DiagnosticPath, eventType: JourneyEventType | undefined) => {
    for (const [index, condition] of (conditions ?? []).entries()) checkCondition(condition, [...path, index], eventType);
  };
  const checkCondition = (condition: Condition, path: DiagnosticPath, eventType: JourneyEventType | undefined) => {
    if ('any' in condition) return condition.any.forEach((inner, index) => checkCondition(inner, [...path, 'any', index], eventType));
    if ('not' in condition) return checkCondition(condition.not, [...path, 'not'], eventType);
    const type = fieldType(condition.field, eventType, triggerType);
    if ('error' in type) return error([...path, 'field'], type.error);
    if (condition.atLeastAhead !== undefined) {
      const ahead = parseDuration(condition.atLeastAhead);
      if ('error' in ahead) error([...path, 'atLeastAhead'], ahead.error);
      if (type.type !== 'datetime' && type.type !== 'any') error([...path, 'atLeastAhead'], `${condition.field} is ${article(type.type)}, not a date`);
    }
    const numeric = (['gt', 'gte', 'lt', 'lte'] as const).find((op) => condition[op] !== undefined);
    if (numeric && type.type !== 'number' && type.type !== 'any') {
      error([...path, numeric], `${condition.field} is ${article(type.type)}, not a number: "${numeric}" cannot compare it`);
    }
  };
  const checkDelay = (delay: Delay, path: DiagnosticPath): number | undefined => {
    if (typeof delay === 'string') return checkDuration(delay, path);
    const type = fieldType(delay.before, undefined, triggerType);
    if ('error' in type) error([...path, 'before'], type.error);
    else if (type.type !== 'datetime' && type.type !== 'any') error([...path, 'before'], `${delay.before} is ${article(type.type)}, not a date`);
    if (delay.by) checkDuration(delay.by, [...path, 'by']);
    return undefined;
  };
  if (definition.delivery?.window) {
    const window = parseSendWindow(definition.delivery.window.hours, definition.delivery.window.days);
    if ('error' in window) error(['delivery', 'window'], window.error);
  }
  /** Templates worth suggesting: those this journey's trigger can fill. */
  const usableTemplates = (channel: 'email' | 'sms') =>
    [...(channel === 'email' ? catalog.emailTemplates : catalog.smsTemplates)].filter(
      (template) => !catalog.templateProblems || catalog.templateProblems(channel, template, definition.trigger.event).length === 0,
    );
  const checkActions = (actions: readonly Action[] | undefined, path: DiagnosticPath) => {
    for (const [index, action] of (actions ?? []).entries()) {
      const at = [...path, index];
      if ((action.do === 'email' || action.do === 'sms') && catalog.unpublishedTemplates?.has(`${action.do}:${action.template}`)) {
        error([...at, 'template'], `the ${action.do === 'sms' ? 'SMS' : 'email'} template "${action.template}" has no published version: publish it before a journey sends it`);
      } else if (action.do === 'email' && !catalog.emailTemplates.has(action.template)) {
        error([...at, 'template'], `unknown email template "${action.template}"${suggest(action.template, usableTemplates('email'))}`);
      } else if (action.do === 'sms' && !catalog.smsTemplates.has(action.template)) {
        error([...at, 'template'], `unknown SMS template "${action.template}"${suggest(action.template, usableTemplates('sms'))}`);
      } else if ((action.do === 'email' || action.do === 'sms') && catalog.templateProblems) {
        // Variables this journey cannot fill: a blank in a donor's message, so refused now.
        for (const problem of catalog.templateProblems(action.do, action.template, definition.trigger.event)) error([...at, 'template'], problem);
      }
      if (action.do === 'task') {
        if (!catalog.taskQueues.has(action.queue)) error([...at, 'queue'], `unknown task queue "${action.queue}"${suggest(action.queue, catalog.taskQueues)}`);
        if (action.due) checkDuration(action.due, [...at, 'due']);
      }
    }
  };

  // The journey as a whole.
  checkConditions(definition.trigger.when, ['trigger', 'when'], triggerType);
  if (definition.trigger.within) checkDuration(definition.trigger.within, ['trigger', 'within']);
  if (definition.reentry.policy === 'once-per-period') {
    if (!definition.reentry.period) error(['reentry', 'period'], 'once-per-period needs a period, e.g. 365d');
    else checkDuration(definition.reentry.period, ['reentry', 'period']);
  } else if (definition.reentry.period) {
    warning(['reentry', 'period'], `a period has no effect with the "${definition.reentry.policy}" policy`);
  }
  if (definition.goal) checkConditions(definition.goal.when, ['goal', 'when'], definition.goal.event);
  if (!stateNames.has(definition.initial)) error(['initial'], `unknown state "${definition.initial}"${suggest(definition.initial, stateNames)}`);
  for (const reserved of Object.values(RESERVED_STATES)) {
    if (stateNames.has(reserved)) error(['states', reserved], `"${reserved}" is reserved for the journey's ${reserved === RESERVED_STATES.goal ? 'goal' : 'exits'}`);
  }

  // Each state, and the edges between them.
  const edges = new Map<string, Edge[]>();
  for (const [name, state] of Object.entries(definition.states)) {
    const at: DiagnosticPath = ['states', name];
    const out: Edge[] = [];
    edges.set(name, out);
    checkActions(state.entry, [...at, 'entry']);

    if (state.final) {
      for (const key of ['on', 'after', 'wait', 'choose', 'split'] as const) {
        if (state[key]) error([...at, key], 'a final state ends the enrollment; it cannot move on');
      }
      continue;
    }
    if (state.outcome) error([...at, 'outcome'], 'only a final state has an outcome');
    if (state.choose && state.split) error([...at, 'split'], 'a state either chooses by conditions or splits by percentage, not both');
    if ((state.choose || state.split) && (state.on || state.after || state.wait)) {
      error([...at, state.choose ? 'choose' : 'split'], 'a branching state moves on at once; its on, after and wait would never apply');
    }

    for (const [eventType, spec] of Object.entries(state.on ?? {}) as [JourneyEventType, State['on'] extends infer O ? O[keyof O] : never][]) {
      const list = transitionsOf(spec);
      list.forEach((transition, index) => {
        const path: DiagnosticPath = Array.isArray(spec) ? [...at, 'on', eventType, index] : [...at, 'on', eventType];
        const toPath = typeof (Array.isArray(spec) ? spec[index] : spec) === 'string' ? path : [...path, 'to'];
        checkTarget(transition.to, toPath);
        checkConditions(transition.when, [...path, 'when'], eventType);
        checkActions(transition.do, [...path, 'do']);
        out.push({ to: transition.to, path: toPath, conditions: transition.when ?? [], kind: 'event' });
      });
    }
    if (state.wait) {
      const wait = state.wait;
      checkTarget(wait.to, [...at, 'wait', 'to']);
      checkTarget(wait.then, [...at, 'wait', 'then']);
      checkConditions(wait.when, [...at, 'wait', 'when'], wait.for);
      const ms = checkDelay(wait.timeout, [...at, 'wait', 'timeout']);
      out.push({ to: wait.to, path: [...at, 'wait', 'to'], conditions: wait.when ?? [], kind: 'event' });
      out.push({ to: wait.then, path: [...at, 'wait', 'then'], conditions: [], kind: 'timer', zeroDelay: ms === 0 });
    }
    for (const [index, timed] of (state.after ?? []).entries()) {
      const path: DiagnosticPath = [...at, 'after', index];
      checkTarget(timed.to, [...path, 'to']);
      checkActions(timed.do, [...path, 'do']);
      const ms = checkDelay(timed.delay, [...path, 'delay']);
      out.push({ to: timed.to, path: [...path, 'to'], conditions: [], kind: 'timer', zeroDelay: ms === 0, limited: timed.limit !== undefined });
    }
    for (const [index, branch] of (state.choose ?? []).entries()) {
      checkTarget(branch.to, [...at, 'choose', index, 'to']);
      checkConditions(branch.when, [...at, 'choose', index, 'when'], undefined);
      out.push({ to: branch.to, path: [...at, 'choose', index, 'to'], conditions: branch.when ?? [], kind: 'eventless' });
    }
    if (state.choose && state.choose.every((branch) => branch.when && branch.when.length > 0)) {
      error([...at, 'choose'], 'when no branch holds the constituent is stuck here: end with a branch without "when" (otherwise)');
    }
    if (state.split) {
      const total = state.split.reduce((sum, branch) => sum + branch.percent, 0);
      if (Math.abs(total - 100) > 1e-9) error([...at, 'split'], `split percentages add up to ${total}, not 100`);
      state.split.forEach((branch, index) => {
        checkTarget(branch.to, [...at, 'split', index, 'to']);
        out.push({ to: branch.to, path: [...at, 'split', index, 'to'], conditions: [], kind: 'eventless' });
      });
    }

    if (out.length === 0) {
      error(at, 'this state is not final and has no way out: add on, after, wait, choose or split, or make it final');
    } else if (!out.some((edge) => edge.kind !== 'event')) {
      const events = [...new Set(Object.keys(state.on ?? {}))].join(', ');
      warning(at, `waits for ${events} with no timeout: a constituent who never does it stays here for good`);
    }
  }

  if (stateNames.has(definition.initial)) {
    // Reachability from the initial state.
    const reached = new Set<string>([definition.initial]);
    const frontier = [definition.initial];
    while (frontier.length > 0) {
      for (const edge of edges.get(frontier.pop()!) ?? []) {
        if (stateNames.has(edge.to) && !reached.has(edge.to)) {
          reached.add(edge.to);
          frontier.push(edge.to);
        }
      }
    }
    for (const name of stateNames) {
      if (!reached.has(name)) error(['states', name], `unreachable: no transition from "${definition.initial}" leads here`);
    }
  }

  for (const finding of endlessLoops(stateNames, edges)) error(finding.path, finding.message);

  // SMS without a consent check on the way in.
  const smsConsent = (conditions: readonly Condition[]) => conditions.some(mentionsSmsConsent);
  const triggerChecks = smsConsent(definition.trigger.when ?? []);
  for (const [name, state] of Object.entries(definition.states)) {
    const index = (state.entry ?? []).findIndex((action) => action.do === 'sms');
    if (index < 0 || triggerChecks) continue;
    const incoming = [...edges.values()].flat().filter((edge) => edge.to === name);
    const guarded = incoming.length > 0 && incoming.every((edge) => smsConsent(edge.conditions));
    if (!guarded) {
      warning(['states', name, 'entry', index], 'sends an SMS without checking constituent.consent.sms on the way here; the send is skipped at run time when consent is missing');
    }
  }
  return diagnostics;
}

/**
 * Progress: every loop of the state graph must wait for someone (an event in `on` or
 * `wait`). A loop made only of timers and decisions sends without end: at one instant
 * when its delays are zero or `before:` a date gone by, otherwise once a round until
 * the horizon. A `limit` on one of its timers bounds it.
 */
function endlessLoops(stateNames: ReadonlySet<string>, edges: ReadonlyMap<string, Edge[]>): { path: DiagnosticPath; message: string }[] {
  const findings: { path: DiagnosticPath; message: string }[] = [];
  const reported = new Set<string>();
  const report = (kind: (edge: Edge) => boolean, message: (loop: string) => string) => {
    for (const start of stateNames) {
      const cycle = findCycle(start, (name) => (edges.get(name) ?? []).filter(kind));
      const key = cycle && [...cycle].sort().join();
      if (!cycle || reported.has(key!)) continue;
      reported.add(key!);
      findings.push({ path: ['states', start], message: message([...cycle, cycle[0]].join(' -> ')) });
    }
  };
  report((edge) => edge.kind === 'eventless' || edge.zeroDelay === true, (loop) => `loop without a wait: ${loop} can repeat forever at one instant`);
  report(
    (edge) => edge.kind !== 'event' && !edge.limited,
    (loop) => `loop of timers: ${loop} repeats without waiting for any event, sending on every round; wait for an event on the way, or give one of its timers a limit`,
  );
  return findings;
}

function mentionsSmsConsent(condition: Condition): boolean {
  if ('any' in condition) return condition.any.every(mentionsSmsConsent);
  if ('not' in condition) return mentionsSmsConsent(condition.not);
  return condition.field === 'constituent.consent.sms';
}

/** The type of a field reference, or why it is not a field a journey can test. */
function fieldType(field: string, eventType: JourneyEventType | undefined, triggerType: JourneyEventType): { type: FieldType | 'any' } | { error: string } {
  const [root, ...rest] = field.split('.');
  const name = rest.join('.');
  if (root === 'constituent') {
    if (name.startsWith('attributes.') && name.length > 'attributes.'.length) return { type: 'any' };
    const type = constituentFields[name];
    return type ? { type } : { error: `unknown constituent field "${name}"${suggest(name, Object.keys(constituentFields).concat('attributes.<name>'))}` };
  }
  const type = root === 'trigger' ? triggerType : eventType;
  if (!type) return { error: `"${field}": there is no event here; test trigger.<field> or constituent.<field>` };
  if (type === 'custom' && root === 'event') return { type: 'any' };
  const fields = eventFields[type];
  const fieldTypeOf = fields[name];
  return fieldTypeOf ? { type: fieldTypeOf } : { error: `${type} events have no field "${name}"${suggest(name, Object.keys(fields))}` };
}

function findCycle(start: string, next: (name: string) => Edge[]): string[] | undefined {
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (name: string): string[] | undefined => {
    if (onPath.has(name)) return name === start ? [...path] : undefined;
    onPath.add(name);
    path.push(name);
    for (const edge of next(name)) {
      const found = visit(edge.to);
      if (found) return found;
    }
    path.pop();
    onPath.delete(name);
    return undefined;
  };
  return visit(start);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/**
 * ` (did you mean "thanked"?)` when a known name is one or two edits away, or else
 * contains the name whole (`thank-you` for `first-gift-thank-you`), the shortest first.
 */
function suggest(name: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = 3;
  const lower = name.toLowerCase();
  const containing: string[] = [];
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
    if (lower.length >= 3 && candidate.toLowerCase().includes(lower)) containing.push(candidate);
  }
  best ??= containing.sort((a, b) => a.length - b.length || a.localeCompare(b))[0];
  return best ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
