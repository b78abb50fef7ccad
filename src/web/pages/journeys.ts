/** The journeys list and the journey page: live diagram, funnel, charts, and the numbers nonprofits report. */
import { may, type Principal } from '../../auth/permissions.ts';
import type { JourneyVersion } from '../../db/client.ts';
import { JourneyDefinition, RESERVED_STATES } from '../../journeys/definition.ts';
import { liveVersionNumber, shownStatus, type ShownStatus } from '../../journeys/version-status.ts';
import type { MessageResponse } from '../../analytics/metrics.ts';
import type { SplitResults } from '../../analytics/variants.ts';
import { variantResults } from './variants.ts';
import { dailyChart, funnelChart, rateBar } from '../charts.ts';
import { diagramView } from '../diagram-view.ts';
import { html, type Html } from '../html.ts';
import { badge, formatConversion, formatCount, formatDate, formatMoney, formatPercent, formatSpan, statusTone, visuallyHidden, scrollHint } from '../layout.ts';

export interface JourneyRow {
  journeyId: string;
  name: string;
  description: string;
  status: string;
  version: number | null;
  active: number;
  enrolled: number;
  enrolledLast30Days: number;
  conversionRate: number;
  revenue: { currency: string; amount: string }[];
}

const money = (revenue: { currency: string; amount: string }[]) =>
  revenue.length === 0 ? '—' : revenue.map((item) => formatMoney(item.amount, item.currency)).join(' + ');

export function journeysList(rows: JourneyRow[], principal: Principal): Html {
  return html`<div class="page-head">
    <div><h1>Journeys</h1><p class="muted">Each journey follows constituents from a trigger to a goal. Numbers cover every version.</p></div>
    ${may(principal, 'journeys.manage') ? html`<div class="actions"><a class="button" href="/app/journeys/new/build">Build a journey</a> <a class="button secondary" href="/app/journeys/new">New journey in YAML</a></div>` : ''}
  </div>
  <div class="table-wrap">${scrollHint}<table class="data">
    <caption class="visually-hidden">Journeys with their status and headline numbers</caption>
    <thead><tr><th scope="col">Journey</th><th scope="col">Status</th><th scope="col" class="num">In it now</th><th scope="col" class="num">Enrolled (30 days)</th><th scope="col" class="num">Enrolled (all)</th><th scope="col" class="num">Conversion</th><th scope="col" class="num">Revenue attributed</th></tr></thead>
    <tbody>${rows.map(
      (row) => html`<tr>
        <th scope="row"><a href="/app/journeys/${row.journeyId}">${row.name}</a><div class="muted small">${row.description}</div></th>
        <td>${badge(row.status, statusTone[row.status])}${row.version ? html` <span class="muted small">v${row.version}</span>` : ''}</td>
        <td class="num">${formatCount(row.active)}</td>
        <td class="num">${formatCount(row.enrolledLast30Days)}</td>
        <td class="num">${formatCount(row.enrolled)}</td>
        <td class="num" data-column="conversion">${formatConversion(row.conversionRate, row.enrolled)}</td>
        <td class="num">${money(row.revenue)}</td>
      </tr>`,
    )}</tbody>
  </table></div>`;
}

export type MessageRow = Pick<MessageResponse, 'channel' | 'template' | 'sent' | 'notSent' | 'responded' | 'responseRate'> &
  Partial<Pick<MessageResponse, 'delivered' | 'opened' | 'clicked' | 'bounced' | 'complained' | 'unsubscribed' | 'notSentReasons'>>;

export interface JourneyPageData {
  journey: { id: string; name: string; description: string };
  versions: JourneyVersion[];
  shown: JourneyVersion;
  /** The shown version's states in the order its text lists them. */
  stateOrder: string[];
  /** The shown version drawn as SVG, with its counts. */
  diagram: string;
  metrics: {
    enrolled: number;
    active: number;
    converted: number;
    exited: number;
    completed: number;
    conversionRate: number;
    medianTimeToConvertMs: number | null;
    revenue: { currency: string; amount: string; gifts: number }[];
  };
  stateCounts: Record<string, { current: number; entered: number; left: number; converted: number }>;
  funnel: { state: string; reached: number; droppedHere: number; convertedAfter: number }[];
  series: { day: string; enrolled: number; converted: number }[];
  messages: MessageRow[];
  /** The journey's A/B splits with each arm's results; absent on pages that show none. */
  variants?: SplitResults[] | undefined;
}

