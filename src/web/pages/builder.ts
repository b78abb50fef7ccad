/**
 * The visual journey builder: the journey's diagram, a form for each state (what
 * it does on entry, how it moves on, whether it ends the journey), the goal and
 * exits, and the YAML those forms edit in place. One form, so the YAML as it
 * stands travels with every button; an edit typed into the YAML redraws the rest.
 */
import type { SourceFinding } from '../../journeys/authoring.ts';
import { describeAction, describeConditions } from '../../journeys/diagram.ts';
import { transitionsOf, type Action, type Condition, type State } from '../../journeys/definition.ts';
import { constituentFields, eventFields, interactionTypes, journeyEventTypes } from '../../journeys/vocabulary.ts';
import { exitEvents, operatorWords, type BuilderVocabulary } from '../builder-form.ts';
import { diagramView } from '../diagram-view.ts';
import { html, type Html } from '../html.ts';
import { visuallyHidden } from '../layout.ts';
import { findingsList } from './editor.ts';

export interface BuilderState {
  journeyId?: string | undefined;
  source: string;
  findings: SourceFinding[];
  /** The text read as plain data, whatever its errors: the forms show what is there. */
  data: unknown;
  /** The diagram, when the text is a journey the schema accepts. */
  diagram?: string | undefined;
  vocabulary: BuilderVocabulary;
  /** An edit that could not be made, and why. */
  refused?: { path: string; message: string } | undefined;
  /** What the last button did, for the status line. */
  done?: string | undefined;
  saved?: { journeyId: string; version: number } | undefined;
}

/** The text a journey built from scratch starts as: its notes survive everything the builder does. */
export const BUILDER_STARTER = `# A journey built in Steward's journey builder.
# Lines starting with # are notes for people: the builder keeps them.
id: new-journey
name: New journey
trigger:
  event: donation # what enrolls someone
states: {}
`;

type Raw = Record<string, unknown>;
const asRecord = (value: unknown): Raw => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw) : {});
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Each way out of a state, described, with the reference its Remove button sends. */
function waysOut(state: State): { text: string; ref: string }[] {
  const ways: { text: string; ref: string }[] = [];
  const when = (conditions: Condition[] | undefined) => (conditions?.length ? ` if ${describeConditions(conditions)}` : '');
  for (const [event, spec] of Object.entries(state.on ?? {})) {
    transitionsOf(spec as never).forEach((transition, index) => ways.push({ text: `on ${event}${when(transition.when)} → ${transition.to}`, ref: `on:${index}:${event}` }));
  }
  asList(state.after).forEach((timer, index) => {
    const { delay, to } = asRecord(timer);
    ways.push({ text: `after ${typeof delay === 'string' ? delay : JSON.stringify(delay)} → ${String(to)}`, ref: `after:${index}` });
  });
  if (state.wait) {
    const wait = asRecord(state.wait);
    ways.push({ text: `wait for ${String(wait.for)}${when(wait.when as Condition[] | undefined)} → ${String(wait.to)}; if none in ${typeof wait.timeout === 'string' ? wait.timeout : JSON.stringify(wait.timeout)} → ${String(wait.then)}`, ref: 'wait' });
  }
  asList(state.choose).forEach((branch, index) => {
    const { to, when: conditions } = asRecord(branch);
    ways.push({ text: `decide: ${conditions ? `if ${describeConditions(conditions as Condition[])}` : 'otherwise'} → ${String(to)}`, ref: `choose:${index}` });
  });
  asList(state.split).forEach((branch, index) => {
    const { percent, to } = asRecord(branch);
    ways.push({ text: `split: ${String(percent)}% → ${String(to)}`, ref: `split:${index}` });
  });
  return ways;
}

function describeRawAction(action: unknown): string {
  const record = asRecord(action);
  return typeof record.do === 'string' ? describeAction(record as Action) : JSON.stringify(action);
}

const options = (values: readonly string[], selected?: string, words: Record<string, string> = {}) =>
  values.map((value) => html`<option value="${value}"${value === selected ? html` selected` : ''}>${words[value] ?? value}</option>`);

