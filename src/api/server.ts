/**
 * The HTTP API and the web app: one Fastify app, one error shape, every route's
 * input a zod schema that both validates requests and becomes the OpenAPI
 * description at GET /openapi.json.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { ApiKeyStore } from '../auth/api-keys.ts';
import type { OidcSignIn } from '../auth/oidc-sign-in.ts';
import type { PeopleStore } from '../auth/people.ts';
import type { PublishApproval } from '../journeys/publish-approval.ts';
import { registerApprovalRoutes } from './approval-routes.ts';
import { registerAuditRoutes } from './audit-routes.ts';
import { registerPeopleRoutes } from './people-routes.ts';
import type { WebSessionStore } from '../auth/web-sessions.ts';
import type { Database } from '../db/client.ts';
import type { EventRouter } from '../events/router.ts';
import type { RoutingPump } from '../events/routing-pump.ts';
import type { JourneyLifecycle } from '../journeys/lifecycle.ts';
import type { TaskService } from '../tasks/service.ts';
import { registerWebApp } from '../web/routes.ts';
import { registerAnalyticsRoutes } from './analytics-routes.ts';
import type { DropOffSettings } from '../events/drop-offs.ts';
import { errorPage } from '../web/error-page.ts';
import { registerAuthentication } from './auth.ts';
import { registerChannelRoutes, type ChannelRouteOptions } from './channel-routes.ts';
import { registerConnectorRoutes, type ConnectorOptions } from './connector-routes.ts';
import { registerConstituentRoutes } from './constituent-routes.ts';
import { registerEnrollmentRoutes } from './enrollment-routes.ts';
import { errorBody } from './errors.ts';
import { registerDropOffRoutes } from './drop-off-routes.ts';
import { answerClientError, answerFrameworkError, frameworkIssues, MAX_PARAM_LENGTH } from './framework-errors.ts';
import { InputError, registerInputHygiene } from './input-hygiene.ts';
import { registerEventRoutes } from './event-routes.ts';
import { registerRequestPriority } from './request-priority.ts';
import { registerHealthRoutes } from './health-routes.ts';
import { registerJourneyRoutes } from './journey-routes.ts';
import { registerKeyRoutes } from './key-routes.ts';
import { registerMessageRoutes } from './message-routes.ts';
import { registerPreferenceRoutes } from './preference-routes.ts';
import { openApiDocument, openApiTransform } from './openapi.ts';
import { createRateLimitStore } from './rate-limit-store.ts';
import { loggerOptions, noteFailure, registerRequestLog, type LogDestination, type LogLevel } from './request-log.ts';
import { registerSessionRoutes } from './session-routes.ts';
import { registerTaskRoutes } from './task-routes.ts';
import { registerTemplateRoutes } from './template-routes.ts';
import { registerVariantRoutes } from './variant-routes.ts';
import { registerTestSendRoutes } from './test-send-routes.ts';
import type { PreviewSettings } from '../templates/preview.ts';
import { defaultSample } from '../templates/sample.ts';
import type { TestSends } from '../templates/test-sends.ts';
import { registerWebhookRoutes, type WebhookServices } from './webhook-routes.ts';
import { RETRY_AFTER_SECONDS, unavailableMessage, unavailablePart } from './unavailable.ts';

export interface ApiDependencies {
  db: Database;
  router: EventRouter;
  /** Routes what intake stored, after the response. */
  routing: RoutingPump;
  tasks: TaskService;
  lifecycle: JourneyLifecycle;
  temporal: Client;
  keys: ApiKeyStore;
  /** People's accounts: invitations, passwords, roles. */
  people: PeopleStore;
  /** Approval before publish, when the organisation asks for it. */
  approval: PublishApproval;
  /** Web app sign-ins: the cookie carries one of these, never a key. */
  sessions: WebSessionStore;
  /** Outbound webhooks: endpoints, the delivery log, replays. */
  webhooks: WebhookServices;
  /** Unsubscribe page and provider webhooks; left out, those routes are not served. */
  channelRoutes?: ChannelRouteOptions | undefined;
  /** Requests per minute per API key (or per address, without one), across every API process. */
  rateLimit?: number;
  /** Length of a rate-limit window; a minute unless a test wants it shorter. */
  rateLimitWindowMs?: number;
  /** Where requests are counted: in the database for every API process (the default), or in this process alone (the embedded database serves one). */
  rateLimitCounted?: 'database' | 'process';
  /** Proxies whose X-Forwarded-For is believed (Fastify's `trustProxy`): rate limits then count clients, not the proxy. */
  trustProxy?: boolean | number | string | undefined;
  /**
   * The address people reach Steward at (STEWARD_PUBLIC_URL): form posts from its origin
   * count as the app's own, and when it is https the app's cookies are Secure.
   */
  publicUrl?: string;
  /** Groups of single events stored at once (`events/group-commit.ts`): 1 on the embedded database's one connection. */
  intakeConcurrency?: number;
  /** The first admin key's file (`<data dir>/api-key`): the sign-in page names it. */
  apiKeyFile?: string | undefined;
  /** How much the API logs, one line per request; `silent` unless given. */
  logLevel?: LogLevel;
  /** Where log lines go; standard output unless given (tests read them here). */
  logStream?: LogDestination;
  /** Time each readiness check (GET /ready) may take. */
  readyTimeoutMs?: number;
  /** What counts as a drop-off, for the scan preview; the defaults unless given. */
  dropOffSettings?: DropOffSettings | undefined;
  /** Stripe's webhook secret and the mapped connectors; without them their deliveries are refused. */
  connectors?: ConnectorOptions | undefined;
  /** Template previews and test sends: the organisation they render with and the transport tests go through. */
  templates?: TemplateServices | undefined;
  /** Sign-in through the organisation's identity provider (STEWARD_OIDC_*); left out, the web app offers passwords only. */
  oidc?: OidcSignIn | undefined;
}

