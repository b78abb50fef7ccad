/**
 * Which part Steward depends on did not answer, read from an error: the database
 * (Prisma, its `pg` driver adapter) or Temporal (its gRPC client). Such a request
 * failed through no fault of its own and may be repeated, so the API answers it
 * 503 with Retry-After rather than 500. Each shape below was seen by provoking it:
 * a database refusing connections, its backends terminated, a closed port, a
 * pool with no free connection, a Temporal address with nothing listening.
 */
import { isGrpcServiceError } from '@temporalio/client';

export type DependentPart = 'database' | 'temporal';

/** How long a client is told to wait before trying again: long enough for a restart or a burst to pass. */
export const RETRY_AFTER_SECONDS = 5;

/** Names the parts that are down: "The database is unavailable", "The database and Temporal are unavailable". */
export function unavailableMessage(...parts: DependentPart[]): string {
  const names = parts.map((part, index) => (part === 'temporal' ? 'Temporal' : index === 0 ? 'The database' : 'the database'));
  return `${names.join(' and ')} ${parts.length > 1 ? 'are' : 'is'} unavailable`;
}

/**
 * Prisma's own codes for a database it could not reach or use in time: P1001 not
 * reachable, P1002 timed out, P1008 operation timed out, P1017 connection closed,
 * P2024 no pool connection in time, P2028 the transaction could not start in its
 * `maxWait` or ran past its `timeout`.
 */
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);

/** The driver adapter's kinds for a connection that failed (`@prisma/adapter-pg` maps socket errors to these). */
const ADAPTER_UNAVAILABLE = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);

/**
 * PostgreSQL's codes for a server that is going away or will not take a session:
 * the connection exceptions (class 08), too many connections, and shutdowns
 * (57P01 is what `pg_terminate_backend` and a fast shutdown send). Errors about
 * the request itself (a missing database, a bad password) are not here: trying
 * again would not help.
 */
const POSTGRES_UNAVAILABLE = new Set(['08000', '08001', '08003', '08004', '08006', '53300', '57P01', '57P02', '57P03']);

/**
 * `pg` throws these as plain errors, without a code, when a socket drops, a connect
 * attempt times out, or a statement is sent on a connection that was ended between
 * two statements of a transaction (the server terminated its backend meanwhile).
 */
const DRIVER_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect/, /^Client has encountered a connection error and is not queryable/];

/** gRPC statuses meaning Temporal did not answer (in time, or at all) or shed the call: 14, 4, 8. */
const GRPC_UNAVAILABLE = new Set([14, 4, 8]);

/** Errors are followed through `cause` this deep; Temporal's ServiceError wraps the gRPC error once. */
const MAX_CAUSE_DEPTH = 5;

/** The part that did not answer, when that is why `error` happened; undefined for every other failure. */
export function unavailablePart(error: unknown): DependentPart | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current instanceof Error; depth++) {
    if (isDatabaseUnavailable(current)) return 'database';
    if (isGrpcServiceError(current) && GRPC_UNAVAILABLE.has(current.code)) return 'temporal';
    current = current.cause;
  }
  return undefined;
}

function isDatabaseUnavailable(error: Error): boolean {
  const { code, meta } = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: unknown } } };
  if (typeof code === 'string' && PRISMA_UNAVAILABLE.has(code)) return true;
  // Prisma keeps the adapter's error in `meta`; the adapter's own error carries it as `cause`.
  const adapterCause = meta?.driverAdapterError?.cause ?? (error.name === 'DriverAdapterError' ? error.cause : undefined);
  if (adapterCause && isAdapterUnavailable(adapterCause)) return true;
  return DRIVER_MESSAGES.some((pattern) => pattern.test(error.message));
}

function isAdapterUnavailable(cause: unknown): boolean {
  const { kind, code, severity } = cause as { kind?: unknown; code?: unknown; severity?: unknown };
  if (typeof kind === 'string' && ADAPTER_UNAVAILABLE.has(kind)) return true;
  if (kind !== 'postgres' || typeof code !== 'string') return false;
  // 55000 at session start (FATAL) is "database is not currently accepting connections";
  // the same code on a statement is a mistake in the request.
  return POSTGRES_UNAVAILABLE.has(code) || (code === '55000' && severity === 'FATAL');
}
