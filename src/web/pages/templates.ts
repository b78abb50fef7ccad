/**
 * The templates section: every email and SMS template with where it is used, an
 * editor with a live preview beside it (sample data or a real constituent's),
 * versions with publish, test sends to the seed list, the seed list itself, and
 * one sent message as its recipient got it.
 */
import type { SeedRecipient, TemplateVersion, TestMessage } from '../../db/client.ts';
import type { TemplateProblem } from '../../templates/compile.ts';
import type { RenderedPreview } from '../../templates/preview.ts';
import type { SentMessageView } from '../../templates/sent-messages.ts';
import type { TestSendResult } from '../../templates/test-sends.ts';
import type { TemplateSummary, TemplateUse } from '../../templates/versions.ts';
import type { Channel } from '../../templates/variables.ts';
import { html, type Html } from '../html.ts';
import { badge, formatDate, statusTone } from '../layout.ts';

const channelLabel = (channel: Channel) => (channel === 'email' ? 'Email' : 'SMS');
const TEXTAREA_START = '\n';

function usesList(uses: TemplateUse[]): Html {
  if (uses.length === 0) return html`<span class="muted">not used by any journey</span>`;
  return html`<ul class="plain">${uses.map(
    (use) => html`<li><a href="/app/journeys/${use.journeyId}">${use.journeyId}</a> v${use.version} ${badge(use.status, statusTone[use.status])}
      <span class="muted small">${use.steps.join(', ')}${use.pinnedVersion ? ` · sends version ${use.pinnedVersion}` : ''}</span></li>`,
  )}</ul>`;
}

export function templatesList(templates: TemplateSummary[]): Html {
  return html`<h1>Templates</h1>
  <p class="muted">Every email and SMS a journey can send. Edits are saved as new versions and reach no one until published.</p>
  <p><a class="button" href="/app/templates/new">New template</a> <a class="button secondary" href="/app/settings/seed-list">Seed list for test sends</a></p>
  <div class="table-wrap"><table class="data" data-testid="templates"><thead><tr><th scope="col">Template</th><th scope="col">Channel</th><th scope="col">In force</th><th scope="col">Used by</th></tr></thead>
  <tbody>${templates.map(
    (template) => html`<tr data-template="${template.channel}:${template.name}"><th scope="row"><a href="/app/templates/${template.channel}/${template.name}">${template.name}</a></th>
      <td>${channelLabel(template.channel)}</td>
      <td>${template.current ? `version ${template.current}` : html`<span class="muted">shipped file</span>`}${template.unpublished ? html` ${badge(`version ${template.latest} unpublished`, 'info')}` : ''}</td>
      <td>${usesList(template.uses)}</td></tr>`,
  )}</tbody></table></div>`;
}

export interface TemplateEditorState {
  channel: Channel;
  name: string;
  /** A template not stored yet: the name is asked for. */
  isNew: boolean;
  source: { subject: string; text: string; html: string };
  versions: TemplateVersion[];
  current: number | null;
  uses: TemplateUse[];
  /** Variable names by trigger of the journeys that send it. */
  variables: Record<string, string[]>;
  constituentQuery: string;
  constituent: { id: string; name: string } | null;
  preview?: RenderedPreview | undefined;
  problems: TemplateProblem[];
  /** A fresh key per page: sending the same form twice sends once. */
  idempotencyKey: string;
  tests?: TestSendResult[] | undefined;
  seeds: SeedRecipient[];
  saved?: number | undefined;
}

function problemsList(problems: TemplateProblem[]): Html {
  return html`<ul class="findings" data-testid="template-problems">${problems.map(
    (problem) => html`<li class="error"><strong>Error</strong> <a href="#field-${problem.field}" data-field="${problem.field}" data-line="${problem.line}" data-column="${problem.column ?? 1}">${fieldLabel(problem.field)}, line ${problem.line}${problem.column ? `, column ${problem.column}` : ''}</a>: ${problem.message}</li>`,
  )}</ul>`;
}

const fieldLabel = (field: string) => ({ subject: 'Subject', text: 'Text', html: 'HTML' })[field] ?? field;

