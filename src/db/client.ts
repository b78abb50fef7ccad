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
}

export function createPrismaClient(url: string, options: DatabaseOptions = {}): Database {
  const adapter = new PrismaPg({ connectionString: url, max: options.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}