/** Under a "not sent" count, why: one line per reason, the most common first. */
function notSentWhy(reasons: { reason: string; count: number }[]): Html {
  if (reasons.length === 0) return html``;
  return html`<ul class="reasons small muted">${reasons.map(({ reason, count }) => html`<li>${count} ${reason}</li>`)}</ul>`;
}

/** Every number on the journey page: the part that refreshes itself while people watch, so all of it moves together. */
export function journeyLive(data: Omit<JourneyPageData, 'journey' | 'versions'>): Html {
  const definition = JourneyDefinition.parse(data.shown.definition);
  const names = [...data.stateOrder, ...(definition.goal ? [RESERVED_STATES.goal] : []), RESERVED_STATES.exit];
  const counts = data.stateCounts;
  const { metrics } = data;
  return html`<div class="cards" role="list">
      ${card('Enrolled', formatCount(metrics.enrolled), 'enrolled')}
      ${card('In the journey now', formatCount(metrics.active), 'active')}
      ${card('Converted', formatCount(metrics.converted), 'converted')}
      ${card('Conversion rate', formatConversion(metrics.conversionRate, metrics.enrolled), 'conversion-rate')}
      ${card('Median time to convert', formatSpan(metrics.medianTimeToConvertMs), 'time-to-convert')}
      ${card('Revenue attributed', money(metrics.revenue), 'revenue')}
    </div>
    <section class="panel" aria-labelledby="diagram-title">
      <h2 id="diagram-title">Where constituents are</h2>
      <p class="muted small">Each state shows how many are in it now, have entered, have left, and went on to convert. Every number on this page updates live.</p>
      ${diagramView(data.diagram, 'diagram', `Diagram of ${definition.name}`)}
      <details><summary>The same numbers as a table</summary>
        <table class="data compact" data-testid="state-counts"><thead><tr><th scope="col">State</th><th scope="col" class="num">Now</th><th scope="col" class="num">Entered</th><th scope="col" class="num">Left</th><th scope="col" class="num">Converted</th></tr></thead>
        <tbody>${names.map((name) => {
          const row = counts[name] ?? { current: 0, entered: 0, left: 0, converted: 0 };
          return html`<tr data-state="${name}"><th scope="row">${name}</th><td class="num">${row.current}</td><td class="num">${row.entered}</td><td class="num">${row.left}</td><td class="num">${row.converted}</td></tr>`;
        })}</tbody></table>
      </details>
    </section>
    <div class="grid-2">
      <section class="panel" aria-labelledby="funnel-title">
        <h2 id="funnel-title">Funnel</h2>
        <p class="muted small">How many reached each step, and how many left the journey there without converting.</p>
        ${funnelChart(data.funnel.map((step) => ({ label: step.state, reached: step.reached, dropped: step.droppedHere })))}
      </section>
      <section class="panel" aria-labelledby="series-title">
        <h2 id="series-title">Enrollments and conversions, last ${data.series.length} days</h2>
        ${dailyChart(data.series.map((row) => ({ day: row.day, values: [row.enrolled, row.converted] })), ['enrolled', 'converted'], 'Enrollments and conversions per day')}
      </section>
    </div>
    <section class="panel" aria-labelledby="messages-title">
      <h2 id="messages-title">Per message</h2>
      <p class="muted small">Delivered, bounced and complained come from the mail provider's reports; opened and clicked from tracked email (an open is a weak signal: privacy proxies fetch images on their own, and a click counts as an open). A response is a gift or registration within 7 days of the message.</p>
      ${
        data.messages.length === 0
          ? html`<p class="muted">No messages sent yet.</p>`
          : html`<div class="table-wrap">${scrollHint}<table class="data" data-testid="message-table"><thead><tr><th scope="col">Message</th><th scope="col" class="num">Sent</th><th scope="col" class="num">Delivered</th><th scope="col" class="num">Opened</th><th scope="col" class="num">Clicked</th><th scope="col" class="num">Bounced</th><th scope="col" class="num">Complained</th><th scope="col" class="num">Unsubscribed</th><th scope="col" class="num">Not sent</th><th scope="col" class="num">Responded</th><th scope="col">Response rate</th></tr></thead>
        <tbody>${data.messages.map(
          (row) => html`<tr data-template="${row.template}"><th scope="row">${row.channel === 'email' ? '✉' : '📱'} ${row.template}</th><td class="num" data-count="sent">${row.sent}</td><td class="num" data-count="delivered">${row.delivered ?? 0}</td><td class="num" data-count="opened">${row.opened ?? 0}</td><td class="num" data-count="clicked">${row.clicked ?? 0}</td><td class="num" data-count="bounced">${row.bounced ?? 0}</td><td class="num" data-count="complained">${row.complained ?? 0}</td><td class="num" data-count="unsubscribed">${row.unsubscribed ?? 0}</td><td class="num" data-count="not-sent">${row.notSent}${notSentWhy(row.notSentReasons ?? [])}</td><td class="num">${row.responded}</td>
            <td>${rateBar(row.responseRate, `${formatPercent(row.responseRate)} responded`)} ${formatPercent(row.responseRate)}</td></tr>`,
        )}</tbody></table></div>`
      }
    </section>`;
}

