/** Finding a constituent, and one page with everything about them: details, consent, journeys, and the timeline. */
import { may, type Principal } from '../../auth/permissions.ts';
import type { Constituent } from '../../db/client.ts';
import type { TimelineEntry } from '../../constituents/directory.ts';
import { html, type Html } from '../html.ts';
import { badge, formatDate, formatMoney, statusTone, visuallyHidden, scrollHint } from '../layout.ts';

const fullName = (constituent: Pick<Constituent, 'firstName' | 'lastName' | 'email'>) =>
  [constituent.firstName, constituent.lastName].filter(Boolean).join(' ') || constituent.email || 'Unnamed constituent';

export function constituentsList(query: string, rows: Constituent[], nextCursor: string | null): Html {
  return html`<h1>Constituents</h1>
  <form class="search" method="get" action="/app/constituents" role="search">
    <label for="q">Search by email or name</label>
    <div class="inline"><input id="q" name="q" type="search" value="${query}" placeholder="ada@ or Lovelace" autocomplete="off"><button type="submit">Search</button></div>
  </form>
  ${
    rows.length === 0
      ? html`<p class="muted">${query ? 'Nobody matches.' : 'No constituents yet.'}</p>`
      : html`<div class="table-wrap">${scrollHint}<table class="data"><thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Phone</th><th scope="col">Added</th></tr></thead>
    <tbody>${rows.map(
      (row) => html`<tr><th scope="row"><a href="/app/constituents/${row.id}">${fullName(row)}</a></th><td>${row.email ?? '—'}</td><td>${row.phone ?? '—'}</td><td>${formatDate(row.createdAt)}</td></tr>`,
    )}</tbody></table></div>`
  }
  ${nextCursor ? html`<p><a class="button secondary" href="/app/constituents?${new URLSearchParams({ ...(query ? { q: query } : {}), cursor: nextCursor }).toString()}">Next page</a></p>` : ''}`;
}

export interface ConstituentPageData {
  constituent: Constituent & {
    consents: { channel: string; status: string; source: string; recordedAt: Date }[];
    giving: { currency: string | null; total: string; gifts: number; lastGiftAt: Date | null }[];
    openTasks: number;
  };
  enrollments: {
    id: string;
    journeyId: string;
    version: number;
    status: string;
    currentState: string;
    enteredAt: Date;
    exitedAt: Date | null;
    exitReason: string | null;
    goalName: string | null;
  }[];
  timeline: TimelineEntry[];
  nextCursor: string | null;
}

const kindIcon: Record<TimelineEntry['kind'], string> = { event: '●', journey: '➜', message: '✉', task: '☎', consent: '✓' };

type EnrollmentRow = ConstituentPageData['enrollments'][number];

