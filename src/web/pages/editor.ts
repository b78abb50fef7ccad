/**
 * The journey editor: the definition as text, its findings shown at their lines,
 * a simulation preview, and save / publish. Works as plain forms; the page's
 * script adds checking while typing.
 */
import type { SourceFinding } from '../../journeys/authoring.ts';
import type { JourneyDefinition } from '../../journeys/definition.ts';
import type { StateCounts } from '../../journeys/diagram.ts';
import type { SimulationResult } from '../../journeys/simulate.ts';
import { formatDuration } from '../../journeys/duration.ts';
import { diagramView } from '../diagram-view.ts';
import { html, type Html } from '../html.ts';

export interface EditorState {
  journeyId?: string | undefined;
  source: string;
  timeline: string;
  findings?: SourceFinding[] | undefined;
  /** Set once the text was checked and had no errors. */
  checkedOk?: boolean;
  simulation?: { definition: JourneyDefinition; result: SimulationResult; diagram: string } | undefined;
  /** The draft just saved, ready to publish. */
  saved?: { journeyId: string; version: number } | undefined;
}

export const SAMPLE_JOURNEY = `# A new journey. Lines starting with # are notes for people.
id: spring-appeal-thanks
name: Spring appeal thank-you
description: Thank spring appeal donors at once, and call the generous ones.
trigger:
  event: donation
  when:
    - { field: event.campaign, eq: spring-appeal }
initial: thanked
states:
  thanked:
    entry:
      - { do: email, template: first-gift-thank-you }
    # A gift of 250 or more also gets a call from a person.
    choose:
      - when: [{ field: trigger.amount, gte: 250 }]
        to: call
      - to: waiting
  call:
    entry:
      - { do: task, queue: stewardship, title: Call to thank a generous spring donor, due: 48h }
    on:
      task-completed: done
    after:
      - { delay: 30d, to: done }
  waiting:
    after:
      - { delay: 30d, to: done }
  done:
    final: true
`;

export const SAMPLE_TIMELINE = `{
  "constituent": { "firstName": "Ada" },
  "events": [
    { "at": "+0d", "type": "donation", "data": { "amount": 50, "currency": "USD", "campaign": "spring-appeal" } }
  ],
  "until": "+60d"
}`;

/**
 * The HTML parser drops one newline right after `<textarea>`; starting the content
 * with one keeps a text's own leading blank line, so its lines stay where findings say.
 */
const TEXTAREA_START = '\n';

function lineMarks(source: string, findings: SourceFinding[]): Html {
  const errorLines = new Map<number, string[]>();
  for (const finding of findings) {
    if (!finding.line) continue;
    errorLines.set(finding.line, [...(errorLines.get(finding.line) ?? []), finding.message]);
  }
  const count = source.split('\n').length;
  return html`<ol class="gutter" aria-hidden="true">${Array.from({ length: count }, (_, index) => {
    const messages = errorLines.get(index + 1);
    return messages ? html`<li class="error-line" title="${messages.join('; ')}">${index + 1}</li>` : html`<li>${index + 1}</li>`;
  })}</ol>`;
}

export function findingsList(findings: SourceFinding[]): Html {
  if (findings.length === 0) return html``;
  return html`<ul class="findings" id="findings" data-testid="findings">${findings.map(
    (finding) => html`<li class="${finding.severity}">
      <strong>${finding.severity === 'error' ? 'Error' : 'Warning'}</strong>
      ${finding.line ? html`<a href="#source" data-line="${finding.line}" data-column="${finding.column ?? 1}">line ${finding.line}${finding.column ? html`, column ${finding.column}` : ''}</a>` : ''}
      ${finding.path ? html`<code>${finding.path}</code>` : ''} ${finding.message}
    </li>`,
  )}</ul>`;
}

/** How many times the simulated constituent entered each state, to show on the diagram. */
export function simulationCounts(result: SimulationResult): Record<string, StateCounts> {
  const counts: Record<string, StateCounts> = {};
  for (const entry of result.entries) {
    if (entry.kind !== 'state') continue;
    counts[entry.to] = { entered: (counts[entry.to]?.entered ?? 0) + 1 };
  }
  return counts;
}

