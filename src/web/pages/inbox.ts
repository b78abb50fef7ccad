/** The staff task inbox: tasks by queue with what each is for, overdue ones marked; claim, release, hand on, and complete with an outcome and notes. */
import type { ApiKeyView } from '../../auth/api-keys.ts';
import { apiScopes } from '../../auth/api-keys.ts';
import { may, type Principal } from '../../auth/permissions.ts';
import type { StaffTask } from '../../db/client.ts';
import { telHref, type TaskCard } from '../../tasks/card.ts';
import { formatAmount, formatLocalDay, formatLocalTime } from '../../tasks/card-format.ts';
import { queueName, taskQueues } from '../../tasks/queues.ts';
import { html, type Html } from '../html.ts';
import { badge, formatDate, statusTone, visuallyHidden, scrollHint } from '../layout.ts';

export interface InboxTask extends StaffTask {
  overdue: boolean;
  constituentName: string | null;
  journeyId: string | null;
  /** Outcomes the task's journey branches on, offered first. */
  outcomes: string[];
  /** What the task is for; without it the card shows the task alone. */
  card?: TaskCard | undefined;
}

export interface InboxData {
  queues: { id: string; name: string; description: string; open: number; claimed: number; overdue: number }[];
  queue: string;
  tasks: InboxTask[];
  /** The organisation's time zone, which the cards' times are shown in. */
  timeZone?: string;
}

/** Outcomes every journey accepts, offered after the journey's own. */
const COMMON_OUTCOMES = ['reached', 'left-message', 'no-answer', 'done'];

/**
 * What an outcome may be, for the browser to check as it is typed. Browsers compile
 * `pattern` with the `v` flag, where a bare `-` in a class is a syntax error that
 * silently turns the check off; escaped, it is the same rule as the server's.
 */
export const OUTCOME_PATTERN = '[a-z0-9][a-z0-9\\-]*';

/** What the person looking may do from a card: work the task, open the journey it came from. */
interface CardViewer {
  canWork: boolean;
  canOpenJourneys: boolean;
}

const cardViewer = (principal: Principal): CardViewer => ({ canWork: may(principal, 'tasks.work'), canOpenJourneys: may(principal, 'records.read') });

export function inboxPage(data: InboxData, principal: Principal): Html {
  const viewer = cardViewer(principal);
  const current = data.queues.find((queue) => queue.id === data.queue);
  const timeZone = data.timeZone ?? 'UTC';
  return html`<h1>Task inbox</h1>
  <nav class="tabs" aria-label="Queues"><ul>${data.queues.map(
    (queue) => html`<li><a href="/app/inbox?queue=${queue.id}"${queue.id === data.queue ? html` aria-current="page"` : ''}>${queue.name}
      <span class="count">${queue.open + queue.claimed}</span>${queue.overdue ? html` <span class="count overdue" title="overdue">${queue.overdue} overdue</span>` : ''}</a></li>`,
  )}</ul></nav>
  ${current ? html`<p class="muted">${current.description}</p>` : ''}
  ${
    data.tasks.length === 0
      ? html`<p class="empty">Nothing waiting in this queue. 🎉</p>`
      : html`<ul class="tasks" data-testid="tasks">${data.tasks.map((task) => taskCard(task, viewer, timeZone, `/app/inbox?queue=${data.queue}`))}</ul>`
  }`;
}

/** One task on a page of its own, where the queue's notification links to. */
export function taskPage(task: InboxTask, principal: Principal, timeZone: string): Html {
  const queue = queueName(task.queue);
  return html`<nav class="crumbs" aria-label="Breadcrumb"><a href="/app/inbox?queue=${task.queue}">${queue}</a> › <span aria-current="page">${task.title}</span></nav>
  <h1>${task.title}${task.constituentName ? html` <span class="muted">· ${task.constituentName}</span>` : ''}</h1>
  <ul class="tasks single">${taskCard(task, cardViewer(principal), timeZone, `/app/tasks/${task.id}`)}</ul>`;
}