export function constituentPage(data: ConstituentPageData, principal: Principal): Html {
  const { constituent } = data;
  // Admins may take someone out of a journey still running; ended ones have nothing to act on.
  const removable = may(principal, 'enrollments.remove') && data.enrollments.some((row) => row.status === 'active');
  const consent = (channel: 'email' | 'sms') => data.constituent.consents.find((item) => item.channel === channel);
  return html`<nav class="crumbs" aria-label="Breadcrumb"><a href="/app/constituents">Constituents</a> › <span aria-current="page">${fullName(constituent)}</span></nav>
  <h1>${fullName(constituent)}</h1>
  <div class="grid-3">
    <section class="panel" aria-labelledby="details-title">
      <h2 id="details-title">Details</h2>
      <dl class="facts">
        <dt>Email</dt><dd>${constituent.email ?? '—'}</dd>
        <dt>Phone</dt><dd>${constituent.phone ?? '—'}</dd>
        <dt>Time zone</dt><dd>${constituent.timezone ?? 'organisation default'}</dd>
        ${Object.entries(constituent.attributes as Record<string, unknown>).map(([key, value]) => html`<dt>${key}</dt><dd>${String(value)}</dd>`)}
      </dl>
    </section>
    <section class="panel" aria-labelledby="consent-title">
      <h2 id="consent-title">Consent</h2>
      <dl class="facts">${(['email', 'sms'] as const).map((channel) => {
        const given = consent(channel);
        return html`<dt>${channel === 'email' ? 'Email' : 'SMS'}</dt><dd>${given ? html`${badge(given.status, statusTone[given.status])} <span class="muted small">${given.source}, ${formatDate(given.recordedAt)}</span>` : html`<span class="muted">not given</span>`}</dd>`;
      })}</dl>
      ${may(principal, 'records.ingest') ? consentForm(constituent) : ''}
    </section>
    <section class="panel" aria-labelledby="giving-title">
      <h2 id="giving-title">Giving</h2>
      ${
        constituent.giving.length === 0
          ? html`<p class="muted">No gifts recorded.</p>`
          : html`<dl class="facts">${constituent.giving.map(
              (row) => html`<dt>${row.gifts} gift${row.gifts === 1 ? '' : 's'}</dt><dd>${row.currency ? formatMoney(row.total, row.currency) : row.total} <span class="muted small">last ${formatDate(row.lastGiftAt)}</span></dd>`,
            )}</dl>`
      }
      <p class="muted small">${data.constituent.openTasks} open staff task${data.constituent.openTasks === 1 ? '' : 's'}</p>
    </section>
  </div>
  <section class="panel" aria-labelledby="journeys-title">
    <h2 id="journeys-title">Journeys</h2>
    ${
      data.enrollments.length === 0
        ? html`<p class="muted">Not enrolled in any journey.</p>`
        : html`<div class="table-wrap">${scrollHint}<table class="data" data-testid="enrollments"><thead><tr><th scope="col">Journey</th><th scope="col">Where</th><th scope="col">Status</th><th scope="col">Entered</th><th scope="col">Ended</th>${removable ? html`<th scope="col">Actions</th>` : ''}</tr></thead>
      <tbody>${data.enrollments.map(
        (row) => html`<tr data-enrollment="${row.id}"><th scope="row"><a href="/app/journeys/${row.journeyId}">${row.journeyId}</a> <span class="muted small">v${row.version}</span></th>
          <td data-testid="current-state">${row.currentState}</td><td>${badge(row.status, statusTone[row.status])}${row.goalName ? html` <span class="muted small">${row.goalName}</span>` : ''}${row.exitReason ? html` <span class="muted small">${row.exitReason}</span>` : ''}</td>
          <td>${formatDate(row.enteredAt)}</td><td>${formatDate(row.exitedAt)}</td>${removable ? html`<td>${row.status === 'active' ? removeForm(constituent, row) : ''}</td>` : ''}</tr>`,
      )}</tbody></table></div>`
    }
  </section>
  <section class="panel" aria-labelledby="timeline-title">
    <h2 id="timeline-title">Timeline</h2>
    ${
      data.timeline.length === 0
        ? html`<p class="muted">Nothing yet.</p>`
        : html`<ol class="timeline" data-testid="timeline">${data.timeline.map(
            (entry) => html`<li class="kind-${entry.kind}">
          <span class="dot" aria-hidden="true">${kindIcon[entry.kind]}</span>
          <div><div>${entry.kind === 'message' ? html`<a href="/app/messages/${entry.id}" data-testid="message-link">${entry.summary}</a>` : entry.summary}${entry.status && (entry.kind === 'message' || entry.kind === 'task' || entry.kind === 'consent') ? html` ${badge(entry.status, statusTone[entry.status])}` : ''}</div>
          <time datetime="${entry.at.toISOString()}" class="muted small">${formatDate(entry.at)}</time></div>
        </li>`,
          )}</ol>`
    }
    ${data.nextCursor ? html`<p><a class="button secondary" href="/app/constituents/${constituent.id}?cursor=${data.nextCursor}">Older</a></p>` : ''}
  </section>`;
}

/** Records a consent change by hand (a call, a signed form): made by staff, decided like any other. */
function consentForm(constituent: Constituent): Html {
  return html`<details>
    <summary>Record a consent change</summary>
    <form method="post" action="/app/constituents/${constituent.id}/consent" class="stack" data-testid="consent-form">
      <label for="consent-channel">Channel</label>
      <select id="consent-channel" name="channel" required><option value="email">Email</option><option value="sms">SMS</option></select>
      <label for="consent-status">Consent</label>
      <select id="consent-status" name="status" required><option value="granted">Given</option><option value="withdrawn">Withdrawn</option></select>
      <label for="consent-source">Where it came from <span class="muted small">(optional)</span></label>
      <input id="consent-source" name="source" maxlength="200" placeholder="Phone call, signed form…" autocomplete="off">
      <button type="submit">Record</button>
    </form>
  </details>`;
}

/** Takes the constituent out of one journey; the reason is kept with the exit. Asked again before it goes. */
function removeForm(constituent: Constituent, row: EnrollmentRow): Html {
  const field = `reason-${row.id}`;
  return html`<form method="post" action="/app/constituents/${constituent.id}/enrollments/${row.id}/remove" class="inline"
      data-confirm="Take ${fullName(constituent)} out of ${row.journeyId}? The journey stops at once and sends them nothing more.">
    <label for="${field}" class="visually-hidden">Reason for removing from ${row.journeyId}</label>
    <input id="${field}" name="reason" required maxlength="500" placeholder="Reason" autocomplete="off">
    <button class="small quiet" type="submit">Remove${visuallyHidden(` from ${row.journeyId}`)}</button>
  </form>`;
}
