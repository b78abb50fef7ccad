/**
 * The one way Steward reaches its database: Prisma's generated client over the
 * `pg` driver adapter, for a PostgreSQL server and for embedded PGlite alike.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.ts';

export { Prisma } from './generated/prisma/client.ts';
export type {
  ApiKey,
  Constituent,
  ConstituentConsent,
  Enrollment,
  EnrollmentTransition,
  InteractionEvent,
  Journey,
  JourneyVersion,
  Message,
  StaffTask,
  Suppression,
} from './generated/prisma/client.ts';
export type { Channel, ConsentStatus, MessageStatus } from './generated/prisma/enums.ts';

export type Database = PrismaClient;

export interface DatabaseOptions {
  /** Size of the connection pool; PGlite serves one query at a time, so a few suffice there. */
  maxConnections?: number;
  /**
   * How long a query waits for a connection (to open one, or for one of the pool's to
   * come free). A database server that silently drops connections would otherwise keep
   * queries waiting without limit; past this they fail, and the API answers 503. Left
   * unset for the embedded database, whose one connection a burst legitimately queues on.
   */
  connectionTimeoutMs?: number;
}

export function createPrismaClient(url: string, options: DatabaseOptions = {}): Database {
  const adapter = new PrismaPg({
    connectionString: url,
    max: options.maxConnections ?? 10,
    ...(options.connectionTimeoutMs ? { connectionTimeoutMillis: options.connectionTimeoutMs } : {}),
  });
  return new PrismaClient({ adapter });
}
