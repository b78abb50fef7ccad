/**
 * The visual builder's form, read: which button was pressed (`op`) and the fields
 * beside it, turned into one edit of the journey's YAML document. Every field a
 * state's forms send is named `<state>:<field>`, so one page holds every state's.
 */
import type { Document } from 'yaml';
import { comparisonOperators, type Condition, type ComparisonOperator } from '../journeys/definition.ts';
import {
  addAction,
  addState,
  connect,
  disconnect,
  JourneyEditError,
  removeAction,
  removeState,
  setExits,
  setFinal,
  setGoal,
  setInitial,
  setJourneyInfo,
  type BuilderAction,
  type Connection,
} from '../journeys/edits.ts';
import { eventFields, interactionTypes, journeyEventTypes, systemEventTypes, type InteractionType, type JourneyEventType } from '../journeys/vocabulary.ts';

export type BuilderForm = Record<string, string | string[] | undefined>;

/** What the builder offers in its lists: the templates and queues that exist. */
export interface BuilderVocabulary {
  emailTemplates: string[];
  smsTemplates: string[];
  taskQueues: string[];
}

/** Events an enrollment may leave on at once from any state (the schema's `exits`). */
export const exitEvents = systemEventTypes.filter((event) => event !== 'task-completed' && event !== 'delivery-failed');

/** Operators the builder's condition row offers, with words for people. */
export const operatorWords: Record<'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'exists', string> = {
  eq: 'is',
  ne: 'is not',
  gt: 'is more than',
  gte: 'is at least',
  lt: 'is less than',
  lte: 'is at most',
  in: 'is one of (commas between)',
  exists: 'is given (yes/no)',
};

const one = (form: BuilderForm, name: string): string => {
  const value = form[name];
  return ((Array.isArray(value) ? value[0] : value) ?? '').trim();
};

const many = (form: BuilderForm, name: string): string[] => [form[name] ?? []].flat().map((value) => value.trim()).filter(Boolean);

function eventOf(value: string, path: string): JourneyEventType {
  if ((journeyEventTypes as readonly string[]).includes(value)) return value as JourneyEventType;
  throw new JourneyEditError(path, `choose an event (${journeyEventTypes.join(', ')})`);
}

function required(form: BuilderForm, name: string, what: string): string {
  const value = one(form, name);
  if (!value) throw new JourneyEditError(name, `say ${what}`);
  return value;
}

/** One condition from a state's condition row, or none when its field is empty. */
export function conditionFrom(form: BuilderForm, prefix: string): Condition[] | undefined {
  const field = one(form, `${prefix}field`);
  if (!field) return undefined;
  const operator = one(form, `${prefix}operator`) || 'eq';
  if (!(comparisonOperators as readonly string[]).includes(operator)) throw new JourneyEditError(`${prefix}operator`, `"${operator}" is not a comparison`);
  const text = one(form, `${prefix}value`);
  const numeric = (raw: string) => (raw !== '' && Number.isFinite(Number(raw)) && isNumberField(field) ? Number(raw) : raw);
  let value: unknown;
  switch (operator as ComparisonOperator) {
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (!Number.isFinite(Number(text)) || text === '') throw new JourneyEditError(`${prefix}value`, `"${text}" is not a number to compare ${field} with`);
      value = Number(text);
      break;
    case 'in':
    case 'notIn':
      value = text.split(',').map((item) => numeric(item.trim())).filter((item) => item !== '');
      break;
    case 'exists':
      value = !/^(no|false)$/i.test(text);
      break;
    default:
      if (text === '') throw new JourneyEditError(`${prefix}value`, `say what ${field} is compared with`);
      value = /^(true|false)$/.test(text) ? text === 'true' : numeric(text);
  }
  return [{ field, [operator]: value } as Condition];
}

/** Whether a condition's field holds a number (`event.amount`, `constituent.giving.total`), so "100" is compared as 100. */
function isNumberField(field: string): boolean {
  const [scope, ...rest] = field.split('.');
  const name = rest.join('.');
  if (scope === 'constituent') return name.startsWith('giving.');
  return Object.values(eventFields).some((fields) => fields[name] === 'number');
}

