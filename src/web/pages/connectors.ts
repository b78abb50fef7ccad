/** The connectors page: each payment platform or form tool Steward takes gifts from, and its latest deliveries. */
import type { DeliveryLine } from '../../connectors/deliveries.ts';
import { html, type Html } from '../html.ts';
import { badge, formatDate } from '../layout.ts';

export interface ConnectorView {
  name: string;
  title: string;
  description: string;
  /** Whether it can believe a delivery: its signing secret is configured. */
  ready: boolean;
  /** What to set when it is not. */
  setup: string;
  webhookPath: string;
  deliveries: DeliveryLine[];
}

const outcomeTone = { stored: 'good', duplicate: 'info', ignored: 'neutral', refused: 'bad' } as const;

export function connectorsPage(connectors: readonly ConnectorView[]): Html {
  return html`<h1>Connectors</h1>
  <p class="muted">Gifts, registrations and drop-offs arrive from these platforms by signed webhooks, and are stored as events like any other. Each delivery is listed with what became of it.</p>
  ${connectors.map((connector) => connectorPanel(connector))}`;
}

function connectorPanel(connector: ConnectorView): Html {
  const headingId = `connector-${connector.name}`;
  return html`<section class="panel" aria-labelledby="${headingId}">
    <h2 id="${headingId}">${connector.title} ${connector.ready ? badge('receiving', 'good') : badge('not set up', 'warn')}</h2>
    <p>${connector.description}</p>
    <p class="small">Webhook: <code>POST ${connector.webhookPath}</code>${connector.ready ? '' : html` · <span class="muted">${connector.setup}</span>`}</p>
    ${
      connector.deliveries.length === 0
        ? html`<p class="muted">No deliveries yet.</p>`
        : html`<table class="data"><caption class="visually-hidden">Latest deliveries to ${connector.title}</caption>
      <thead><tr><th scope="col">Received</th><th scope="col">Kind</th><th scope="col">Delivery</th><th scope="col">Outcome</th><th scope="col">Why</th><th scope="col">Event</th></tr></thead>
      <tbody>${connector.deliveries.map(
        (delivery) => html`<tr><td>${formatDate(delivery.receivedAt)}</td><td>${delivery.kind ?? '—'}</td><td>${delivery.deliveryId ? html`<code>${delivery.deliveryId}</code>` : '—'}</td>
        <td>${badge(delivery.outcome, outcomeTone[delivery.outcome])}</td><td class="small">${delivery.reason ?? ''}</td><td>${delivery.eventId ? html`<code>${delivery.eventId.slice(0, 8)}</code>` : ''}</td></tr>`,
      )}</tbody></table>`
    }
  </section>`;
}