/** Field names a condition may test, for the condition row's suggestions. */
function conditionFields(): string[] {
  const fromEvents = new Set(Object.values(eventFields).flatMap((fields) => Object.keys(fields).map((name) => `event.${name}`)));
  return [...fromEvents, ...Object.keys(constituentFields).map((name) => `constituent.${name}`)];
}

function conditionRow(prefix: string, idPrefix: string, legend: string): Html {
  return html`<fieldset class="condition"><legend>${legend}</legend>
    <label for="${idPrefix}field">Field</label>
    <input id="${idPrefix}field" name="${prefix}field" list="condition-fields" placeholder="event.outcome" autocomplete="off">
    <label for="${idPrefix}operator">Test</label>
    <select id="${idPrefix}operator" name="${prefix}operator">${options(Object.keys(operatorWords), 'eq', operatorWords)}</select>
    <label for="${idPrefix}value">Value</label>
    <input id="${idPrefix}value" name="${prefix}value" autocomplete="off">
  </fieldset>`;
}

function stateSection(name: string, state: State, states: string[], initial: string | undefined, vocabulary: BuilderVocabulary): Html {
  const id = `state-${name}`;
  const entry = asList(state.entry);
  const ways = waysOut(state);
  const end = state.final ? (state.outcome === 'converted' ? 'converted' : 'completed') : '';
  const others = states;
  return html`<section class="builder-state panel" aria-labelledby="${id}-heading" data-builder-state="${name}">
    <h3 id="${id}-heading">${name}${name === initial ? html` <span class="badge info">first state</span>` : ''}${end ? html` <span class="badge neutral">ends: ${end}</span>` : ''}</h3>
    <h4>On entry</h4>
    ${
      entry.length === 0
        ? html`<p class="muted small">Does nothing on entry yet.</p>`
        : html`<ol class="builder-list">${entry.map(
            (action, index) => html`<li><span>${describeRawAction(action)}</span>
              <button type="submit" class="small quiet" name="op" value="remove-action:${name}:${index}">Remove${visuallyHidden(` action ${index + 1} of ${name}`)}</button></li>`,
          )}</ol>`
    }
    <fieldset class="builder-row" data-op-group><legend>Add an action${visuallyHidden(` to ${name}`)}</legend>
      <label for="${id}-action">Action</label>
      <select id="${id}-action" name="${name}:action">${options(['email', 'sms', 'task'], 'email', { email: 'Send an email', sms: 'Send an SMS', task: 'Give staff a task' })}</select>
      <label for="${id}-template">Template (email or SMS)</label>
      <select id="${id}-template" name="${name}:template">
        <option value="">—</option>
        <optgroup label="Email templates">${vocabulary.emailTemplates.map((template) => html`<option value="email:${template}">${template}</option>`)}</optgroup>
        <optgroup label="SMS templates">${vocabulary.smsTemplates.map((template) => html`<option value="sms:${template}">${template}</option>`)}</optgroup>
      </select>
      <label for="${id}-queue">Task queue</label>
      <select id="${id}-queue" name="${name}:queue">${options(vocabulary.taskQueues)}</select>
      <label for="${id}-title">Task title</label>
      <input id="${id}-title" name="${name}:title" autocomplete="off">
      <label for="${id}-due">Task due after</label>
      <input id="${id}-due" name="${name}:due" placeholder="48h" size="6" autocomplete="off">
      <button type="submit" class="small" name="op" value="add-action:${name}" data-op-default>Add action${visuallyHidden(` to ${name}`)}</button>
    </fieldset>
    <h4>Moves on</h4>
    ${
      ways.length === 0
        ? html`<p class="muted small">No way out yet${state.final ? ': it ends the journey' : ''}.</p>`
        : html`<ol class="builder-list">${ways.map(
            (way, index) => html`<li><span>${way.text}</span>
              <button type="submit" class="small quiet" name="op" value="disconnect:${name}:${way.ref}">Remove${visuallyHidden(` way out ${index + 1} of ${name}`)}</button></li>`,
          )}</ol>`
    }
    <fieldset class="builder-row" data-op-group><legend>Connect ${name} to another state</legend>
      <label for="${id}-way">How</label>
      <select id="${id}-way" name="${name}:way">${options(['after', 'on', 'wait', 'choose', 'split'], 'after', {
        after: 'After a delay',
        on: 'When an event arrives',
        wait: 'Wait for an event, or time out',
        choose: 'Decide at once (a branch)',
        split: 'Split (A/B, percent)',
      })}</select>
      <label for="${id}-event">Event</label>
      <select id="${id}-event" name="${name}:event">${options(journeyEventTypes, 'donation')}</select>
      <label for="${id}-delay">Delay or timeout</label>
      <input id="${id}-delay" name="${name}:delay" placeholder="7d" size="6" autocomplete="off">
      <label for="${id}-to">Leads to</label>
      <select id="${id}-to" name="${name}:to">${options(others.filter((other) => other !== name).concat(others.includes(name) ? [name] : []))}</select>
      <label for="${id}-then">On timeout, to</label>
      <select id="${id}-then" name="${name}:then">${options(others)}</select>
      <label for="${id}-percent">Percent (split)</label>
      <input id="${id}-percent" name="${name}:percent" inputmode="decimal" size="4" autocomplete="off">
      ${conditionRow(`${name}:`, `${id}-`, 'Only when (optional)')}
      <button type="submit" class="small" name="op" value="connect:${name}" data-op-default>Connect${visuallyHidden(` ${name}`)}</button>
    </fieldset>
    <div class="builder-row">
      <label for="${id}-end">Ends the journey</label>
      <select id="${id}-end" name="${name}:end">${options(['', 'completed', 'converted'], end, { '': 'No', completed: 'Yes: completed', converted: 'Yes: converted (the goal)' })}</select>
      <button type="submit" class="small secondary" name="op" value="final:${name}">Set ending${visuallyHidden(` of ${name}`)}</button>
      ${name === initial ? '' : html`<button type="submit" class="small secondary" name="op" value="initial:${name}">Make ${name} the first state</button>`}
      <button type="submit" class="small quiet" name="op" value="remove-state:${name}">Remove state ${name}</button>
    </div>
  </section>`;
}