export interface TemplateServices {
  previewSettings: PreviewSettings;
  /** Left out, test sends are refused: this process has no mail transport. */
  testSends?: TestSends | undefined;
  phoneCountry: string;
}

/** Previews without an organisation configured: the sample organisation, links to the API's own address. */
function defaultTemplateServices(publicUrl: string | undefined): TemplateServices {
  return { previewSettings: { org: defaultSample.org, defaultTimeZone: 'UTC', publicUrl: publicUrl ?? 'http://127.0.0.1:3000' }, phoneCountry: 'US' };
}

export const DEFAULT_RATE_LIMIT = 1_200;
const PAGE_POLICY = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
export const RATE_LIMIT_WINDOW_MS = 60_000;

export function buildApi(deps: ApiDependencies): FastifyInstance {
  const { db } = deps;
  // Signed tokens travel in the path (/u/:token); they are longer than Fastify's default 100 characters.
  // A URL the router or Node's parser refuses is answered in the one error shape too.
  const app = Fastify({
    ...loggerOptions(deps.logLevel ?? 'silent', deps.logStream),
    bodyLimit: 10 * 1_048_576,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    trustProxy: trustedProxies(deps.trustProxy),
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  registerRequestPriority(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((error: { statusCode?: number; message: string; code?: string }, request, reply) => {
    const validation = hasZodFastifySchemaValidationErrors(error)
      ? error.validation.map((issue) => ({ path: issue.instancePath.slice(1).replaceAll('/', '.'), message: issue.message ?? 'invalid' }))
      : error instanceof InputError
        ? error.issues
        : undefined;
    // A database or Temporal that did not answer (in time) is 503: the request may be
    // repeated as it was. So is Fastify's own 503, a handler that ran past `handlerTimeout`.
    const down = validation ? undefined : unavailablePart(error);
    const status = validation ? 400 : down || error.statusCode === 503 ? 503 : error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) noteFailure(request, error);
    const message = validation
      ? (request.routeOptions.config.invalid ?? 'Invalid request')
      : down
        ? `${unavailableMessage(down)}; try again in ${RETRY_AFTER_SECONDS} seconds`
        : status === 500
          ? 'Internal error'
          : error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
            ? `Body is not valid JSON: ${error.message}`
            : error.message;
    // People on a web page get the error on a page; programs get the one JSON shape.
    if (request.routeOptions.config.page) {
      const detail = validation ? `${message}: ${validation.map((issue) => `${issue.path || 'request'} ${issue.message}`).join('; ')}` : message;
      return reply.status(status).type('text/html; charset=utf-8').send(errorPage(status, detail, request.principal));
    }
    return reply.status(status).send(errorBody(message, validation ?? (status < 500 ? frameworkIssues(error) : undefined)));
  });
  // Every response: no content-type sniffing. Every page and drawing: nothing runs or
  // loads but Steward's own files, and no other site may frame it or take its forms.
  // Every 503, whichever route answered it, says when to try again.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (reply.statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    const type = String(reply.getHeader('content-type') ?? '');
    if ((type.startsWith('text/html') || type.startsWith('image/svg+xml')) && !reply.hasHeader('content-security-policy')) reply.header('content-security-policy', PAGE_POLICY);
    return payload;
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send(errorBody(`No route for ${request.method} ${request.url}`, [{ path: 'url', message: 'names no route' }])));
  registerInputHygiene(app);

  // Web forms and Twilio post application/x-www-form-urlencoded; a repeated field (checkboxes) becomes a list.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    const fields: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(body as string)) {
      const earlier = fields[key];
      fields[key] = earlier === undefined ? value : [earlier, value].flat();
    }
    done(null, fields);
  });
  registerRequestLog(app);
  void app.register(fastifyCookie);
  void app.register(fastifySwagger, { openapi: openApiDocument(), ...openApiTransform });
  const windowMs = deps.rateLimitWindowMs ?? RATE_LIMIT_WINDOW_MS;
  const max = deps.rateLimit ?? DEFAULT_RATE_LIMIT;
  // Counted in PostgreSQL, so every API process draws on the same budget per key
  // (in memory where the embedded database serves this process alone).
  // Expired windows are swept once a window (a minute) at most.
  const rateLimits = createRateLimitStore({ db, log: app.log, sweepEveryMs: windowMs, counted: deps.rateLimitCounted ?? 'database' });
  app.addHook('onClose', async () => {
    await rateLimits.settled();
  });
  void app.register(fastifyRateLimit, {
    store: rateLimits.Store,
    max,
    timeWindow: windowMs,
    // When the count cannot be read or written, the request goes through uncounted (and the
    // store logs why): the limit protects the service from overload, and refusing requests
    // that would otherwise succeed because one table hiccupped would be an outage of our
    // own making. A database that is really down fails those requests anyway.
    skipOnError: true,
    // After authentication, so one key's traffic is counted together wherever it comes from.
    hook: 'preHandler',
    keyGenerator: (request) => (request.principal ? `${request.principal.kind}:${request.principal.id}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`Rate limit reached: ${context.max} requests ${perWindow(windowMs)}; try again in ${context.after}`), { statusCode: 429 }),
  });
  registerAuthentication(app, deps, {
    publicUrl: () => deps.publicUrl ?? deps.channelRoutes?.publicUrl,
    // The same budget the limiter gives a keyless address (its key is `ip:<address>`).
    overLimitWithoutKey: async (request) => {
      const counted = await rateLimits.count(`api:ip:${request.ip}`, windowMs).catch(() => undefined);
      return counted && counted.current > max ? { retryAfterSeconds: Math.max(1, Math.ceil(counted.ttl / 1_000)) } : undefined;
    },
  });

  // Routes go in once the plugins above are loaded, so the OpenAPI description sees every one.
  void app.register(async (routes) => {
    registerHealthRoutes(routes, deps);
    routes.get('/openapi.json', { config: { permission: 'public' }, schema: { hide: true } as object }, async () => app.swagger());

    registerEventRoutes(routes, deps);
    registerConnectorRoutes(routes, deps);
    registerConstituentRoutes(routes, deps);
    registerEnrollmentRoutes(routes, deps);
    registerTaskRoutes(routes, deps);
    registerJourneyRoutes(routes, deps);
    registerMessageRoutes(routes, deps);
    registerAnalyticsRoutes(routes, deps);
    registerVariantRoutes(routes, deps);
    const templates = deps.templates ?? defaultTemplateServices(deps.publicUrl);
    registerTemplateRoutes(routes, { db: deps.db, previewSettings: templates.previewSettings });
    registerTestSendRoutes(routes, { db: deps.db, testSends: templates.testSends, phoneCountry: templates.phoneCountry });
    registerKeyRoutes(routes, deps);
    registerDropOffRoutes(routes, deps);
    registerWebhookRoutes(routes, deps);
    if (deps.channelRoutes) {
      registerChannelRoutes(routes, deps.channelRoutes);
      registerPreferenceRoutes(routes, deps.channelRoutes);
    }
    registerSessionRoutes(routes, deps);
    registerPeopleRoutes(routes, deps);
    registerAuditRoutes(routes, deps);
    registerApprovalRoutes(routes, deps);
    registerWebApp(routes, { ...deps, templates, secureCookies: deps.publicUrl?.startsWith('https://') ?? false });
  });
  return app;
}

/** Fastify's `trustProxy`, with a number meaning "this many hops in front of us". */
function trustedProxies(setting: boolean | number | string | undefined): boolean | string | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return setting ?? false;
}

/** "a minute" for the usual window, the length in seconds for a shorter one. */
function perWindow(windowMs: number): string {
  return windowMs === RATE_LIMIT_WINDOW_MS ? 'a minute' : `per ${windowMs / 1_000} seconds`;
}
