/** The webhooks page: endpoints and their subscriptions, and the delivery log with failures marked; and one delivery's attempts. */
import { webhookEventTypes } from '../../webhooks/event-types.ts';
import { html, type Html } from '../html.ts';
import { badge, formatDate, statusTone, visuallyHidden } from '../layout.ts';

export interface EndpointView {
  id: string;
  url: string;
  description: string;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
}

export interface DeliveryRow {
  id: string;
  endpointId: string;
  eventType: string;
  status: string;
  createdAt: Date;
  attempts: number;
  failedAttempts: number;
  replays: number;
  lastError: string | null;
}

export interface DeliveryDetail {
  id: string;
  eventType: string;
  status: string;
  occurredAt: Date;
  replays: number;
  payload: unknown;
  endpoint: { url: string };
  attempts: { id: string; startedAt: Date; durationMs: number; statusCode: number | null; error: string | null; responseExcerpt: string | null }[];
}

const succeeded = (statusCode: number | null) => statusCode !== null && statusCode >= 200 && statusCode < 300;

export function webhooksPage(data: { endpoints: EndpointView[]; deliveries: DeliveryRow[] }, secret?: { endpoint: string; secret: string; rotated: boolean }): Html {
  const urlOf = new Map(data.endpoints.map((endpoint) => [endpoint.id, endpoint.url]));
  return html`<h1>Webhooks</h1>
  <p class="muted">Steward tells your CRM what happened (tasks, conversions, consent, messages) by signed HTTP requests
  (<a href="https://www.standardwebhooks.com">Standard Webhooks</a>). Failed requests are retried for a day.</p>
  ${
    secret
      ? html`<div class="panel saved" role="status"><p>${secret.rotated ? 'New' : 'The'} signing secret for <strong>${secret.endpoint}</strong>. Copy it now; it will not be shown again.</p>
    <p><code class="secret" data-testid="webhook-secret">${secret.secret}</code></p></div>`
      : ''
  }
  <section class="panel" aria-labelledby="endpoints-title">
    <h2 id="endpoints-title">Endpoints</h2>
    ${
      data.endpoints.length === 0
        ? html`<p class="muted">No endpoints yet: nothing is sent.</p>`
        : html`<div class="table-wrap"><table class="data"><thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${data.endpoints.map(endpointRow)}</tbody></table></div>`
    }
    <h3 id="new-endpoint-title">Add an endpoint</h3>
    <form method="post" action="/app/webhooks/endpoints" class="stack" aria-labelledby="new-endpoint-title">
      <label for="endpoint-url">URL</label>
      <input id="endpoint-url" name="url" type="url" required maxlength="2000" placeholder="https://crm.example.org/steward-webhooks">
      <label for="endpoint-description">Description</label>
      <input id="endpoint-description" name="description" maxlength="200" placeholder="Salesforce sync">
      <fieldset><legend>Events</legend>
        ${webhookEventTypes.map((type) => html`<label class="check"><input type="checkbox" name="eventTypes" value="${type}"> ${type}</label>`)}
      </fieldset>
      <button type="submit">Add endpoint</button>
    </form>
  </section>
  <section class="panel" aria-labelledby="deliveries-title">
    <h2 id="deliveries-title">Deliveries</h2>
    ${
      data.deliveries.length === 0
        ? html`<p class="muted">Nothing sent yet.</p>`
        : html`<div class="table-wrap"><table class="data" data-testid="deliveries"><thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Endpoint</th><th scope="col">Status</th><th scope="col">Attempts</th></tr></thead>
      <tbody>${data.deliveries.map((delivery) => deliveryRow(delivery, urlOf.get(delivery.endpointId) ?? ''))}</tbody></table></div>`
    }
  </section>`;
}

