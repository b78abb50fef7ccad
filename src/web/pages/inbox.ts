/** The staff task inbox: tasks by queue, overdue ones marked, claim, and complete with an outcome the journey understands. */
import type { ApiKeyView } from '../../auth/api-keys.ts';
import { apiScopes } from '../../auth/api-keys.ts';
import { may, type Principal } from '../../auth/permissions.ts';
import type { StaffTask } from '../../db/client.ts';
import { html, type Html } from '../html.ts';
import { badge, formatDate, statusTone, visuallyHidden } from '../layout.ts';

export interface InboxTask extends StaffTask {
  overdue: boolean;
  constituentName: string | null;
  journeyId: string | null;
  /** Outcomes the task's journey branches on, offered first. */
  outcomes: string[];
}

export interface InboxData {
  queues: { id: string; name: string; description: string; open: number; claimed: number; overdue: number }[];
  queue: string;
  tasks: InboxTask[];
}

/** Outcomes every journey accepts, offered after the journey's own. */
const COMMON_OUTCOMES = ['reached', 'left-message', 'no-answer', 'done'];

export function inboxPage(data: InboxData, principal: Principal): Html {
  const canWork = may(principal, 'tasks.work');
  const current = data.queues.find((queue) => queue.id === data.queue);
  return html`<h1>Task inbox</h1>
  <nav class="tabs" aria-label="Queues"><ul>${data.queues.map(
    (queue) => html`<li><a href="/app/inbox?queue=${queue.id}"${queue.id === data.queue ? html` aria-current="page"` : ''}>${queue.name}
      <span class="count">${queue.open + queue.claimed}</span>${queue.overdue ? html` <span class="count overdue" title="overdue">${queue.overdue} overdue</span>` : ''}</a></li>`,
  )}</ul></nav>
  ${current ? html`<p class="muted">${current.description}</p>` : ''}
  ${
    data.tasks.length === 0
      ? html`<p class="empty">Nothing waiting in this queue. 🎉</p>`
      : html`<ul class="tasks" data-testid="tasks">${data.tasks.map((task) => taskCard(task, canWork))}</ul>`
  }`;
}

function taskCard(task: InboxTask, canWork: boolean): Html {
  const outcomes = [...new Set([...task.outcomes, ...COMMON_OUTCOMES])];
  const listId = `outcomes-${task.id}`;
  const which = ` task: ${task.title}${task.constituentName ? `, ${task.constituentName}` : ''}`;
  return html`<li class="task${task.overdue ? ' is-overdue' : ''}" data-task="${task.id}">
    <div class="task-main">
      <h2 class="task-title">${task.title}</h2>
      <p class="muted small">
        ${task.constituentId ? html`<a href="/app/constituents/${task.constituentId}">${task.constituentName ?? 'Constituent'}</a>` : ''}
        ${task.journeyId ? html` · journey <a href="/app/journeys/${task.journeyId}">${task.journeyId}</a>` : ''}
      </p>
      <p class="small">${badge(task.status, statusTone[task.status])}${task.assignee ? html` <span class="muted">${task.assignee}</span>` : ''}
        ${task.dueAt ? html` · due <time datetime="${task.dueAt.toISOString()}">${formatDate(task.dueAt)}</time>` : ''}
        ${task.overdue ? html` ${badge('Overdue', 'bad')}` : ''}</p>
    </div>
    ${
      canWork
        ? html`<div class="task-actions">
      ${
        task.status === 'open'
          ? html`<form method="post" action="/app/inbox/${task.id}/claim"><button type="submit" class="secondary">Claim${visuallyHidden(which)}</button></form>`
          : ''
      }
      ${
        task.status === 'open' || task.status === 'claimed'
          ? html`<form method="post" action="/app/inbox/${task.id}/complete" class="complete">
        <label for="outcome-${task.id}">Outcome${visuallyHidden(` of${which}`)}</label>
        <input id="outcome-${task.id}" name="outcome" list="${listId}" required pattern="[a-z0-9][a-z0-9-]*" placeholder="${outcomes[0]}" autocomplete="off"
          title="a short word or phrase with dashes, e.g. no-answer">
        <datalist id="${listId}">${outcomes.map((outcome) => html`<option value="${outcome}"></option>`)}</datalist>
        <button type="submit">Complete${visuallyHidden(which)}</button>
      </form>`
          : ''
      }
    </div>`
        : ''
    }
  </li>`;
}

export function keysPage(keys: ApiKeyView[], created?: { key: string; name: string }): Html {
  return html`<h1>API keys</h1>
  <p class="muted">Keys let integrations and people reach Steward. Only a fingerprint is stored: a new key is shown once.</p>
  ${
    created
      ? html`<div class="panel saved" role="status"><p>New key for <strong>${created.name}</strong>. Copy it now; it will not be shown again.</p>
    <p><code class="secret" data-testid="new-key">${created.key}</code></p></div>`
      : ''
  }
  <section class="panel" aria-labelledby="new-key-title">
    <h2 id="new-key-title">Make a key</h2>
    <form method="post" action="/app/keys" class="stack">
      <label for="key-name">Who or what holds it</label>
      <input id="key-name" name="name" required maxlength="100" placeholder="Donation form, or Maria (stewardship)">
      <fieldset><legend>Scopes</legend>
        ${apiScopes.map(
          (scope) => html`<label class="check"><input type="checkbox" name="scopes" value="${scope}"${scope === 'read' ? html` checked` : ''}> ${scope}
          <span class="muted small">${{ ingest: 'send events and constituents in', read: 'see everything', staff: 'work the task inbox', admin: 'everything, plus journeys and keys' }[scope]}</span></label>`,
        )}
      </fieldset>
      <button type="submit">Make key</button>
    </form>
  </section>
  <table class="data"><thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Scopes</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${keys.map(
    (key) => html`<tr><th scope="row">${key.name}</th><td><code>${key.prefix}…</code></td><td>${key.scopes.join(', ')}</td><td>${formatDate(key.lastUsedAt)}</td>
      <td>${key.revokedAt ? badge('revoked', 'bad') : badge('active', 'good')}</td>
      <td>${key.revokedAt ? '' : html`<form method="post" action="/app/keys/${key.id}/revoke" data-confirm="Revoke ${key.name}? It stops working at once."><button class="small quiet" type="submit">Revoke${visuallyHidden(` key ${key.name}`)}</button></form>`}</td></tr>`,
  )}</tbody></table>`;
}
