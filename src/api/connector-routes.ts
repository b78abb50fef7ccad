/**
 * Gifts and registrations from payment platforms and form tools:
 *
 * - `POST /connectors/stripe/webhook`: Stripe events, believed only with a genuine `Stripe-Signature`.
 * - `POST /connectors/:name/webhook`: a mapped connector's deliveries, believed only with its HMAC.
 * - `POST /connectors/:name/preview`: the Steward event a sample payload would become, or where it fails.
 * - `GET /connectors`: each connector and its latest deliveries.
 *
 * Webhooks are read as raw bytes (signatures are over the bytes sent), and what they
 * map to goes through the same durable intake as `POST /events`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recentDeliveries } from '../connectors/deliveries.ts';
import { createConnectorIntake, type ConnectorIntake, type DeliveryReceipt } from '../connectors/intake.ts';
import type { MappedConnector } from '../connectors/mapped/catalog.ts';
import { mapPayload } from '../connectors/mapped/map.ts';
import { verifyHmac } from '../connectors/mapped/hmac.ts';
import { createStripeLedger } from '../connectors/stripe/ledger.ts';
import { mapStripeEvent } from '../connectors/stripe/mapping.ts';
import { verifyStripeDelivery } from '../connectors/stripe/signature.ts';
import type { Database } from '../db/client.ts';
import type { RoutingPump } from '../events/routing-pump.ts';
import { errorBody, type ErrorIssue } from './errors.ts';
import { hostileParts } from './input-hygiene.ts';

export interface ConnectorOptions {
  /** Stripe's webhook signing secret (STEWARD_STRIPE_WEBHOOK_SECRET); without it Stripe deliveries are refused. */
  stripeWebhookSecret?: string | undefined;
  /** Connectors defined by mapping files, each with its HMAC secret when one is configured. */
  mapped?: readonly MappedConnector[];
}

