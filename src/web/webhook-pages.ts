/** The webhooks pages, for admins: add and manage endpoints, read the delivery log, replay a delivery. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { endpointFields, type WebhookServices } from '../api/webhook-routes.ts';
import { endpointAddressProblem } from '../webhooks/endpoint-address.ts';
import type { PageFrame } from './layout.ts';
import { deliveryPage, webhooksPage } from './pages/webhooks.ts';

export interface WebhookPageHelpers {
  render(request: FastifyRequest, reply: FastifyReply, frame: Omit<PageFrame, 'principal' | 'flash'>, status?: number): unknown;
  redirectWith(reply: FastifyReply, to: string, kind: 'ok' | 'error', text: string): unknown;
}

const IdParams = z.strictObject({ id: z.string().min(1) });
const admin = { config: { permission: 'settings.manage' as const, page: true } };

export function registerWebhookPages(server: FastifyInstance, webhooks: WebhookServices, { render, redirectWith }: WebhookPageHelpers): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const { endpoints, deliveries, dispatcher } = webhooks;
  const fields = endpointFields(webhooks.urlPolicy);
  // A form sends one checkbox as a string and several as a list.
  const NewEndpoint = z.strictObject({
    url: fields.url,
    description: fields.description.default(''),
    eventTypes: z.preprocess((value) => (value === undefined ? [] : [value].flat()), fields.eventTypes),
  });

  const show = async (request: FastifyRequest, reply: FastifyReply, secret?: Parameters<typeof webhooksPage>[1], status = 200) =>
    render(request, reply, { title: 'Webhooks', section: 'webhooks', body: webhooksPage({ endpoints: await endpoints.list(), deliveries: await deliveries.list({ limit: 100 }) }, secret) }, status);

  app.get('/app/webhooks', admin, async (request, reply) => show(request, reply));

  app.post('/app/webhooks/endpoints', { ...admin, schema: { body: z.record(z.string(), z.unknown()) } }, async (request, reply) => {
    const parsed = NewEndpoint.safeParse(request.body);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'form'}: ${issue.message}`).join('; ');
      return redirectWith(reply, '/app/webhooks', 'error', `The endpoint was not added. ${problems}`.slice(0, 500));
    }
    const refused = await endpointAddressProblem(parsed.data.url, webhooks.urlPolicy);
    if (refused) return redirectWith(reply, '/app/webhooks', 'error', `The endpoint was not added. url: ${refused}`.slice(0, 500));
    const created = await endpoints.create(parsed.data);
    return show(request, reply, { endpoint: created.url, secret: created.secret, rotated: false }, 201);
  });

  app.post('/app/webhooks/endpoints/:id/rotate-secret', { ...admin, schema: { params: IdParams } }, async (request, reply) => {
    const endpoint = await endpoints.find(request.params.id);
    const rotated = endpoint && (await endpoints.rotateSecret(endpoint.id));
    if (!endpoint || !rotated) return redirectWith(reply, '/app/webhooks', 'error', 'No such endpoint.');
    return show(request, reply, { endpoint: endpoint.url, secret: rotated.secret, rotated: true });
  });

  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(`/app/webhooks/endpoints/:id/${action}`, { ...admin, schema: { params: IdParams } }, async (request, reply) => {
      const endpoint = await endpoints.update(request.params.id, { enabled });
      if (!endpoint) return redirectWith(reply, '/app/webhooks', 'error', 'No such endpoint.');
      return redirectWith(reply, '/app/webhooks', 'ok', `${endpoint.url} is ${enabled ? 'on' : 'off'}.`);
    });
  }

  app.post('/app/webhooks/endpoints/:id/delete', { ...admin, schema: { params: IdParams } }, async (request, reply) => {
    const removed = await endpoints.remove(request.params.id);
    return redirectWith(reply, '/app/webhooks', removed ? 'ok' : 'error', removed ? 'Endpoint deleted.' : 'No such endpoint.');
  });

  app.get('/app/webhooks/deliveries/:id', { ...admin, schema: { params: IdParams } }, async (request, reply) => {
    const delivery = await deliveries.find(request.params.id);
    if (!delivery) return redirectWith(reply, '/app/webhooks', 'error', 'No such delivery.');
    return render(request, reply, { title: `${delivery.eventType} delivery`, section: 'webhooks', body: deliveryPage(delivery) });
  });

  app.post('/app/webhooks/deliveries/:id/replay', { ...admin, schema: { params: IdParams } }, async (request, reply) => {
    const replay = await deliveries.replay(request.params.id);
    if (!replay) return redirectWith(reply, '/app/webhooks', 'error', 'No such delivery.');
    dispatcher.kick();
    return redirectWith(reply, `/app/webhooks/deliveries/${replay.id}`, 'ok', 'Sent again: it appears below as a new attempt.');
  });
}