export function previewPanel(channel: Channel, preview: RenderedPreview | undefined, problems: TemplateProblem[], constituent: { id: string; name: string } | null): Html {
  return html`<section class="panel" aria-labelledby="preview-title" data-testid="preview" data-preview>
    <h2 id="preview-title">Preview</h2>
    <p class="muted small" data-testid="preview-with">${constituent ? html`With the data of <a href="/app/constituents/${constituent.id}">${constituent.name}</a>` : 'With sample data'}</p>
    <div aria-live="polite" data-preview-problems>${problems.length > 0 ? problemsList(problems) : ''}</div>
    ${
      channel === 'email'
        ? html`<dl class="facts"><dt>Subject</dt><dd data-testid="preview-subject" data-preview-subject>${preview?.channel === 'email' ? preview.subject : ''}</dd></dl>
      <iframe title="HTML part" class="preview-frame" sandbox="" data-testid="preview-html" data-preview-html srcdoc="${preview?.channel === 'email' ? preview.html : ''}"></iframe>
      <details><summary>Text part</summary><pre class="preview-text" data-testid="preview-text" data-preview-text>${preview?.channel === 'email' ? preview.text : ''}</pre></details>`
        : html`<pre class="preview-text" data-testid="preview-body" data-preview-body>${preview?.channel === 'sms' ? preview.body : ''}</pre>
      <p data-testid="sms-meter"><span data-sms-segments>${preview?.channel === 'sms' ? String(preview.segments) : '—'}</span> segment(s), <span data-sms-encoding>${preview?.channel === 'sms' ? preview.encoding : '—'}</span>
        <span class="muted small">(GSM-7: 160 characters, 153 each once split; UCS-2, as soon as one character needs it: 70, 67)</span></p>`
    }
  </section>`;
}

function field(id: string, label: string, value: string, rows: number, hint?: string): Html {
  return html`<label for="field-${id}">${label}</label>${hint ? html`<span class="muted small">${hint}</span>` : ''}
    <textarea id="field-${id}" name="${id}" rows="${rows}" spellcheck="false" data-template-field="${id}">${TEXTAREA_START}${value}</textarea>`;
}

function versionsPanel(state: TemplateEditorState): Html {
  const live = state.uses.filter((use) => use.status === 'published' || use.status === 'paused');
  const liveNames = live.map((use) => `${use.journeyId} v${use.version}`).join(', ');
  const consequence = live.length > 0 ? `Live journeys that send it pick it up at once: ${liveNames}.` : 'No live journey sends it.';
  return html`<section class="panel" aria-labelledby="versions-title">
    <h2 id="versions-title">Versions</h2>
    <p class="muted small" data-testid="publish-consequence">${consequence} Draft and archived journey versions keep the version they have.</p>
    <table class="data compact" data-testid="versions"><thead><tr><th scope="col">Version</th><th scope="col">Saved</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
    <tbody>${[...state.versions].reverse().map(
      (version) => html`<tr><th scope="row">${version.version}</th><td>${formatDate(version.createdAt)} <span class="muted small">${version.origin === 'file' ? 'shipped file' : (version.createdBy ?? '')}</span></td>
        <td>${version.version === state.current ? badge('in force', 'good') : version.publishedAt ? badge('published before', 'neutral') : badge('draft', 'info')}</td>
        <td>${
          version.version === state.current
            ? ''
            : html`<form method="post" action="/app/templates/${state.channel}/${state.name}/versions/${version.version}/publish" class="inline" data-confirm="Publish version ${version.version} of ${state.name}? ${consequence}">
            <button class="small" type="submit">Publish version ${version.version}</button></form>`
        }</td></tr>`,
    )}</tbody></table>
  </section>`;
}

