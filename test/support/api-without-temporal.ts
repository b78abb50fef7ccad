/**
 * The API on a real database with Temporal unreachable: enough for sign-in, pages that
 * only read, and webhooks that tell no journey.
 */
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiDependencies } from '../../src/api/server.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export interface ApiWithoutTemporal {
  database: TestDatabase;
  services: Services;
  api: FastifyInstance;
  stop(): Promise<void>;
}

/** `options` go to buildApi; `channelRoutes` may be made from the services. */
export async function startApiWithoutTemporal(
  options: Omit<Partial<ApiDependencies>, 'channelRoutes'> & { channelRoutes?: (services: Services) => ApiDependencies['channelRoutes'] } = {},
): Promise<ApiWithoutTemporal> {
  const database = await createTestDatabase();
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '300ms' }) });
  const services = createServices({
    db: database.prisma,
    temporal,
    taskQueue: 'unused',
    temporalTimeoutMs: 1_000,
    channels: { signingSecret: 's'.repeat(32), org: { name: 'Hope', website: '' }, phoneCountry: 'US' },
  });
  const { channelRoutes, ...rest } = options;
  const api = buildApi({ ...services, ...rest, channelRoutes: channelRoutes?.(services) });
  await api.ready();
  return {
    database,
    services,
    api,
    async stop() {
      await api.close();
      await database.drop();
    },
  };
}
