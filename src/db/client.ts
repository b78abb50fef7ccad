/**
 * The one way Steward reaches its database: Prisma's generated client over the
 * `pg` driver adapter, for a PostgreSQL server and for embedded PGlite alike.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import { PrismaClient } from './generated/prisma/client.ts';
import { PriorityPool } from './priority-pool.ts';

export { Prisma } from './generated/prisma/client.ts';
export type {
  ApiKey,
  Constituent,
  ConstituentConsent,
  Enrollment,
  GiftReceipt,
  EnrollmentTransition,
  InteractionEvent,
  Journey,
  JourneyVersion,
  Message,
  Person,
  StaffTask,
  Suppression,
  WebSession,
  TemplateVersion,
  JourneyTemplatePin,
  SeedRecipient,
  TestMessage,
} from './generated/prisma/client.ts';
export type { Channel, ConsentStatus, EngagementKind, JourneyStatus, MessageStatus } from './generated/prisma/enums.ts';

export type Database = PrismaClient;

export interface DatabaseOptions {
  /** Size of the connection pool; 1 for PGlite, one session whose connections could receive each other's rows. */
  maxConnections?: number;
  /**
   * How long a query waits for a connection (to open one, or for one of the pool's to
   * come free). A database server that silently drops connections would otherwise keep
   * queries waiting without limit; past this they fail, and the API answers 503. Left
   * unset for the embedded database, whose one connection a burst legitimately queues on.
   */
  connectionTimeoutMs?: number;
}

/**
 * How long a transaction waits for its connection when no `connectionTimeoutMs` is
 * set: on the embedded database's one connection a burst legitimately queues, and
 * Prisma's 2 s default failed transactions (the worker's activities, to be retried
 * later) exactly when the machine was busiest. With a timeout set, a transaction
 * waits as long as a query would.
 */
const QUEUED_TRANSACTION_WAIT_MS = 60_000;

export function createPrismaClient(url: string, options: DatabaseOptions = {}): Database {
  const adapter = new PrismaPg(createDatabasePool(url, options), { disposeExternalPool: true });
  return new PrismaClient({ adapter, transactionOptions: { maxWait: options.connectionTimeoutMs ?? QUEUED_TRANSACTION_WAIT_MS } });
}

/**
 * The pool Prisma's adapter draws on, each of whose connections listens for errors
 * its whole life. pg-pool takes its own listener off a connection when it hands it
 * out, and the adapter puts one on a transaction's connection only after the `await`
 * that receives it: a connection the server ended in between (its backend terminated
 * in a restart or failover, the notice read together with the previous statement's
 * answer) emitted 'error' with nobody listening, and that killed the process. Now
 * the connection's next statement fails (503) and the pool drops it when it returns.
 * Requests are served before background work waiting for a connection (`priority-pool.ts`).
 */
export function createDatabasePool(url: string, options: DatabaseOptions = {}): pg.Pool {
  const pool = new PriorityPool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    ...(options.connectionTimeoutMs ? { connectionTimeoutMillis: options.connectionTimeoutMs } : {}),
  });
  pool.on('connect', (connection) => connection.on('error', () => {}));
  return pool;
}