function card(label: string, value: string | Html, id: string): Html {
  return html`<div class="card" role="listitem" data-metric="${id}"><div class="card-label">${label}</div><div class="card-value">${value}</div></div>`;
}

export function journeyPage(data: JourneyPageData, principal: Principal): Html {
  const { journey, versions, shown } = data;
  const admin = may(principal, 'journeys.manage');
  const live = liveVersionNumber(versions);
  const statusOf = (version: JourneyVersion) => shownStatus(version, live);
  return html`<nav class="crumbs" aria-label="Breadcrumb"><a href="/app/journeys">Journeys</a> › <span aria-current="page">${journey.name}</span></nav>
  <div class="page-head">
    <div><h1>${journey.name} ${badge(statusOf(shown), statusTone[statusOf(shown)])}</h1><p class="muted">${journey.description}</p></div>
    <div class="actions">${admin ? html`<a class="button" href="/app/journeys/${journey.id}/build">Open in builder</a> <a class="button secondary" href="/app/journeys/${journey.id}/edit">Edit journey</a>` : ''}</div>
  </div>
  <div class="live-bar" hidden data-live-controls="live">
    <span class="muted small" data-live-status>Numbers update every few seconds.</span>
    <button type="button" class="small secondary" aria-pressed="false" aria-controls="live">Pause live updates</button>
  </div>
  <div id="live" data-live="/app/journeys/${journey.id}/live?version=${shown.version}">${journeyLive(data)}</div>
  ${data.variants && data.variants.length > 0 ? variantResults(journey.id, shown.version, data.variants, admin) : ''}
  <section class="panel" aria-labelledby="versions-title">
    <h2 id="versions-title">Versions</h2>
    <div class="table-wrap">${scrollHint}<table class="data"><thead><tr><th scope="col">Version</th><th scope="col">Status</th><th scope="col">Saved</th><th scope="col">Published</th>${admin ? html`<th scope="col">Actions</th>` : ''}</tr></thead>
    <tbody>${[...versions].reverse().map(
      (version) => html`<tr>
        <th scope="row"><a href="/app/journeys/${journey.id}?version=${version.version}">v${version.version}</a></th>
        <td data-column="status">${badge(statusOf(version), statusTone[statusOf(version)])}${
          version.version === live ? html` <span class="muted small">live</span>` : ''
        }</td>
        <td>${formatDate(version.createdAt)}</td><td>${formatDate(version.publishedAt)}</td>
        ${admin ? html`<td class="row-actions">${versionActions(journey.id, version, statusOf(version))}</td>` : ''}
      </tr>`,
    )}</tbody></table></div>
  </section>`;
}

function versionActions(journeyId: string, version: JourneyVersion, shown: ShownStatus): Html {
  const action = (name: string, label: string, tone = '') =>
    html`<form method="post" action="/app/journeys/${journeyId}/versions/${version.version}/${name}"${
      name === 'archive' ? html` data-confirm="Archive version ${version.version}? Everyone still in it leaves the journey."` : ''
    }><button class="small ${tone}" type="submit">${label}${visuallyHidden(` version ${version.version}`)}</button></form>`;
  // Publishing is a page of its own: what changes against the live version is read before the button.
  const publish = html`<a class="button small" href="/app/journeys/${journeyId}/versions/${version.version}/publish">Publish…${visuallyHidden(` version ${version.version}`)}</a>`;
  if (shown === 'superseded' && version.status === 'draft') return action('archive', 'Archive', 'quiet');
  switch (version.status) {
    case 'draft':
      return html`${publish}${action('archive', 'Archive', 'quiet')}`;
    case 'published':
      return html`${action('pause', 'Pause')}${action('archive', 'Archive', 'quiet')}`;
    case 'paused':
      return html`${action('resume', 'Resume')}${action('archive', 'Archive', 'quiet')}`;
    default:
      return html``;
  }
}