function endpointRow(endpoint: EndpointView): Html {
  const label = endpoint.description || endpoint.url;
  return html`<tr><th scope="row"><code>${endpoint.url}</code>${endpoint.description ? html`<br><span class="muted small">${endpoint.description}</span>` : ''}</th>
    <td>${endpoint.eventTypes.join(', ')}</td>
    <td>${endpoint.enabled ? badge('on', 'good') : badge('off', 'bad')}${endpoint.disabledReason ? html`<br><span class="muted small">${endpoint.disabledReason}</span>` : ''}</td>
    <td class="actions">
      <form method="post" action="/app/webhooks/endpoints/${endpoint.id}/${endpoint.enabled ? 'disable' : 'enable'}"><button class="small" type="submit">${endpoint.enabled ? 'Turn off' : 'Turn on'}${visuallyHidden(` ${label}`)}</button></form>
      <form method="post" action="/app/webhooks/endpoints/${endpoint.id}/rotate-secret" data-confirm="Give ${label} a new secret? The old one stops working at once."><button class="small" type="submit">New secret${visuallyHidden(` for ${label}`)}</button></form>
      <form method="post" action="/app/webhooks/endpoints/${endpoint.id}/delete" data-confirm="Delete ${label} and its delivery log?"><button class="small quiet" type="submit">Delete${visuallyHidden(` ${label}`)}</button></form>
    </td></tr>`;
}

function deliveryRow(delivery: DeliveryRow, url: string): Html {
  const troubled = delivery.failedAttempts > 0 || delivery.status === 'failed';
  return html`<tr class="${troubled ? 'has-failures' : ''}" data-delivery="${delivery.id}">
    <td><a href="/app/webhooks/deliveries/${delivery.id}">${formatDate(delivery.createdAt)}${visuallyHidden(`: ${delivery.eventType} delivery`)}</a></td>
    <td>${delivery.eventType}</td><td><code class="small">${url}</code></td>
    <td>${badge(delivery.status, statusTone[delivery.status] ?? 'neutral')}${delivery.replays ? html` <span class="muted small">replayed ${delivery.replays}×</span>` : ''}</td>
    <td>${delivery.attempts}${delivery.failedAttempts ? html` <span class="status bad">(${delivery.failedAttempts} failed)</span>` : ''}${delivery.lastError && delivery.status !== 'delivered' ? html`<br><span class="muted small">${delivery.lastError}</span>` : ''}</td></tr>`;
}

export function deliveryPage(delivery: DeliveryDetail): Html {
  return html`<p><a href="/app/webhooks">← Webhooks</a></p>
  <h1>${delivery.eventType} delivery</h1>
  <p>To <code>${delivery.endpoint.url}</code> · ${badge(delivery.status, statusTone[delivery.status] ?? 'neutral')} · happened ${formatDate(delivery.occurredAt)}${delivery.replays ? ` · replayed ${delivery.replays}×` : ''}</p>
  <form method="post" action="/app/webhooks/deliveries/${delivery.id}/replay">
    <button type="submit">Replay</button> <span class="muted small">Sends it again with the same webhook-id, a new timestamp and signature.</span>
  </form>
  <section class="panel" aria-labelledby="attempts-title">
    <h2 id="attempts-title">Attempts</h2>
    ${
      delivery.attempts.length === 0
        ? html`<p class="muted">No attempt yet.</p>`
        : html`<div class="table-wrap"><table class="data" data-testid="attempts"><thead><tr><th scope="col">When</th><th scope="col">Answer</th><th scope="col">Took</th><th scope="col">Error</th><th scope="col">Response</th></tr></thead>
      <tbody>${delivery.attempts.map(
        (attempt) => html`<tr class="${succeeded(attempt.statusCode) ? '' : 'has-failures'}">
        <td>${formatDate(attempt.startedAt)}</td>
        <td>${attempt.statusCode === null ? badge('no answer', 'bad') : badge(String(attempt.statusCode), succeeded(attempt.statusCode) ? 'good' : 'bad')}</td>
        <td>${attempt.durationMs} ms</td><td>${attempt.error ?? ''}</td><td><code class="small">${attempt.responseExcerpt ?? ''}</code></td></tr>`,
      )}</tbody></table></div>`
    }
  </section>
  <section class="panel" aria-labelledby="payload-title">
    <h2 id="payload-title">Payload</h2>
    <pre class="payload"><code>${JSON.stringify(delivery.payload, null, 2)}</code></pre>
  </section>`;
}