export function templateEditor(state: TemplateEditorState): Html {
  const action = state.isNew ? '/app/templates/new' : `/app/templates/${state.channel}/${state.name}`;
  const seedsOfChannel = state.seeds.filter((seed) => seed.channel === state.channel);
  return html`<nav class="crumbs" aria-label="Breadcrumb"><a href="/app/templates">Templates</a> › <span aria-current="page">${state.isNew ? 'New template' : state.name}</span></nav>
  <h1>${state.isNew ? 'New template' : html`${state.name} <span class="muted small">${channelLabel(state.channel)}</span>`}</h1>
  ${state.saved ? html`<p class="flash ok" role="status" data-testid="saved">Saved as version ${state.saved}, a draft: publish it below when it is ready.</p>` : ''}
  ${
    state.tests
      ? html`<div class="panel saved" role="status" data-testid="test-results"><p>Test send:</p><ul>${state.tests.map(
          (test) => html`<li>${test.recipient}: ${badge(test.status, statusTone[test.status] ?? (test.status === 'refused' ? 'warn' : 'neutral'))}${test.error ? html` <span class="muted small">${test.error}</span>` : ''}</li>`,
        )}</ul></div>`
      : ''
  }
  <div class="grid-2 template-workbench">
    <form method="post" action="${action}" class="panel stack" data-template-editor data-channel="${state.channel}" data-name="${state.name}">
      <input type="hidden" name="idempotencyKey" value="${state.idempotencyKey}">
      <input type="hidden" name="constituentId" value="${state.constituent?.id ?? ''}" data-constituent-id>
      ${
        state.isNew
          ? html`<label for="name">Name</label><input id="name" name="name" required pattern="[a-z0-9][a-z0-9\\-]{0,62}" value="${state.name}" autocomplete="off" aria-describedby="name-hint">
        <span id="name-hint" class="muted small">Lowercase letters, digits and dashes: <code>spring-appeal-thanks</code></span>
        <label for="channel">Channel</label><select id="channel" name="channel"><option value="email"${state.channel === 'email' ? ' selected' : ''}>Email</option><option value="sms"${state.channel === 'sms' ? ' selected' : ''}>SMS</option></select>`
          : html`<input type="hidden" name="channel" value="${state.channel}">`
      }
      ${
        state.channel === 'email'
          ? html`${field('subject', 'Subject', state.source.subject, 1)}
        ${field('text', 'Text', state.source.text, 10, 'Liquid: {{ constituent.firstName }}')}
        ${field('html', 'HTML (optional)', state.source.html, 8, 'Without it, the HTML part is the text’s paragraphs')}`
          : field('text', 'Message', state.source.text, 5)
      }
      <label for="constituent">Preview with a constituent</label>
      <div class="inline"><input id="constituent" name="constituent" type="search" value="${state.constituentQuery}" placeholder="Email, name or id; empty for sample data" autocomplete="off">
        <button type="submit" name="intent" value="preview" class="secondary">Preview</button></div>
      <div class="actions">
        <button type="submit" name="intent" value="save">${state.isNew ? 'Create template' : 'Save as new version'}</button>
        ${
          state.isNew
            ? ''
            : html`<button type="submit" name="intent" value="test" class="secondary" aria-describedby="seed-hint">Send test</button>
        <span id="seed-hint" class="muted small">${seedsOfChannel.length > 0 ? `To the seed list: ${seedsOfChannel.map((seed) => seed.address).join(', ')}` : 'The seed list is empty'} (<a href="/app/settings/seed-list">seed list</a>)</span>`
        }
      </div>
    </form>
    <div>
      ${previewPanel(state.channel, state.preview, state.problems, state.constituent)}
      <section class="panel" aria-labelledby="variables-title">
        <h2 id="variables-title">Variables</h2>
        ${Object.entries(state.variables).map(
          ([trigger, names]) => html`<h3 class="small">${trigger === 'any' ? 'Available to a journey of any trigger' : `Journeys triggered by a ${trigger}`}</h3>
          <p class="variables" data-testid="variables">${names.map((name) => html`<code>${name}</code> `)}</p>`,
        )}
      </section>
    </div>
  </div>
  ${
    state.isNew
      ? ''
      : html`<section class="panel" aria-labelledby="uses-title"><h2 id="uses-title">Used by</h2><div data-testid="uses">${usesList(state.uses)}</div></section>
  ${versionsPanel(state)}`
  }`;
}

