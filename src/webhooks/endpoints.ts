/**
 * The organisation's webhook endpoints: where each event type goes, and the
 * secret each request is signed with (Standard Webhooks: `whsec_` and base64),
 * shown when made or rotated and never again.
 */
import { randomBytes } from 'node:crypto';
import type { Database } from '../db/client.ts';
import type { WebhookEventType } from './event-types.ts';
import { subscriptionsChanged } from './subscriptions.ts';

export interface EndpointInput {
  url: string;
  description?: string | undefined;
  eventTypes: WebhookEventType[];
  enabled?: boolean | undefined;
}

/** An endpoint as shown after it is made: without its secret. */
const shown = {
  id: true,
  url: true,
  description: true,
  eventTypes: true,
  enabled: true,
  disabledReason: true,
  createdAt: true,
  updatedAt: true,
} as const;

/** A new signing secret: 32 random bytes, as the Standard Webhooks libraries expect them. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export type WebhookEndpoints = ReturnType<typeof createWebhookEndpoints>;

export function createWebhookEndpoints(db: Database) {
  return {
    /** Makes an endpoint; the answer carries its secret, the only time it is shown. */
    async create(input: EndpointInput) {
      const secret = newWebhookSecret();
      const endpoint = await db.webhookEndpoint.create({
        data: { url: input.url, description: input.description ?? '', eventTypes: [...new Set(input.eventTypes)], enabled: input.enabled ?? true, secret },
        select: shown,
      });
      subscriptionsChanged();
      return { ...endpoint, secret };
    },

    list() {
      return db.webhookEndpoint.findMany({ select: shown, orderBy: { createdAt: 'asc' } });
    },

    find(id: string) {
      return db.webhookEndpoint.findUnique({ where: { id }, select: shown });
    },

    /** Changes what is given; turning an endpoint on again clears why it was turned off. */
    async update(id: string, patch: Partial<EndpointInput>) {
      const { count } = await db.webhookEndpoint.updateMany({
        where: { id },
        data: {
          ...(patch.url !== undefined ? { url: patch.url } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.eventTypes !== undefined ? { eventTypes: [...new Set(patch.eventTypes)] } : {}),
          ...(patch.enabled !== undefined ? { enabled: patch.enabled, ...(patch.enabled ? { disabledReason: null } : {}) } : {}),
        },
      });
      subscriptionsChanged();
      return count === 0 ? undefined : db.webhookEndpoint.findUnique({ where: { id }, select: shown });
    },

    /** Deletes the endpoint with its delivery log; true when there was one. */
    async remove(id: string): Promise<boolean> {
      const { count } = await db.webhookEndpoint.deleteMany({ where: { id } });
      subscriptionsChanged();
      return count > 0;
    },

    /** A new secret for the endpoint, in force for the next request sent; undefined when there is no such endpoint. */
    async rotateSecret(id: string): Promise<{ id: string; secret: string } | undefined> {
      const secret = newWebhookSecret();
      const { count } = await db.webhookEndpoint.updateMany({ where: { id }, data: { secret } });
      return count === 0 ? undefined : { id, secret };
    },
  };
}
