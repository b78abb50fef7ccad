/** Publishing, confirmed: what the version changes against the live one, then the button that does it. */
import { stringify } from 'yaml';
import type { VersionChanges } from '../../journeys/version-changes.ts';
import { html, type Html } from '../html.ts';

export interface PublishConfirmation {
  journeyId: string;
  journeyName: string;
  version: number;
  changes: VersionChanges;
}

function names(list: string[]): Html {
  return list.length === 0 ? html`<span class="muted">none</span>` : html`${list.map((name, index) => html`${index > 0 ? ', ' : ''}<code>${name}</code>`)}`;
}

export function publishConfirmPage({ journeyId, journeyName, version, changes }: PublishConfirmation): Html {
  const against = changes.liveVersion === undefined ? 'Nothing is live yet: this version goes live for the first time.' : `Compared with version ${changes.liveVersion}, live now.`;
  return html`<nav class="crumbs" aria-label="Breadcrumb"><a href="/app/journeys">Journeys</a> › <a href="/app/journeys/${journeyId}">${journeyName}</a> › <span aria-current="page">Publish version ${version}</span></nav>
  <h1>Publish version ${version} of ${journeyName}?</h1>
  <p>New enrollments go to version ${version} from the moment it is published; people already in an earlier version stay on it. ${against}</p>
  <section class="panel" aria-labelledby="changes-title" data-testid="publish-changes">
    <h2 id="changes-title">What changes</h2>
    ${changes.same ? html`<p data-change="none">Nothing a constituent would notice: the states, messages and trigger are those of version ${changes.liveVersion}.</p>` : ''}
    <dl class="facts">
      <dt>States added</dt><dd data-change="states-added">${names(changes.states.added)}</dd>
      <dt>States removed</dt><dd data-change="states-removed">${names(changes.states.removed)}</dd>
      <dt>States changed</dt><dd data-change="states-changed">${names(changes.states.changed)}</dd>
      <dt>Messages now sent</dt><dd data-change="templates-added">${names(changes.templates.added)}</dd>
      <dt>Messages no longer sent</dt><dd data-change="templates-removed">${names(changes.templates.removed)}</dd>
      <dt>Trigger</dt><dd data-change="trigger">${
        changes.trigger === undefined
          ? html`<span class="muted">unchanged</span>`
          : html`${changes.trigger.before ? html`<p class="small">Was:</p><pre>${stringify(changes.trigger.before).trim()}</pre><p class="small">Becomes:</p>` : ''}<pre>${stringify(changes.trigger.after).trim()}</pre>`
      }</dd>
    </dl>
  </section>
  <form method="post" action="/app/journeys/${journeyId}/versions/${version}/publish" class="actions">
    <button type="submit">Publish version ${version}</button>
    <a class="button secondary" href="/app/journeys/${journeyId}?version=${version}">Cancel</a>
  </form>`;
}