function simulationView(simulation: NonNullable<EditorState['simulation']>): Html {
  const { definition, result } = simulation;
  const describe = (entry: SimulationResult['entries'][number]): [string, string] => {
    switch (entry.kind) {
      case 'event':
        return ['event', `${entry.event} (${entry.effect})`];
      case 'facts':
        return ['facts', JSON.stringify(entry.facts)];
      case 'state':
        return ['state', `${entry.from ?? 'start'} → ${entry.to} (${entry.cause})${entry.status === 'active' ? '' : `, ${entry.status}`}`];
      case 'email':
      case 'sms':
        return [entry.kind, entry.template];
      case 'task':
        return ['task', `${entry.queue}: ${entry.title}`];
      case 'set':
        return ['set', `${entry.attribute} = ${String(entry.value)}`];
      case 'goal':
        return ['goal', entry.name];
    }
  };
  const outcome = result.enrollments.map((enrollment) => `enrollment ${enrollment.number}: ${enrollment.status} in ${enrollment.state}`).join('; ');
  return html`<section class="panel" aria-labelledby="simulation-title" data-testid="simulation">
    <h2 id="simulation-title">Simulation</h2>
    <p><strong>Outcome:</strong> ${outcome || 'nobody enrolled: the trigger did not match'}</p>
    ${diagramView(simulation.diagram, 'simulation-diagram', `Simulation of ${definition.name} drawn on its diagram`)}
    <table class="data compact"><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Detail</th></tr></thead>
    <tbody>${result.entries.map((entry) => {
      const [kind, detail] = describe(entry);
      return html`<tr><td>+${formatDuration(entry.at - result.start)}</td><td>${kind}</td><td>${detail}</td></tr>`;
    })}</tbody></table>
  </section>`;
}

export function editorPage(state: EditorState): Html {
  const findings = state.findings ?? [];
  const errors = findings.filter((finding) => finding.severity === 'error');
  const title = state.journeyId ? `Edit ${state.journeyId}` : 'New journey';
  const action = state.journeyId ? `/app/journeys/${state.journeyId}/edit` : '/app/journeys/new';
  return html`<nav class="crumbs" aria-label="Breadcrumb"><a href="/app/journeys">Journeys</a> › ${
    state.journeyId ? html`<a href="/app/journeys/${state.journeyId}">${state.journeyId}</a> › ` : ''
  }<span aria-current="page">${state.journeyId ? 'Edit' : 'New journey'}</span></nav>
  <h1>${title}</h1>
  <p class="muted">Write the journey in YAML. Saving makes a new draft version; running enrollments stay on the version they entered until you publish.</p>
  ${
    state.saved
      ? html`<div class="panel saved" role="status" data-testid="saved">
      <p>Saved as <strong>version ${state.saved.version}</strong> of <a href="/app/journeys/${state.saved.journeyId}">${state.saved.journeyId}</a>, a draft.</p>
      <p><a class="button" href="/app/journeys/${state.saved.journeyId}/versions/${state.saved.version}/publish">Review and publish version ${state.saved.version}</a></p>
    </div>`
      : ''
  }
  <form method="post" action="${action}" class="editor" data-editor>
    <div class="editor-head">
      <label for="source">Journey definition</label>
      <span class="status ${errors.length ? 'bad' : state.checkedOk ? 'good' : ''}" data-testid="check-status" aria-live="polite">${
        errors.length ? `${errors.length} error${errors.length === 1 ? '' : 's'}` : state.checkedOk ? 'No errors' : ''
      }</span>
    </div>
    <div class="code">
      ${lineMarks(state.source, findings)}
      <textarea id="source" name="source" spellcheck="false" autocapitalize="off" rows="${Math.max(18, state.source.split('\n').length + 2)}"
        aria-describedby="findings-region"${errors.length ? html` aria-invalid="true"` : ''}>${TEXTAREA_START}${state.source}</textarea>
    </div>
    <div id="findings-region" aria-live="polite">${findingsList(findings)}</div>
    <details${state.simulation ? html` open` : ''}>
      <summary>Simulation timeline</summary>
      <label for="timeline">Events for one made-up constituent (JSON): <code>at</code> is a time from the start, e.g. <code>+3d</code>.</label>
      <textarea id="timeline" name="timeline" spellcheck="false" rows="8">${TEXTAREA_START}${state.timeline}</textarea>
    </details>
    <div class="actions">
      <button type="submit" name="intent" value="check" class="secondary">Check</button>
      <button type="submit" name="intent" value="simulate" class="secondary">Simulate</button>
      <button type="submit" name="intent" value="save">Save draft</button>
    </div>
  </form>
  ${state.simulation ? simulationView(state.simulation) : ''}`;
}