function actionFrom(form: BuilderForm, state: string, vocabulary: BuilderVocabulary): BuilderAction {
  const kind = one(form, `${state}:action`);
  if (kind === 'email' || kind === 'sms') {
    const [channel, template] = one(form, `${state}:template`).split(':');
    if (!template) throw new JourneyEditError(`${state}:template`, `choose the ${kind} template to send`);
    if (channel !== kind) throw new JourneyEditError(`${state}:template`, `"${template}" is ${channel === 'sms' ? 'an SMS' : 'an email'} template; choose one for ${kind === 'sms' ? 'an SMS' : 'an email'}`);
    const known = kind === 'email' ? vocabulary.emailTemplates : vocabulary.smsTemplates;
    if (!known.includes(template)) throw new JourneyEditError(`${state}:template`, `there is no ${kind} template "${template}"`);
    return { do: kind, template };
  }
  if (kind === 'task') {
    const queue = required(form, `${state}:queue`, 'which queue the task goes to');
    const title = required(form, `${state}:title`, 'what the task asks staff to do');
    const due = one(form, `${state}:due`) || undefined;
    return { do: 'task', queue, title, due };
  }
  throw new JourneyEditError(`${state}:action`, 'choose an email, an SMS or a task');
}

function connectionFrom(form: BuilderForm, state: string): Connection {
  const way = one(form, `${state}:way`);
  const to = required(form, `${state}:to`, 'which state it leads to');
  const when = conditionFrom(form, `${state}:`);
  switch (way) {
    case 'on':
      return { kind: 'on', event: eventOf(one(form, `${state}:event`), `${state}:event`), to, when };
    case 'after':
      return { kind: 'after', delay: required(form, `${state}:delay`, 'how long to wait, e.g. 7d'), to };
    case 'wait':
      return {
        kind: 'wait',
        for: eventOf(one(form, `${state}:event`), `${state}:event`),
        to,
        when,
        timeout: required(form, `${state}:delay`, 'how long to wait before giving up, e.g. 14d'),
        then: required(form, `${state}:then`, 'which state to go to when the wait times out'),
      };
    case 'choose':
      return { kind: 'choose', to, when };
    case 'split': {
      const percent = Number(one(form, `${state}:percent`));
      if (!(percent > 0 && percent <= 100)) throw new JourneyEditError(`${state}:percent`, 'a split sends a share above 0 and at most 100 percent');
      return { kind: 'split', percent, to };
    }
    default:
      throw new JourneyEditError(`${state}:way`, 'choose how the step moves on: an event, a delay, a wait, a decision or a split');
  }
}

/**
 * Applies the edit the pressed button asks for. Returns false for the buttons that
 * edit nothing (redraw from the YAML, save); throws `JourneyEditError` for an edit
 * that cannot be made, leaving the document as it was.
 */
export function applyBuilderOp(document: Document, op: string, form: BuilderForm, vocabulary: BuilderVocabulary): boolean {
  const [name, state = '', ...rest] = op.split(':');
  switch (name) {
    case 'sync':
    case 'save':
      return false;
    case 'settings': {
      const trigger = one(form, 'trigger');
      if (trigger && !(interactionTypes as readonly string[]).includes(trigger)) throw new JourneyEditError('trigger', `choose what enrolls people (${interactionTypes.join(', ')})`);
      setJourneyInfo(document, { id: one(form, 'id'), name: one(form, 'name'), triggerEvent: (trigger || undefined) as InteractionType | undefined });
      return true;
    }
    case 'add-state':
      addState(document, required(form, 'newState', 'the new state’s name'));
      return true;
    case 'remove-state':
      removeState(document, state);
      return true;
    case 'initial':
      setInitial(document, state);
      return true;
    case 'add-action':
      addAction(document, state, actionFrom(form, state, vocabulary));
      return true;
    case 'remove-action':
      removeAction(document, state, Number(rest[0]));
      return true;
    case 'connect':
      connect(document, state, connectionFrom(form, state));
      return true;
    case 'disconnect': {
      const [kind, index, event] = rest;
      if (kind === 'wait') disconnect(document, state, { kind: 'wait' });
      else if (kind === 'on') disconnect(document, state, { kind: 'on', event: event ?? '', index: Number(index) });
      else if (kind === 'after' || kind === 'choose' || kind === 'split') disconnect(document, state, { kind, index: Number(index) });
      else throw new JourneyEditError(state, 'there is no such way out');
      return true;
    }
    case 'final': {
      const end = one(form, `${state}:end`);
      setFinal(document, state, end === 'completed' || end === 'converted' ? end : undefined);
      return true;
    }
    case 'goal-exits': {
      const goalEvent = one(form, 'goalEvent');
      setGoal(document, goalEvent ? { event: eventOf(goalEvent, 'goalEvent'), name: one(form, 'goalName') || undefined, when: conditionFrom(form, 'goal:') } : undefined);
      const exits = many(form, 'exits');
      for (const exit of exits) if (!(exitEvents as readonly string[]).includes(exit)) throw new JourneyEditError('exits', `"${exit}" cannot end a journey`);
      setExits(document, exits);
      return true;
    }
    default:
      throw new JourneyEditError('op', `the builder has no "${name}" step`);
  }
}