export function seedListPage(recipients: SeedRecipient[], tests: TestMessage[]): Html {
  return html`<nav class="crumbs" aria-label="Breadcrumb"><a href="/app/templates">Templates</a> › <span aria-current="page">Seed list</span></nav>
  <h1>Seed list</h1>
  <p class="muted">Test sends from the template editor go to these addresses and phones, and nowhere else. An address that belongs to a constituent without consent is refused.</p>
  <section class="panel">
    ${
      recipients.length === 0
        ? html`<p class="muted">No seed addresses yet.</p>`
        : html`<table class="data" data-testid="seed-list"><thead><tr><th scope="col">Address</th><th scope="col">Channel</th><th scope="col">Label</th><th scope="col">Actions</th></tr></thead>
    <tbody>${recipients.map(
      (seed) => html`<tr><th scope="row">${seed.address}</th><td>${channelLabel(seed.channel)}</td><td>${seed.label ?? ''}</td>
        <td><form method="post" action="/app/settings/seed-list/${seed.id}/remove" class="inline"><button class="small quiet" type="submit">Remove<span class="visually-hidden"> ${seed.address}</span></button></form></td></tr>`,
    )}</tbody></table>`
    }
    <form method="post" action="/app/settings/seed-list" class="stack narrow-form">
      <h2 class="small">Add</h2>
      <label for="seed-channel">Channel</label>
      <select id="seed-channel" name="channel"><option value="email">Email</option><option value="sms">SMS</option></select>
      <label for="seed-address">Email address or mobile number</label>
      <input id="seed-address" name="address" required maxlength="254" autocomplete="off">
      <label for="seed-label">Label (optional)</label>
      <input id="seed-label" name="label" maxlength="200" autocomplete="off">
      <button type="submit">Add to the seed list</button>
    </form>
  </section>
  <section class="panel" aria-labelledby="recent-tests"><h2 id="recent-tests">Recent test sends</h2>
    ${
      tests.length === 0
        ? html`<p class="muted">None yet.</p>`
        : html`<table class="data compact"><thead><tr><th scope="col">When</th><th scope="col">Template</th><th scope="col">To</th><th scope="col">Status</th></tr></thead>
      <tbody>${tests.map((test) => html`<tr><td>${formatDate(test.createdAt)}</td><td>${test.template}</td><td>${test.recipient}</td><td>${test.status}${test.error ? html` <span class="muted small">${test.error}</span>` : ''}</td></tr>`)}</tbody></table>`
    }
  </section>`;
}

export function sentMessagePage(message: SentMessageView, constituentName: string): Html {
  return html`<nav class="crumbs" aria-label="Breadcrumb"><a href="/app/constituents">Constituents</a> › <a href="/app/constituents/${message.constituentId}">${constituentName}</a> › <span aria-current="page">Message</span></nav>
  <h1>${message.channel === 'email' ? 'Email' : 'Text message'}: ${message.template}</h1>
  <section class="panel">
    <dl class="facts">
      <dt>Status</dt><dd>${badge(message.status, statusTone[message.status])}${message.reason ? html` <span class="muted small">${message.reason}</span>` : ''}</dd>
      <dt>To</dt><dd>${message.recipient || '—'}</dd>
      <dt>Sent</dt><dd>${formatDate(message.sentAt)}</dd>
      <dt>Template</dt><dd><a href="/app/templates/${message.channel}/${message.template}">${message.template}</a>${message.templateVersion ? ` version ${message.templateVersion}` : ' (shipped file)'}</dd>
      ${message.journeyId ? html`<dt>Journey</dt><dd><a href="/app/journeys/${message.journeyId}">${message.journeyId}</a></dd>` : ''}
      ${message.subject ? html`<dt>Subject</dt><dd data-testid="message-subject">${message.subject}</dd>` : ''}
    </dl>
  </section>
  ${
    message.text === null
      ? html`<p class="panel muted" data-testid="message-body-dropped">${message.bodyDroppedAt ? `The body was dropped on ${formatDate(message.bodyDroppedAt)}, at the end of the retention period.` : 'Nothing was sent, so there is no body to show.'}</p>`
      : message.channel === 'email'
        ? html`<section class="panel" aria-labelledby="body-title"><h2 id="body-title">As received</h2>
      ${message.html ? html`<iframe title="HTML part" class="preview-frame" sandbox="" data-testid="message-html" srcdoc="${message.html}"></iframe>` : ''}
      <details><summary>Text part</summary><pre class="preview-text" data-testid="message-text">${message.text}</pre></details></section>`
        : html`<section class="panel"><h2>As received</h2><pre class="preview-text" data-testid="message-text">${message.text}</pre><p class="muted small">${message.segments ?? '—'} segment(s)</p></section>`
  }`;
}
