/** Pages about people: signing in, choosing a password, the people admins invite, the audit trail, publish approvals. */
import type { AuditEntry } from '../../db/generated/prisma/client.ts';
import { auditDetail, auditObject } from './audit-entry.ts';
import type { PersonView } from '../../auth/people.ts';
import { roles } from '../../auth/permissions.ts';
import { html, type Html } from '../html.ts';
import { badge, formatDate, visuallyHidden } from '../layout.ts';

const ROLE_MEANING = {
  admin: 'everything, including people and API keys',
  marketer: 'journeys, templates and analytics',
  staff: 'the task inbox and the constituents of their tasks',
  viewer: 'looks at everything, changes nothing',
} as const;

export function signInPage(input: {
  next: string;
  failed?: 'password' | 'key' | 'throttled' | undefined;
  retryAfterSeconds?: number | undefined;
  apiKeyFile?: string | undefined;
  /** The organisation's identity provider, when one is configured: its button comes first. */
  provider?: { name: string; startPath: string } | undefined;
}): Html {
  const problem = {
    password: 'That email and password do not match an account.',
    key: 'That key is unknown or revoked.',
    throttled: `Too many failed sign-ins for that address; try again in ${Math.ceil((input.retryAfterSeconds ?? 60) / 60)} minutes, or reset the password.`,
  };
  return html`<section class="panel narrow">
    <h1>Sign in to Steward</h1>
    ${input.failed ? html`<p class="flash error" role="alert">${problem[input.failed]}</p>` : ''}
    ${input.provider
      ? html`<p><a class="button" href="${input.provider.startPath}${input.next ? `?next=${encodeURIComponent(input.next)}` : ''}" data-testid="oidc-sign-in">Sign in with ${input.provider.name}</a></p>
    <p class="muted small">Or with your Steward email and password:</p>`
      : ''}
    <form method="post" action="/app/sign-in" class="stack">
      ${input.next ? html`<input type="hidden" name="next" value="${input.next}">` : ''}
      <label for="email">Email</label>
      <input id="email" name="email" type="email" required autocomplete="username">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" required autocomplete="current-password">
      <button type="submit">Sign in</button>
    </form>
    <p class="small"><a href="/app/password-reset">Forgot your password?</a></p>
    <details>
      <summary>Sign in with an API key (first admin)</summary>
      <form method="post" action="/app/sign-in" class="stack">
        ${input.next ? html`<input type="hidden" name="next" value="${input.next}">` : ''}
        <label for="key">Your access key</label>
        <input id="key" name="key" type="password" required autocomplete="off" placeholder="stw_…">
        <p class="muted small">${input.apiKeyFile ? html`The first admin key is in <code>${input.apiKeyFile}</code>` : html`The first admin key is in the file <code>api-key</code> in Steward's data directory (<code>STEWARD_DATA_DIR</code>)`}: sign in with it once to invite the first people.</p>
        <button type="submit">Sign in with key</button>
      </form>
    </details>
  </section>`;
}

/** Choosing a password, from an invitation or a reset link. */
export function choosePasswordPage(input: { action: string; person: PersonView; heading: string; problem?: string | undefined }): Html {
  return html`<section class="panel narrow">
    <h1>${input.heading}</h1>
    <p>${input.person.name} (${input.person.email}), ${input.person.role}.</p>
    ${input.problem ? html`<p class="flash error" role="alert">${input.problem}</p>` : ''}
    <form method="post" action="${input.action}" class="stack">
      <label for="new-password">New password <span class="muted small">(at least 12 characters)</span></label>
      <input id="new-password" name="password" type="password" required minlength="12" maxlength="200" autocomplete="new-password">
      <label for="repeat-password">The same again</label>
      <input id="repeat-password" name="repeat" type="password" required minlength="12" maxlength="200" autocomplete="new-password">
      <button type="submit">Save password and sign in</button>
    </form>
  </section>`;
}

/** The identity provider's sign-in did not lead to an account: why, and what to do. */
export function providerRefusedPage(message: string): Html {
  return html`<section class="panel narrow"><h1>Sign-in refused</h1><p role="alert">${message}</p><p><a href="/app/sign-in">Back to sign-in</a></p></section>`;
}

export function linkUnusablePage(message: string): Html {
  return html`<section class="panel narrow"><h1>This link cannot be used</h1><p>${message}</p><p><a href="/app/sign-in">Sign in</a> · <a href="/app/password-reset">Reset your password</a></p></section>`;
}

export function resetRequestPage(sent: boolean): Html {
  return html`<section class="panel narrow">
    <h1>Reset your password</h1>
    ${sent ? html`<p class="flash ok" role="status">If that address has an account, a link to choose a new password is on its way. It works once, for an hour.</p>` : ''}
    <form method="post" action="/app/password-reset" class="stack">
      <label for="reset-email">Your email</label>
      <input id="reset-email" name="email" type="email" required autocomplete="username">
      <button type="submit">Send the link</button>
    </form>
  </section>`;
}

/**
 * Everyone invited, with their role and status; where Steward signs in through an
 * identity provider (or someone is still linked to one), which subject each is linked to.
 */
export function peoplePage(people: PersonView[], me: string, providerName?: string): Html {
  const provider = providerName ?? (people.some((person) => person.oidcSubject) ? 'the identity provider' : undefined);
  return html`<h1>People</h1>
  <section class="panel">
    <h2>Invite someone</h2>
    <form method="post" action="/app/people" class="stack">
      <label for="invite-name">Name</label>
      <input id="invite-name" name="name" required maxlength="100">
      <label for="invite-email">Email</label>
      <input id="invite-email" name="email" type="email" required maxlength="254">
      <fieldset><legend>Role</legend>
        ${roles.map(
          (role) => html`<label class="check"><input type="radio" name="role" value="${role}"${role === 'staff' ? html` checked` : ''}> ${role} <span class="muted small">${ROLE_MEANING[role]}</span></label>`,
        )}
      </fieldset>
      <button type="submit">Send invitation</button>
    </form>
  </section>
  <table class="data"><thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Status</th>${provider ? html`<th scope="col">Linked to ${provider}</th>` : ''}<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${people.map((person) => personRow(person, person.id === me, provider))}</tbody></table>`;
}

/** Which provider subject a person is linked to, with the button that unlinks it. */
function providerCell(person: PersonView, isMe: boolean, provider: string): Html {
  if (!person.oidcSubject) return html`<td><span class="muted">not linked</span></td>`;
  const unlink =
    isMe || person.status === 'removed'
      ? ''
      : html`<form method="post" action="/app/people/${person.id}/unlink-provider" class="inline" data-confirm="Unlink ${person.name} from ${provider}? Their sessions end, and their next sign-in there must match ${person.email}, verified.">
          <button class="small quiet" type="submit">Unlink${visuallyHidden(` ${person.name} from ${provider}`)}</button></form>`;
  return html`<td>${badge('linked', 'good')} <code data-testid="oidc-subject">${person.oidcSubject}</code> ${unlink}</td>`;
}

function personRow(person: PersonView, isMe: boolean, provider: string | undefined): Html {
  const tone = ({ active: 'good', invited: 'info', removed: 'neutral' } as const)[person.status];
  const actions =
    isMe || person.status === 'removed'
      ? ''
      : html`<form method="post" action="/app/people/${person.id}/role" class="inline">
          <label for="role-${person.id}" class="visually-hidden">Role of ${person.name}</label>
          <select id="role-${person.id}" name="role">${roles.map((role) => html`<option value="${role}"${role === person.role ? html` selected` : ''}>${role}</option>`)}</select>
          <button class="small quiet" type="submit">Change role${visuallyHidden(` of ${person.name}`)}</button></form>
        <form method="post" action="/app/people/${person.id}/remove" data-confirm="Remove ${person.name}? They are signed out at once."><button class="small quiet" type="submit">Remove${visuallyHidden(` ${person.name}`)}</button></form>`;
  return html`<tr><th scope="row">${person.name}</th><td>${person.email}</td><td>${person.role}</td><td>${badge(person.status, tone)}</td>${provider ? providerCell(person, isMe, provider) : ''}<td>${actions}</td></tr>`;
}

export interface AuditFilters {
  actor?: string | undefined;
  action?: string | undefined;
  object?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

export function auditPage(entries: AuditEntry[], filters: AuditFilters, nextCursor: string | null, problem?: string): Html {
  const query = new URLSearchParams(Object.entries(filters).filter((entry): entry is [string, string] => Boolean(entry[1])));
  const field = (name: keyof AuditFilters, label: string, type = 'text', hint = '') =>
    html`<label for="audit-${name}">${label}${hint ? html` <span class="muted small">${hint}</span>` : ''}</label><input id="audit-${name}" name="${name}" type="${type}" value="${filters[name] ?? ''}">`;
  return html`<h1>Audit trail</h1>
  <form method="get" action="/app/audit" class="panel stack" aria-label="Filter the audit trail">
    ${field('actor', 'Who', 'text', '(a name, or a person or key id)')}
    ${field('action', 'Action', 'text', '(journey.published, or journey, task… for all of its kind)')}
    ${field('object', 'Object id', 'text', '(a journey, person, key, enrollment, task; a constituent for everything about them)')}
    ${field('since', 'From', 'date')}
    ${field('until', 'Until', 'date')}
    <button type="submit">Filter</button>
  </form>
  ${problem ? html`<p class="flash error" role="alert">${problem}</p>` : ''}
  <table class="data"><caption class="visually-hidden">Audit entries, newest first</caption>
  <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Object</th><th scope="col">Detail</th></tr></thead>
  <tbody>${entries.map(
    (entry) => html`<tr><td>${formatDate(entry.at)}</td><td>${entry.actorName} <span class="muted small">${entry.actorKind}</span></td><td><code>${entry.action}</code></td>
      <td>${auditObject(entry)}</td><td class="small">${auditDetail(entry)}</td></tr>`,
  )}</tbody></table>
  ${entries.length === 0 ? html`<p class="muted">Nothing recorded matches.</p>` : ''}
  ${nextCursor ? html`<p><a href="/app/audit?${query.toString()}${query.size ? '&' : ''}cursor=${nextCursor}">Older entries</a></p>` : ''}`;
}

export interface ApprovalRow {
  id: string;
  journeyId: string;
  version: number;
  status: string;
  requestedBy: { id: string; name: string };
  createdAt: Date;
  decidedBy: { id: string; name: string | null } | null;
  decidedAt: Date | null;
}

export function approvalsPage(input: { requests: ApprovalRow[]; me: string; required: boolean; canChangeSetting: boolean }): Html {
  return html`<h1>Approvals</h1>
  <p>${input.required ? 'A marketer’s publish waits here until another admin or marketer approves it.' : 'Approval before publish is off: marketers publish directly.'}</p>
  ${
    input.canChangeSetting
      ? html`<form method="post" action="/app/approvals/setting"><input type="hidden" name="required" value="${input.required ? 'off' : 'required'}">
          <button type="submit" class="quiet">${input.required ? 'Turn approval before publish off' : 'Require approval before publish'}</button></form>`
      : ''
  }
  <table class="data"><thead><tr><th scope="col">Journey</th><th scope="col">Version</th><th scope="col">Asked by</th><th scope="col">When</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Decide</span></th></tr></thead>
  <tbody>${input.requests.map(
    (row) => html`<tr><th scope="row"><a href="/app/journeys/${row.journeyId}?version=${row.version}">${row.journeyId}</a></th><td>${row.version}</td><td>${row.requestedBy.name}</td><td>${formatDate(row.createdAt)}</td>
      <td>${badge(row.status, row.status === 'approved' ? 'good' : row.status === 'rejected' ? 'bad' : 'info')}${row.decidedBy ? html` <span class="muted small">by ${row.decidedBy.name}</span>` : ''}</td>
      <td>${
        row.status === 'pending' && row.requestedBy.id !== input.me
          ? html`<form method="post" action="/app/approvals/${row.id}/approve" class="inline"><button class="small" type="submit">Approve${visuallyHidden(` ${row.journeyId} version ${row.version}`)}</button></form>
             <form method="post" action="/app/approvals/${row.id}/reject" class="inline"><button class="small quiet" type="submit">Reject${visuallyHidden(` ${row.journeyId} version ${row.version}`)}</button></form>`
          : ''
      }</td></tr>`,
  )}</tbody></table>
  ${input.requests.length === 0 ? html`<p class="muted">No publish requests.</p>` : ''}`;
}