function settingsSection(data: Raw): Html {
  const trigger = asRecord(data.trigger);
  return html`<fieldset class="builder-row panel" data-op-group><legend>The journey</legend>
    <label for="builder-id">Id (lower-case, dashes)</label>
    <input id="builder-id" name="id" value="${String(data.id ?? '')}" autocomplete="off" pattern="[a-z][a-z0-9\\-]*">
    <label for="builder-name">Name</label>
    <input id="builder-name" name="name" value="${String(data.name ?? '')}" autocomplete="off">
    <label for="builder-trigger">Enrolls people on</label>
    <select id="builder-trigger" name="trigger">${options(interactionTypes, String(trigger.event ?? 'donation'))}</select>
    <button type="submit" class="small" name="op" value="settings" data-op-default>Apply</button>
  </fieldset>`;
}

function goalSection(data: Raw): Html {
  const goal = asRecord(data.goal);
  const exits = Array.isArray(data.exits) ? (data.exits as string[]) : ['unsubscribed', 'hard-bounced', 'removed'];
  return html`<fieldset class="builder-row panel" data-op-group><legend>Goal and exits (from any state)</legend>
    <label for="builder-goal">Goal: converts when</label>
    <select id="builder-goal" name="goalEvent"><option value="">no goal</option>${options(journeyEventTypes, typeof goal.event === 'string' ? goal.event : undefined)}</select>
    <label for="builder-goal-name">Goal's name</label>
    <input id="builder-goal-name" name="goalName" value="${typeof goal.name === 'string' ? goal.name : ''}" placeholder="second-gift" autocomplete="off">
    ${conditionRow('goal:', 'builder-goal-', 'Goal only when (optional)')}
    <fieldset><legend>Leaves at once on</legend>
      ${exitEvents.map((exit) => html`<label class="check"><input type="checkbox" name="exits" value="${exit}"${exits.includes(exit) ? html` checked` : ''}> ${exit}</label>`)}
    </fieldset>
    <button type="submit" class="small" name="op" value="goal-exits" data-op-default>Set goal and exits</button>
  </fieldset>`;
}