function taskCard(task: InboxTask, viewer: CardViewer, timeZone: string, back: string): Html {
  const which = ` task: ${task.title}${task.constituentName ? `, ${task.constituentName}` : ''}`;
  const open = task.status === 'open' || task.status === 'claimed';
  return html`<li class="task${task.overdue ? ' is-overdue' : ''}" data-task="${task.id}">
    <div class="task-main">
      <h2 class="task-title"><a href="/app/tasks/${task.id}">${task.title}</a></h2>
      <p class="muted small">
        ${task.constituentId ? html`<a href="/app/constituents/${task.constituentId}">${task.constituentName ?? 'Constituent'}</a>` : ''}
        ${task.journeyId ? html` · journey ${journeyRef(task.journeyId, viewer)}` : ''}
      </p>
      <p class="small">${badge(task.status, statusTone[task.status])}${task.assignee ? html` <span class="muted">${task.assignee}</span>` : ''}
        ${task.dueAt ? html` · due <time datetime="${task.dueAt.toISOString()}">${formatLocalTime(task.dueAt, timeZone)}</time>` : ''}
        ${task.overdue ? html` ${badge('Overdue', 'bad')}` : ''}</p>
      ${task.status === 'completed' ? completion(task, timeZone) : ''}
      ${task.card ? cardDetails(task.card, timeZone) : ''}
    </div>
    ${viewer.canWork && open ? actions(task, which, back) : ''}
  </li>`;
}

/** The journey a task came from: a link for those who may open journeys, its id alone for staff, who may not. */
function journeyRef(journeyId: string, viewer: CardViewer): Html {
  return viewer.canOpenJourneys ? html`<a href="/app/journeys/${journeyId}">${journeyId}</a>` : html`<span data-testid="journey">${journeyId}</span>`;
}

function completion(task: InboxTask, timeZone: string): Html {
  return html`<p class="small" data-testid="completion">Completed with <strong>${task.outcome}</strong>${task.completedBy ? html` by ${task.completedBy}` : ''}${
    task.completedAt ? html` on <time datetime="${task.completedAt.toISOString()}">${formatLocalTime(task.completedAt, timeZone)}</time>` : ''
  }</p>${task.notes ? html`<blockquote class="notes small">${task.notes}</blockquote>` : ''}`;
}

/** Who, how to reach them, why the task exists, their giving, what they were sent, and earlier notes. */
function cardDetails(card: TaskCard, timeZone: string): Html {
  const person = card.constituent;
  return html`<dl class="facts card-facts small">
    ${person?.phone ? html`<dt>Phone</dt><dd><a href="${telHref(person.phone)}" data-testid="phone">${person.phone}</a></dd>` : ''}
    ${person?.email ? html`<dt>Email</dt><dd><a href="mailto:${person.email}" data-testid="email">${person.email}</a></dd>` : ''}
    ${card.cause ? html`<dt>Because</dt><dd data-testid="cause">${cause(card.cause, timeZone)}</dd>` : ''}
    <dt>Giving</dt><dd data-testid="giving">${
      card.giving.length === 0
        ? html`<span class="muted">no gifts recorded</span>`
        : card.giving.map(
            (row) =>
              html`<span class="giving-line">${row.count} gift${row.count === 1 ? '' : 's'}: ${formatAmount(row.lifetime, row.currency)} in all, ${formatAmount(row.thisYear, row.currency)} this year;
              first ${row.firstGiftAt ? formatLocalDay(row.firstGiftAt, timeZone) : '—'}, last ${row.lastGiftAt ? formatLocalDay(row.lastGiftAt, timeZone) : '—'}</span> `,
          )
    }</dd>
    <dt>Recently sent</dt><dd data-testid="recent-messages">${
      card.recentMessages.length === 0
        ? html`<span class="muted">nothing yet</span>`
        : html`<ul class="plain">${card.recentMessages.map(
            (message) => html`<li>${message.channel === 'email' ? 'Email' : 'Text'} ${message.subject ? html`“${message.subject}”` : message.template} · ${message.status} · ${formatLocalDay(message.at, timeZone)}</li>`,
          )}</ul>`
    }</dd>
    ${
      card.notes.length
        ? html`<dt>Notes</dt><dd data-testid="notes"><ul class="plain">${card.notes.map(
            (note) => html`<li><q>${note.notes}</q> <span class="muted">— ${note.title}${note.outcome ? `, ${note.outcome}` : ''}${note.by ? `, ${note.by}` : ''}${note.at ? `, ${formatLocalDay(note.at, timeZone)}` : ''}</span></li>`,
          )}</ul></dd>`
        : ''
    }
  </dl>`;
}