/** Providers prove themselves by signature, not an API key, and come in bursts: no per-address limit. */
const webhookConfig = { permission: 'public', rateLimit: false } as const;
const tags = ['Connectors'];
const ConnectorName = z.strictObject({ name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a connector name: lower-case letters, digits and dashes') });

export function registerConnectorRoutes(server: FastifyInstance, deps: { db: Database; routing: RoutingPump; connectors?: ConnectorOptions | undefined }): void {
  const intake = createConnectorIntake(deps);
  const mapped = new Map((deps.connectors?.mapped ?? []).map((connector) => [connector.definition.name, connector]));
  registerWebhooks(server, deps, intake, mapped);
  registerPreviewAndList(server, deps.db, mapped);
}

/** The webhooks, in a scope of their own that reads JSON bodies as the bytes sent. */
function registerWebhooks(server: FastifyInstance, deps: { db: Database; connectors?: ConnectorOptions | undefined }, intake: ConnectorIntake, mapped: Map<string, MappedConnector>): void {
  const ledger = createStripeLedger(deps.db);
  const secret = deps.connectors?.stripeWebhookSecret;
  void server.register(async (scope) => {
    scope.removeContentTypeParser(['application/json']);
    scope.addContentTypeParser(['application/json'], { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    scope.post(
      '/connectors/stripe/webhook',
      {
        config: webhookConfig,
        schema: {
          tags,
          summary: 'Stripe events: gifts, recurring gifts, failed and cancelled subscriptions, refunds',
          description:
            'Believed only with a `Stripe-Signature` made with STEWARD_STRIPE_WEBHOOK_SECRET within 5 minutes (else 400, nothing stored). Answers 200 for every genuine event: stored, a duplicate of a payment already recorded, ignored (a type Steward does not use) or a redelivery (the same Stripe event id, nothing written).',
        },
      },
      async (request, reply) => {
        if (!secret) return reply.status(404).send(errorBody('Stripe is not connected: set STEWARD_STRIPE_WEBHOOK_SECRET to the endpoint\'s signing secret'));
        const verified = verifyStripeDelivery(rawBodyOf(request.body), request.headers['stripe-signature'], secret);
        if ('refused' in verified) return refuse(reply, intake, 'stripe', verified.refused, 'headers.stripe-signature');
        const hostile = hostileParts(verified.event);
        if (hostile.length > 0) return refuse(reply, intake, 'stripe', `the event holds text Steward cannot store: ${hostile.map(({ path, message }) => `${path} ${message}`).join('; ')}`, 'body', hostile);
        const delivery = { connector: 'stripe', deliveryId: verified.event.id, kind: verified.event.type };
        return reply.status(200).send(answer(await intake.accept(delivery, await mapStripeEvent(verified.event, ledger))));
      },
    );

    scope.post(
      '/connectors/:name/webhook',
      {
        config: webhookConfig,
        schema: {
          tags,
          summary: 'A mapped connector\'s deliveries (donation forms, registration tools)',
          description:
            'Believed only with the connector\'s HMAC-SHA256 signature (and timestamp, when its mapping asks for one). The mapping turns the payload into a Steward event, stored as `POST /events` stores it; the idempotency key it names makes a redelivery store nothing. A payload the mapping cannot read is refused (400) naming the payload path.',
          params: ConnectorName,
        },
      },
      async (request, reply) => {
        const { name } = request.params as { name: string };
        const connector = mapped.get(name);
        if (!connector) return reply.status(404).send(errorBody(`No connector named "${name}"`, [{ path: 'params.name', message: 'names no connector' }]));
        if (!connector.secret) return refuse(reply, intake, name, `connector "${name}" has no secret: set it in STEWARD_CONNECTOR_SECRETS`, 'headers', undefined, 404);
        const raw = rawBodyOf(request.body);
        const signed = verifyHmac(connector.definition.signature, connector.secret, raw, request.headers);
        if (signed) return refuse(reply, intake, name, signed.message, signed.path);
        const payload = parseJson(raw);
        if (payload === undefined) return refuse(reply, intake, name, 'the body is not JSON', 'body');
        const hostile = hostileParts(payload);
        if (hostile.length > 0) return refuse(reply, intake, name, 'the payload holds text Steward cannot store', 'body', hostile);
        const mappedPayload = mapPayload(connector.definition, payload);
        if ('issues' in mappedPayload) {
          const reason = mappedPayload.issues.map(({ path, message }) => `${path}: ${message}`).join('; ');
          const issues = mappedPayload.issues.map(({ path, message }) => ({ path, message }));
          return refuse(reply, intake, name, `the mapping cannot read this payload: ${reason}`, 'body', issues, 400, mappedPayload.kind);
        }
        const delivery = { connector: name, deliveryId: mappedPayload.deliveryId, kind: mappedPayload.kind };
        const verdict = 'ignored' in mappedPayload ? { ignored: mappedPayload.ignored } : { event: mappedPayload.event };
        return reply.status(200).send(answer(await intake.accept(delivery, verdict)));
      },
    );
  });
}

function registerPreviewAndList(server: FastifyInstance, db: Database, mapped: Map<string, MappedConnector>): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  app.post(
    '/connectors/:name/preview',
    {
      config: { permission: 'records.read', invalid: 'Invalid preview' },
      schema: {
        tags,
        summary: 'The Steward event a sample payload would become',
        description: 'Nothing is stored and no signature is needed. Answers the event, or each problem with the payload path it is at and the mapping line that reads it.',
        params: ConnectorName,
        body: z.strictObject({ payload: z.unknown() }),
      },
    },
    async (request, reply) => {
      const connector = mapped.get(request.params.name);
      if (!connector) return reply.status(404).send(errorBody(`No connector named "${request.params.name}"`, [{ path: 'params.name', message: 'names no connector' }]));
      const result = mapPayload(connector.definition, request.body.payload);
      if ('issues' in result) return reply.status(400).send(errorBody('The mapping cannot read this payload', result.issues.map((issue) => withLine(issue, connector))));
      return 'ignored' in result ? { deliveryId: result.deliveryId, kind: result.kind, ignored: result.ignored } : { deliveryId: result.deliveryId, kind: result.kind, event: result.event };
    },
  );

  app.get(
    '/connectors',
    { config: { permission: 'records.read' }, schema: { tags, summary: 'Connectors and their latest deliveries', querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) }) } },
    async (request) => ({
      connectors: await Promise.all(
        ['stripe', ...mapped.keys()].map(async (name) => ({ name, kind: name === 'stripe' ? 'stripe' : 'mapped', deliveries: await recentDeliveries(db, name, request.query.limit) })),
      ),
    }),
  );
}

/** Records the refusal (nothing else) and answers 400 naming what is wrong. */
async function refuse(reply: FastifyReply, intake: ConnectorIntake, connector: string, reason: string, path: string, issues?: readonly ErrorIssue[], status = 400, kind?: string): Promise<FastifyReply> {
  await intake.refuse({ connector, reason, kind });
  return reply.status(status).send(errorBody(`Delivery refused: ${reason}`, issues && issues.length > 0 ? [...issues] : [{ path, message: reason }]));
}

function answer(receipt: DeliveryReceipt) {
  return { received: true, ...receipt };
}

function rawBodyOf(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : '');
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function withLine(issue: ErrorIssue & { mappingPath?: string }, connector: MappedConnector): ErrorIssue {
  const line = issue.mappingPath ? connector.lineOf(issue.mappingPath) : undefined;
  return { path: issue.path, message: issue.message, ...(line ? { line } : {}) };
}
