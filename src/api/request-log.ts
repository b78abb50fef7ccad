/**
 * The API's log, through Fastify's logger (pino): one JSON line per request with
 * its method, route pattern, status, duration and request id, the id also sent
 * back as `X-Request-Id`. A request that failed on the server carries its error,
 * with the stack, on the same line. Nothing personal is written: no bodies, no
 * URLs (query strings hold emails and names, paths hold signed tokens), keys,
 * cookies and authorization headers redacted, emails, phone numbers and keys
 * scrubbed from error messages.
 */
import { randomUUID } from 'node:crypto';
import { LogController, type FastifyInstance, type FastifyRequest, type FastifyServerOptions, type LogLevel } from 'fastify';
import { scrub } from '../privacy/scrub.ts';

export type { LogLevel };

/** Where log lines go: standard output unless a test captures them. */
export interface LogDestination {
  write(line: string): void;
}

export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming request id is kept when it is a plain token a log search can match; anything else gets a fresh one. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What never reaches the log, wherever a caller puts it (pino `redact` paths; fields one level deep). */
const SECRET_HEADERS = ['authorization', 'cookie', 'set-cookie', 'x-api-key'];
const PERSONAL_FIELDS = ['key', 'token', 'password', 'email', 'phone', 'firstName', 'lastName', 'name'];
const REDACTED_PATHS = [
  ...['req.headers', 'res.headers', 'headers'].flatMap((where) => SECRET_HEADERS.map((header) => `${where}["${header}"]`)),
  ...PERSONAL_FIELDS.flatMap((field) => [field, `*.${field}`]),
];

/** How deep an error's causes are written. */
const MAX_CAUSES = 3;

/** Fastify options for the logger and request ids; `silent` writes nothing. */
export function loggerOptions(
  level: LogLevel,
  stream?: LogDestination,
): Pick<FastifyServerOptions, 'logger' | 'genReqId' | 'logController'> {
  return {
    logger: { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: { err: errorForLog }, ...(stream ? { stream } : {}) },
    genReqId: (request) => {
      const given = request.headers[REQUEST_ID_HEADER];
      return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Fastify's own request lines come two per request and carry the full URL; ours is one, by route pattern.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
  };
}

const failures = new WeakMap<FastifyRequest, unknown>();

/** Puts the error a request failed with on its log line. */
export function noteFailure(request: FastifyRequest, error: unknown): void {
  failures.set(request, error);
}

/** Sends every request's id back and writes its one line when the response is done. */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const route = request.routeOptions.url ?? null;
    const failure = failures.get(request);
    // A part that is down (503) is an outage to watch, not a fault in Steward (500).
    const level = status === 503 ? 'warn' : status >= 500 ? 'error' : 'info';
    reply.log[level](
      { method: request.method, route, status, durationMs: Math.round(reply.elapsedTime * 10) / 10, ...(failure === undefined ? {} : { err: failure }) },
      `${request.method} ${route ?? '(no route)'} ${status}`,
    );
  });
}

/** An error as a log field: type, code, message and stack, with its causes, personal data scrubbed. */
export function errorForLog(error: unknown, depth = 0): { type: string; message: string; stack: string; [field: string]: unknown } {
  if (!(error instanceof Error)) return { type: typeof error, message: scrub(String(error)), stack: '' };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    message: scrub(error.message),
    stack: scrub(error.stack ?? ''),
    ...(error.cause !== undefined && depth < MAX_CAUSES ? { cause: errorForLog(error.cause, depth + 1) } : {}),
  };
}
