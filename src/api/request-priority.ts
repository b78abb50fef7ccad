/**
 * Work done while answering a request goes first on the database (see
 * `db/priority-pool.ts`): the request enters that context as it arrives, and its
 * hooks, body reading and handler all run in it (a test holds this, over a socket).
 */
import type { FastifyInstance } from 'fastify';
import { asInteractive } from '../db/priority-pool.ts';

export function registerRequestPriority(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, _reply, done) => asInteractive(() => done()));
}
