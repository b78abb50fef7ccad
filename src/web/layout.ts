/** The frame every page shares: navigation, who is signed in, flash messages; and the formats numbers are shown in. */
import { may, type Permission, type Principal } from '../auth/permissions.ts';
import { html, type Html } from './html.ts';

export type Section = 'journeys' | 'templates' | 'constituents' | 'connectors' | 'inbox' | 'approvals' | 'people' | 'keys' | 'webhooks' | 'audit';

export interface PageFrame {
  title: string;
  section?: Section;
  principal?: Principal | null;
  /** One line confirming what just happened, or what went wrong. */
  flash?: { kind: 'ok' | 'error'; text: string } | undefined;
  /** Scripts this page needs beyond the shared one. */
  body: Html;
  /** Extra elements for the page's head (the refresh that moves on after an identity provider's sign-in). */
  head?: Html;
}

/** The app's sections: where each lives and the permission it needs. */
const sections: [Section, string, string, Permission][] = [
  ['journeys', 'Journeys', '/app/journeys', 'records.read'],
  ['templates', 'Templates', '/app/templates', 'records.read'],
  ['constituents', 'Constituents', '/app/constituents', 'constituents.search'],
  ['connectors', 'Connectors', '/app/connectors', 'records.read'],
  ['inbox', 'Task inbox', '/app/inbox', 'tasks.read'],
  ['approvals', 'Approvals', '/app/approvals', 'journeys.approve'],
  ['people', 'People', '/app/people', 'people.manage'],
  ['keys', 'API keys', '/app/keys', 'keys.manage'],
  ['webhooks', 'Webhooks', '/app/webhooks', 'settings.manage'],
  ['audit', 'Audit trail', '/app/audit', 'audit.read'],
];

export function page(frame: PageFrame): string {
  // Only the sections the signed-in person or key may open (the server refuses the rest anyway).
  const nav = frame.principal ? sections.filter(([, , , permission]) => may(frame.principal!, permission)) : [];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · Steward</title>
${frame.head ?? ''}
<link rel="stylesheet" href="/app/static/app.css">
<script src="/app/static/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="topbar">
  <a class="brand" href="/app"><span aria-hidden="true">◆</span> Steward</a>
  ${
    frame.principal
      ? html`<nav aria-label="Main"><ul>${nav.map(
          ([section, label, href]) => html`<li><a href="${href}"${frame.section === section ? html` aria-current="page"` : ''}>${label}</a></li>`,
        )}</ul></nav>
  <form class="who" method="post" action="/app/sign-out"><span>${frame.principal.name}</span> <button class="link" type="submit">Sign out</button></form>`
      : ''
  }
</header>
<main id="main">
${frame.flash ? html`<p class="flash ${frame.flash.kind}" role="${frame.flash.kind === 'error' ? 'alert' : 'status'}">${frame.flash.text}</p>` : ''}
${frame.body}
</main>
</body>
</html>`.text;
}

const integer = new Intl.NumberFormat('en-US');
export const formatCount = (value: number) => integer.format(value);
export const formatPercent = (value: number) => `${(value * 100).toFixed(value > 0 && value < 0.1 ? 1 : 0)}%`;
/** A conversion rate, or a dash where nobody has enrolled yet: 0% would claim a result there is none of. */
export function formatConversion(rate: number, enrolled: number): Html {
  if (enrolled === 0) return html`<span title="No enrollments yet">–${visuallyHidden(' no enrollments yet')}</span>`;
  return html`${formatPercent(rate)}`;
}
export const formatMoney = (amount: string | number, currency: string) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 0 }).format(Number(amount));
/** A duration to two units at most, as people say it: "3d 4h", "2h 15m", "40s". */
export function formatSpan(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const units: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]];
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(ms));
  for (const [unit, size] of units) {
    if (parts.length === 2) break;
    const amount = Math.floor(rest / size);
    if (amount > 0 || parts.length > 0) parts.push(`${amount}${unit}`);
    rest -= amount * size;
  }
  return parts.filter((part) => !part.startsWith('0')).join(' ') || '0s';
}

/** "23 Nov 2026, 14:05 UTC": one unambiguous format for staff in any time zone. */
export function formatDate(date: Date | string | null | undefined): string {
  if (!date) return '—';
  const value = typeof date === 'string' ? new Date(date) : date;
  return `${value.toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' })} UTC`;
}

/**
 * Put first inside a `.table-wrap`: on a screen too narrow for the table the wrap
 * scrolls sideways, and this says so (the page's script shows it only while columns are out of view).
 */
export const scrollHint: Html = html`<p class="scroll-hint" aria-hidden="true">Scroll sideways for more columns →</p>`;

export function badge(text: string, tone: 'neutral' | 'good' | 'warn' | 'bad' | 'info' = 'neutral'): Html {
  return html`<span class="badge ${tone}">${text}</span>`;
}

/**
 * Words for screen readers only. A control repeated down a list says which one it acts on:
 * "Claim" is seen, "Claim task: Call to thank a major donor, Octavia Hill" is heard.
 */
export function visuallyHidden(text: string): Html {
  return html`<span class="visually-hidden">${text}</span>`;
}

export const statusTone: Record<string, 'neutral' | 'good' | 'warn' | 'bad' | 'info'> = {
  published: 'good',
  draft: 'info',
  superseded: 'neutral',
  paused: 'warn',
  archived: 'neutral',
  active: 'info',
  converted: 'good',
  completed: 'neutral',
  exited: 'warn',
  open: 'info',
  claimed: 'warn',
  cancelled: 'neutral',
  sent: 'good',
  delivered: 'good',
  failed: 'bad',
  bounced: 'bad',
  complained: 'bad',
  suppressed: 'neutral',
  skipped: 'neutral',
  scheduled: 'info',
  pending: 'info',
  granted: 'good',
  withdrawn: 'bad',
};
