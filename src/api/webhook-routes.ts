/**
 * Outbound webhooks over HTTP, for admins: endpoints and their subscriptions
 * (the secret shown when made or rotated, never again), the delivery log, and
 * replaying a delivery.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { WebhookEventType } from '../webhooks/event-types.ts';
import type { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import type { WebhookDeliveryLog } from '../webhooks/delivery-log.ts';
import { endpointAddressProblem } from '../webhooks/endpoint-address.ts';
import { endpointUrlProblem, type EndpointUrlPolicy } from '../webhooks/endpoint-url.ts';
import type { WebhookEndpoints } from '../webhooks/endpoints.ts';
import { errorBody, type ErrorBody } from './errors.ts';

export interface WebhookServices {
  endpoints: WebhookEndpoints;
  deliveries: WebhookDeliveryLog;
  /** Replays go back to the outbox; the dispatcher is told at once. */
  dispatcher: Pick<WebhookDispatcher, 'kick'>;
  urlPolicy: EndpointUrlPolicy;
}

const tags = ['Webhooks'];
const IdParams = z.strictObject({ id: z.string().min(1) });

/** The endpoint fields, with the URL checked against the organisation's policy. */
export function endpointFields(policy: EndpointUrlPolicy) {
  return {
    url: z
      .string()
      .trim()
      .max(2_000)
      .superRefine((url, ctx) => {
        const problem = endpointUrlProblem(url, policy);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    description: z.string().trim().max(200),
    eventTypes: z.array(WebhookEventType).min(1, 'must name at least one event type'),
    enabled: z.boolean(),
  };
}

/**
 * The 422 answer for a well-formed endpoint URL whose host is, or resolves to, an
 * address Steward does not send webhooks to; undefined when it may be saved.
 */
export async function refusedEndpointAddress(url: string, policy: EndpointUrlPolicy): Promise<ErrorBody | undefined> {
  const problem = await endpointAddressProblem(url, policy);
  return problem ? errorBody('Webhook endpoint refused: its URL points where Steward does not send webhooks', [{ path: 'url', message: problem }]) : undefined;
}

const addressRefusalDoc =
  'A URL whose host is, or resolves to, a private, loopback, link-local or other non-public address is refused with 422 naming `url` and why (private networks are allowed with STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true; link-local and cloud metadata addresses never are). The host is checked again before every request.';

const DeliveryQuery = z.strictObject({
  endpointId: z.string().min(1).optional(),
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export function registerWebhookRoutes(server: FastifyInstance, deps: { webhooks: WebhookServices }): void {
  const { endpoints, deliveries, dispatcher, urlPolicy } = deps.webhooks;
  const app = server.withTypeProvider<ZodTypeProvider>();
  const fields = endpointFields(urlPolicy);
  const notFound = (what: string, id: string) => errorBody(`${what} ${id} not found`);

  app.post(
    '/webhooks/endpoints',
    {
      config: { permission: 'settings.manage', invalid: 'Invalid webhook endpoint' },
      schema: {
        tags,
        summary: 'Add an endpoint that receives the event types it subscribes to; the answer is the only time its signing secret is shown',
        description: addressRefusalDoc,
        body: z.strictObject({ url: fields.url, eventTypes: fields.eventTypes, description: fields.description.optional(), enabled: fields.enabled.optional() }),
      },
    },
    async (request, reply) => {
      const refused = await refusedEndpointAddress(request.body.url, urlPolicy);
      if (refused) return reply.status(422).send(refused);
      return reply.status(201).send(await endpoints.create(request.body));
    },
  );

  app.get('/webhooks/endpoints', { config: { permission: 'settings.manage' }, schema: { tags, summary: 'Every webhook endpoint and its subscriptions; never a secret' } }, async () => ({
    endpoints: await endpoints.list(),
  }));

  app.get('/webhooks/endpoints/:id', { config: { permission: 'settings.manage' }, schema: { tags, summary: 'One webhook endpoint', params: IdParams } }, async (request, reply) => {
    return (await endpoints.find(request.params.id)) ?? reply.status(404).send(notFound('Webhook endpoint', request.params.id));
  });

  app.patch(
    '/webhooks/endpoints/:id',
    {
      config: { permission: 'settings.manage', invalid: 'Invalid webhook endpoint' },
      schema: {
        tags,
        summary: 'Change an endpoint: its URL, subscriptions, description, or whether it is on',
        description: addressRefusalDoc,
        params: IdParams,
        body: z.strictObject({ url: fields.url.optional(), eventTypes: fields.eventTypes.optional(), description: fields.description.optional(), enabled: fields.enabled.optional() }),
      },
    },
    async (request, reply) => {
      const refused = request.body.url === undefined ? undefined : await refusedEndpointAddress(request.body.url, urlPolicy);
      if (refused) return reply.status(422).send(refused);
      return (await endpoints.update(request.params.id, request.body)) ?? reply.status(404).send(notFound('Webhook endpoint', request.params.id));
    },
  );

  app.delete('/webhooks/endpoints/:id', { config: { permission: 'settings.manage' }, schema: { tags, summary: 'Delete an endpoint and its delivery log', params: IdParams } }, async (request, reply) => {
    if (!(await endpoints.remove(request.params.id))) return reply.status(404).send(notFound('Webhook endpoint', request.params.id));
    return reply.status(204).send();
  });

  app.post(
    '/webhooks/endpoints/:id/rotate-secret',
    { config: { permission: 'settings.manage' }, schema: { tags, summary: 'Give an endpoint a new signing secret, used from the next request on; shown only in this answer', params: IdParams } },
    async (request, reply) => (await endpoints.rotateSecret(request.params.id)) ?? reply.status(404).send(notFound('Webhook endpoint', request.params.id)),
  );

  app.get(
    '/webhooks/deliveries',
    { config: { permission: 'settings.manage', invalid: 'Invalid query' }, schema: { tags, summary: 'The delivery log, newest first: each delivery with its attempts counted', querystring: DeliveryQuery } },
    async (request) => ({ deliveries: await deliveries.list(request.query) }),
  );

  app.get(
    '/webhooks/deliveries/:id',
    { config: { permission: 'settings.manage' }, schema: { tags, summary: 'One delivery: its payload and every attempt (status code, duration, error, the start of the answer)', params: IdParams } },
    async (request, reply) => (await deliveries.find(request.params.id)) ?? reply.status(404).send(notFound('Webhook delivery', request.params.id)),
  );

  app.post(
    '/webhooks/deliveries/:id/replay',
    {
      config: { permission: 'settings.manage' },
      schema: { tags, summary: 'Send a delivery again: the same webhook-id, a new timestamp and signature', params: IdParams },
    },
    async (request, reply) => {
      const replay = await deliveries.replay(request.params.id);
      if (!replay) return reply.status(404).send(notFound('Webhook delivery', request.params.id));
      dispatcher.kick();
      return reply.status(202).send(replay);
    },
  );
}