function cause(event: NonNullable<TaskCard['cause']>, timeZone: string): Html {
  const where = [event.campaign && `campaign ${event.campaign}`, event.fund && `fund ${event.fund}`, event.program && `program ${event.program}`].filter(Boolean).join(', ');
  const what = event.type === 'donation' ? `Gift of ${event.amount ? formatAmount(event.amount, event.currency) : 'an unrecorded amount'}` : event.type === 'registration' ? 'Registration' : `${event.type} event`;
  return html`${what}${where ? ` (${where})` : ''} on <time datetime="${event.occurredAt.toISOString()}">${formatLocalTime(event.occurredAt, timeZone)}</time>`;
}

function actions(task: InboxTask, which: string, back: string): Html {
  const outcomes = [...new Set([...task.outcomes, ...COMMON_OUTCOMES])];
  const listId = `outcomes-${task.id}`;
  const backField = html`<input type="hidden" name="back" value="${back}">`;
  return html`<div class="task-actions">
      ${
        task.status === 'open'
          ? html`<form method="post" action="/app/inbox/${task.id}/claim">${backField}<button type="submit" class="secondary">Claim${visuallyHidden(which)}</button></form>`
          : html`<form method="post" action="/app/inbox/${task.id}/release">${backField}<button type="submit" class="secondary">Release${visuallyHidden(which)}</button></form>`
      }
      <form method="post" action="/app/inbox/${task.id}/reassign" class="reassign">${backField}
        <label for="assignee-${task.id}">Hand to${visuallyHidden(which)}</label>
        <input id="assignee-${task.id}" name="assignee" maxlength="200" placeholder="a colleague’s name" autocomplete="off">
        <label for="queue-${task.id}">Queue${visuallyHidden(` for${which}`)}</label>
        <select id="queue-${task.id}" name="queue">${taskQueues.map((queue) => html`<option value="${queue.id}"${queue.id === task.queue ? html` selected` : ''}>${queue.name}</option>`)}</select>
        <button type="submit" class="secondary">Reassign${visuallyHidden(which)}</button>
      </form>
      <form method="post" action="/app/inbox/${task.id}/complete" class="complete">${backField}
        <label for="outcome-${task.id}">Outcome${visuallyHidden(` of${which}`)}</label>
        <input id="outcome-${task.id}" name="outcome" list="${listId}" required pattern="${OUTCOME_PATTERN}" maxlength="100" placeholder="${outcomes[0]}" autocomplete="off"
          title="a short word or phrase with dashes, e.g. no-answer">
        <datalist id="${listId}">${outcomes.map((outcome) => html`<option value="${outcome}"></option>`)}</datalist>
        <label for="notes-${task.id}">Notes${visuallyHidden(` on${which}`)}</label>
        <textarea id="notes-${task.id}" name="notes" rows="2" maxlength="5000" placeholder="What was said, what comes next"></textarea>
        <button type="submit">Complete${visuallyHidden(which)}</button>
      </form>
    </div>`;
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
  <div class="table-wrap">${scrollHint}<table class="data"><thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Scopes</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${keys.map(
    (key) => html`<tr><th scope="row">${key.name}</th><td><code>${key.prefix}…</code></td><td>${key.scopes.join(', ')}</td><td>${formatDate(key.lastUsedAt)}</td>
      <td>${key.revokedAt ? badge('revoked', 'bad') : badge('active', 'good')}</td>
      <td>${key.revokedAt ? '' : html`<form method="post" action="/app/keys/${key.id}/revoke" data-confirm="Revoke ${key.name}? It stops working at once."><button class="small quiet" type="submit">Revoke${visuallyHidden(` key ${key.name}`)}</button></form>`}</td></tr>`,
  )}</tbody></table></div>`;
}