export function builderPage(state: BuilderState): Html {
  const data = asRecord(state.data);
  const states = asRecord(data.states);
  const names = Object.keys(states);
  const initial = typeof data.initial === 'string' ? data.initial : undefined;
  const errors = state.findings.filter((finding) => finding.severity === 'error');
  const action = state.journeyId ? `/app/journeys/${state.journeyId}/build` : '/app/journeys/new/build';
  const title = state.journeyId ? `Build ${state.journeyId}` : 'Build a new journey';
  return html`<nav class="crumbs" aria-label="Breadcrumb"><a href="/app/journeys">Journeys</a> › ${
    state.journeyId ? html`<a href="/app/journeys/${state.journeyId}">${state.journeyId}</a> › ` : ''
  }<span aria-current="page">Builder</span></nav>
  <h1>${title}</h1>
  <p class="muted">Add states, say what each does and how it moves on; the diagram and the YAML follow each change, and notes in the YAML stay where they are.${
    state.journeyId ? html` Prefer text? <a href="/app/journeys/${state.journeyId}/edit">Edit the YAML alone</a>.` : ''
  }</p>
  <div role="status" aria-live="polite" data-testid="builder-status">${
    state.refused
      ? html`<p class="flash error">Not changed: ${state.refused.message}.</p>`
      : state.done
        ? html`<p class="flash ok">${state.done}</p>`
        : ''
  }</div>
  ${
    state.saved
      ? html`<div class="panel saved" role="status" data-testid="saved">
      <p>Saved as <strong>version ${state.saved.version}</strong> of <a href="/app/journeys/${state.saved.journeyId}">${state.saved.journeyId}</a>, a draft.</p>
      <form method="post" action="/app/journeys/${state.saved.journeyId}/versions/${state.saved.version}/publish"><button type="submit">Publish version ${state.saved.version}</button></form>
    </div>`
      : ''
  }
  <section class="panel" aria-labelledby="builder-diagram-title">
    <h2 id="builder-diagram-title">Diagram</h2>
    ${state.diagram ? diagramView(state.diagram, 'builder-diagram', `Diagram of ${String(data.name ?? 'the journey')}`) : html`<p class="muted">The diagram appears once the journey has states the format accepts.</p>`}
  </section>
  <form method="post" action="${action}" class="builder" data-builder>
    <datalist id="condition-fields">${conditionFields().map((field) => html`<option value="${field}"></option>`)}</datalist>
    ${settingsSection(data)}
    <h2>States</h2>
    ${names.length === 0 ? html`<p class="muted">No states yet: add the first one below.</p>` : ''}
    ${names.map((name) => stateSection(name, asRecord(states[name]) as State, names, initial, state.vocabulary))}
    <fieldset class="builder-row panel" data-op-group><legend>Add a state</legend>
      <label for="builder-new-state">New state's name</label>
      <input id="builder-new-state" name="newState" autocomplete="off" placeholder="thanked" pattern="[A-Za-z][A-Za-z0-9_\\-]*">
      <button type="submit" class="small" name="op" value="add-state" data-op-default>Add state</button>
    </fieldset>
    ${goalSection(data)}
    <section class="panel" aria-labelledby="builder-yaml-title">
      <h2 id="builder-yaml-title">YAML</h2>
      <div class="editor-head">
        <label for="source">Journey definition (YAML): every change above is made here, in place</label>
        <span class="status ${errors.length ? 'bad' : 'good'}" data-testid="check-status">${errors.length ? `${errors.length} error${errors.length === 1 ? '' : 's'}` : 'No errors'}</span>
      </div>
      <textarea id="source" name="source" class="yaml" spellcheck="false" autocapitalize="off" rows="${Math.max(12, state.source.split('\n').length + 1)}" aria-describedby="builder-findings"${
        errors.length ? html` aria-invalid="true"` : ''
      }>${'\n'}${state.source}</textarea>
      <div id="builder-findings" aria-live="polite">${findingsList(state.findings)}</div>
      <div class="actions">
        <button type="submit" name="op" value="sync" class="secondary">Redraw from YAML</button>
        <button type="submit" name="op" value="save">Save draft</button>
      </div>
    </section>
  </form>`;
}
