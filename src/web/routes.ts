/**
 * The web app, served by the API process under /app: pages rendered on the
 * server from the same services the JSON API uses, so both show the same truth.
 * Every page works as plain links and forms; /app/static/app.js adds live
 * refresh and checking while typing.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createAnalytics } from '../analytics/metrics.ts';
import { variantResults } from '../analytics/variants.ts';
import { EndSplitError, endSplitTest } from '../journeys/end-split.ts';
import { errorPage } from './error-page.ts';
import { ApiScope, type ApiKeyStore } from '../auth/api-keys.ts';
import { actorOf } from '../auth/audit.ts';
import { assigneeOf } from '../auth/constituent-access.ts';
import type { PeopleStore } from '../auth/people.ts';
import { may, type Permission, type Principal } from '../auth/permissions.ts';
import type { PublishApproval } from '../journeys/publish-approval.ts';
import type { WebSessionStore } from '../auth/web-sessions.ts';
import { canViewConstituent } from '../auth/constituent-access.ts';
import { createConstituentDirectory, ConstituentError } from '../constituents/directory.ts';
import type { Database, JourneyVersion, StaffTask } from '../db/client.ts';
import { createJourneyAuthoring, JourneyConflictError, JourneySourceError, sourceOf, stateOrderOf } from '../journeys/authoring.ts';
import { JourneyDefinition, JourneyVersionText, transitionsOf, type Condition } from '../journeys/definition.ts';
import { journeyToSvg } from '../journeys/diagram.ts';
import { LifecycleError, type JourneyLifecycle } from '../journeys/lifecycle.ts';
import { queueName } from '../tasks/queues.ts';
import { versionChanges } from '../journeys/version-changes.ts';
import { liveVersionNumber } from '../journeys/version-status.ts';
import { TaskError, type TaskService } from '../tasks/service.ts';
import { SESSION_COOKIE } from '../api/auth.ts';
import { withOverdue } from '../api/task-routes.ts';
import { registerJourneyBuilder } from './builder-routes.ts';
import { html } from './html.ts';
import type { WebhookServices } from '../api/webhook-routes.ts';
import { registerWebhookPages } from './webhook-pages.ts';
import { registerAccountPages } from './account-routes.ts';
import { registerConsentPages } from './consent-pages.ts';
import type { OidcSignIn } from '../auth/oidc-sign-in.ts';
import { OIDC_START_PATH, registerOidcPages } from './oidc-routes.ts';
import { signInPage } from './pages/accounts.ts';
import type { SessionHolder } from '../auth/web-sessions.ts';
import { page, type PageFrame } from './layout.ts';
import { connectorsPage } from './pages/connectors.ts';
import { constituentPage, constituentsList } from './pages/constituents.ts';
import { recentDeliveries } from '../connectors/deliveries.ts';
import type { ConnectorOptions } from '../api/connector-routes.ts';
import { editorPage, SAMPLE_JOURNEY, SAMPLE_TIMELINE, simulationCounts, type EditorState } from './pages/editor.ts';
import { inboxPage, keysPage, taskPage, type InboxTask } from './pages/inbox.ts';
import { journeyLive, journeyPage, journeysList, type JourneyPageData } from './pages/journeys.ts';
import { publishConfirmPage } from './pages/publish.ts';
import type { TemplateServices } from '../api/server.ts';
import { registerTemplatePages } from './template-pages.ts';

export interface WebAppDependencies {
  db: Database;
  lifecycle: JourneyLifecycle;
  tasks: TaskService;
  keys: ApiKeyStore;
  people: PeopleStore;
  approval: PublishApproval;
  sessions: WebSessionStore;
  /** Cookies marked Secure: set when people reach Steward over https. */
  secureCookies: boolean;
  /** Where this installation wrote its first admin key (`<data dir>/api-key`), for the sign-in page to name. */
  apiKeyFile?: string | undefined;
  /** The payment platforms and form tools deliveries come from. */
  connectors?: ConnectorOptions | undefined;
  /** Template previews and test sends. */
  templates: TemplateServices;
  /** Outbound webhooks: the endpoints and the delivery log pages. */
  webhooks: WebhookServices;
  /** Sign-in through the organisation's identity provider, when one is configured. */
  oidc?: OidcSignIn | undefined;
}

const FLASH_COOKIE = 'steward_flash';
/** Earlier versions kept the API key itself in this cookie; signing in or out clears it. */
const KEY_COOKIE_OF_OLD = 'steward_key';
const staticFiles = {
  'app.css': { type: 'text/css; charset=utf-8', body: readFileSync(new URL('./static/app.css', import.meta.url), 'utf8') },
  'app.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('./static/app.js', import.meta.url), 'utf8') },
};
const favicon = readFileSync(new URL('./static/favicon.ico', import.meta.url));

/** Only paths inside the app are followed after sign-in, never another site; printable ASCII only, as a Location header must be. */
const safeNext = (next: string | undefined, fallback = '/app/journeys') => (next && /^\/app(\/|$|\?)/.test(next) && /^[\x21-\x7e]*$/.test(next) ? next : fallback);
/** Where someone lands after sign-in when no page was asked for: staff who only work tasks start in the inbox. */
export const landing = (principal: Principal) => (may(principal, 'records.read') ? '/app/journeys' : '/app/inbox');

/** The one line a form post left for the next page; a cookie someone else set is ignored. */
const Flash = z.strictObject({ kind: z.enum(['ok', 'error']), text: z.string().max(500) });
function readFlash(text: string): PageFrame['flash'] {
  try {
    return Flash.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

export function registerWebApp(server: FastifyInstance, deps: WebAppDependencies): void {
  const { db, lifecycle, tasks, keys, people, approval, sessions } = deps;
  const app = server.withTypeProvider<ZodTypeProvider>();
  const analytics = createAnalytics(db);
  const directory = createConstituentDirectory(db);
  const authoring = createJourneyAuthoring(db);
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: deps.secureCookies };

  function render(request: FastifyRequest, reply: FastifyReply, frame: Omit<PageFrame, 'principal' | 'flash'>, status = 200) {
    const flashText = request.cookies[FLASH_COOKIE];
    if (flashText) reply.clearCookie(FLASH_COOKIE, { path: '/' });
    const flash = flashText ? readFlash(flashText) : undefined;
    return reply
      .status(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(page({ ...frame, principal: request.principal, flash }));
  }

  /** After a form post: back to a page, with one line saying what happened. */
  function redirectWith(reply: FastifyReply, to: string, kind: 'ok' | 'error', text: string) {
    return reply.setCookie(FLASH_COOKIE, JSON.stringify({ kind, text }), { ...cookieOptions, maxAge: 60 }).redirect(to, 303);
  }

  const pageConfig = (permission: Permission) => ({ config: { permission, page: true } });
  const principalOf = (request: FastifyRequest): Principal => request.principal!;

  // Browsers ask for it on every page; a 404 there is noise in every log.
  app.get('/favicon.ico', { config: { permission: 'public' }, schema: { tags: ['Web app'], summary: 'The icon browsers show for Steward' } }, async (_request, reply) =>
    reply.type('image/x-icon').header('cache-control', 'public, max-age=86400').send(favicon),
  );
  for (const [name, file] of Object.entries(staticFiles)) {
    app.get(`/app/static/${name}`, { config: { permission: 'public' } }, async (_request, reply) =>
      reply.type(file.type).header('cache-control', 'public, max-age=300').send(file.body),
    );
  }

  // Signing in (a person's email and password, or a key) starts a session, whose id becomes an
  // HTTP-only, same-site cookie; no password or key is kept in it.
  const SignInQuery = z.looseObject({ next: z.string().optional(), failed: z.enum(['password', 'key', 'throttled']).optional(), retry: z.coerce.number().int().optional() });
  app.get('/app/sign-in', { config: { permission: 'public' }, schema: { querystring: SignInQuery } }, async (request, reply) =>
    render(request, reply, {
      title: 'Sign in',
      body: signInPage({
        next: request.query.next ? safeNext(request.query.next) : '',
        failed: request.query.failed,
        retryAfterSeconds: request.query.retry,
        apiKeyFile: deps.apiKeyFile,
        provider: deps.oidc ? { name: deps.oidc.providerName, startPath: OIDC_START_PATH } : undefined,
      }),
    }),
  );
  app.post(
    '/app/sign-in',
    {
      config: { permission: 'public', page: true },
      schema: { body: z.looseObject({ email: z.string().trim().max(254).default(''), password: z.string().max(200).default(''), key: z.string().trim().max(200).default(''), next: z.string().optional() }) },
    },
    async (request, reply) => {
      // Without a page asked for, each lands where their role can work (staff in the inbox).
      const next = request.body.next ? `&next=${encodeURIComponent(safeNext(request.body.next))}` : '';
      const failed = (why: string, extra = '') => reply.redirect(`/app/sign-in?failed=${why}${extra}${next}`, 303);
      if (request.body.key) {
        const principal = await keys.authenticate(request.body.key);
        return principal ? startSession(reply, { keyId: principal.id }, principal, request.body.next) : failed('key');
      }
      const outcome = await people.signIn(request.body.email, request.body.password);
      if ('refused' in outcome) return outcome.refused === 'throttled' ? failed('throttled', `&retry=${outcome.retryAfterSeconds}`) : failed('password');
      return startSession(reply, { personId: outcome.principal.id }, outcome.principal, request.body.next);
    },
  );
  /**
   * Starts a web session for someone who just proved who they are, and sends them on. After
   * a cross-site redirect (an identity provider's), browsers withhold the same-site session
   * cookie from the rest of that redirect chain, so the way on is a page of our own instead.
   */
  async function startSession(reply: FastifyReply, holder: SessionHolder, principal: Principal, next: string | undefined, options: { afterCrossSiteRedirect?: boolean } = {}) {
    const { token } = await sessions.start(holder);
    const to = safeNext(next, landing(principal));
    reply.clearCookie(KEY_COOKIE_OF_OLD, { path: '/' }).setCookie(SESSION_COOKIE, token, { ...cookieOptions, maxAge: Math.floor(sessions.lifetimes.absoluteMs / 1_000) });
    if (!options.afterCrossSiteRedirect) return reply.redirect(to, 303);
    return reply
      .status(200)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(
        page({
          title: 'Signed in',
          principal,
          head: html`<meta http-equiv="refresh" content="0;url=${to}">`,
          body: html`<section class="panel narrow"><h1>Signed in</h1><p><a href="${to}" data-testid="continue">Continue to Steward</a></p></section>`,
        }),
      );
  }
  app.post('/app/sign-out', { config: { permission: 'public', page: true } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await sessions.end(token);
    return reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(KEY_COOKIE_OF_OLD, { path: '/' }).redirect('/app/sign-in', 303);
  });
  registerAccountPages(app, { ...deps, render, redirectWith, startSession });
  if (deps.oidc) registerOidcPages(app, { db, oidc: deps.oidc, secureCookies: deps.secureCookies, render, startSession });

  app.get('/app', pageConfig('tasks.read'), async (request, reply) => reply.redirect(landing(request.principal!), 303));

  // Journeys.
  app.get('/app/journeys', pageConfig('records.read'), async (request, reply) => {
    const [journeys, summaries] = await Promise.all([
      db.journey.findMany({ orderBy: { name: 'asc' }, include: { versions: { orderBy: { version: 'desc' }, select: { version: true, status: true } } } }),
      analytics.journeySummaries(),
    ]);
    const rows = journeys.map((journey) => {
      const summary = summaries.find((item) => item.journeyId === journey.id);
      const shown = journey.versions.find((version) => version.status === 'published') ?? journey.versions[0];
      return {
        journeyId: journey.id,
        name: journey.name,
        description: journey.description,
        status: shown?.status ?? 'draft',
        version: shown?.version ?? null,
        active: summary?.active ?? 0,
        enrolled: summary?.enrolled ?? 0,
        enrolledLast30Days: summary?.enrolledLast30Days ?? 0,
        conversionRate: summary?.conversionRate ?? 0,
        revenue: summary?.revenue ?? [],
      };
    });
    return render(request, reply, { title: 'Journeys', section: 'journeys', body: journeysList(rows, principalOf(request)) });
  });

  /** The version a page shows (versions oldest first): the one asked for, else the newest published, else the newest. */
  const pickVersion = (versions: JourneyVersion[], number?: number) =>
    number ? versions.find((version) => version.version === number) : (versions.findLast((version) => version.status === 'published') ?? versions.at(-1));

  async function shownVersion(journeyId: string, number?: number): Promise<JourneyVersion | undefined> {
    return pickVersion(await db.journeyVersion.findMany({ where: { journeyId }, orderBy: { version: 'asc' } }), number);
  }

  async function journeyData(journeyId: string, number?: number): Promise<JourneyPageData | undefined> {
    const journey = await db.journey.findUnique({ where: { id: journeyId }, include: { versions: { orderBy: { version: 'asc' } } } });
    const shown = journey && pickVersion(journey.versions, number);
    if (!journey || !shown) return undefined;
    const definition = JourneyDefinition.parse(shown.definition);
    const states = stateOrderOf(shown);
    const [metrics, stateCounts, funnel, series, messages, variants] = await Promise.all([
      analytics.journeyMetrics(journeyId, {}),
      analytics.stateCounts(journeyId),
      analytics.funnel(journeyId, states),
      analytics.timeSeries(journeyId, { days: 30 }),
      analytics.messageResponse(journeyId, { windowDays: 7 }),
      variantResults(db, journeyId, definition),
    ]);
    const diagram = await journeyToSvg(definition, { counts: stateCounts, order: states });
    return { journey, versions: journey.versions, shown, stateOrder: states, diagram, metrics, stateCounts, funnel, series, messages, variants };
  }

  const VersionQuery = { querystring: z.looseObject({ version: JourneyVersionText.optional() }) };
  const notFound = (request: FastifyRequest, reply: FastifyReply, what: string) =>
    reply.status(404).type('text/html; charset=utf-8').send(errorPage(404, what, request.principal));

  registerJourneyBuilder(server, { authoring, render: (request, reply, frame, status) => render(request, reply, frame as Omit<PageFrame, 'principal' | 'flash'>, status), notFound, shownVersion });

  app.get('/app/journeys/new', pageConfig('journeys.manage'), async (request, reply) =>
    render(request, reply, { title: 'New journey', section: 'journeys', body: editorPage({ source: SAMPLE_JOURNEY, timeline: SAMPLE_TIMELINE }) }),
  );

  app.get('/app/journeys/:id', { ...pageConfig('records.read'), schema: { params: z.strictObject({ id: z.string() }), ...VersionQuery } }, async (request, reply) => {
    const data = await journeyData(request.params.id, request.query.version);
    if (!data) return notFound(request, reply, `There is no journey ${request.params.id}.`);
    return render(request, reply, { title: data.journey.name, section: 'journeys', body: journeyPage(data, principalOf(request)) });
  });

  app.get('/app/journeys/:id/live', { ...pageConfig('records.read'), schema: { params: z.strictObject({ id: z.string() }), ...VersionQuery } }, async (request, reply) => {
    const data = await journeyData(request.params.id, request.query.version);
    if (!data) return reply.status(404).type('text/html; charset=utf-8').send('');
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(journeyLive(data).text);
  });

  app.get('/app/journeys/:id/edit', { ...pageConfig('journeys.manage'), schema: { params: z.strictObject({ id: z.string() }) } }, async (request, reply) => {
    const shown = await shownVersion(request.params.id);
    if (!shown) return notFound(request, reply, `There is no journey ${request.params.id}.`);
    return render(request, reply, {
      title: `Edit ${request.params.id}`,
      section: 'journeys',
      body: editorPage({ journeyId: request.params.id, source: sourceOf(shown), timeline: SAMPLE_TIMELINE }),
    });
  });

  const EditorForm = z.looseObject({ source: z.string().max(200_000).default(''), timeline: z.string().max(200_000).default(SAMPLE_TIMELINE), intent: z.enum(['check', 'simulate', 'save']).default('check') });

  async function handleEditor(request: FastifyRequest, reply: FastifyReply, journeyId: string | undefined, form: z.infer<typeof EditorForm>) {
    // Browsers send CRLF in form fields; line numbers should match what people see.
    const source = form.source.replace(/\r\n/g, '\n');
    const timeline = form.timeline.replace(/\r\n/g, '\n');
    const state: EditorState = { journeyId, source, timeline };
    const checked = await authoring.check(source);
    state.findings = checked.findings;
    state.checkedOk = checked.ok;
    if (checked.ok && checked.definition) {
      try {
        if (form.intent === 'simulate') {
          let parsed: unknown;
          try {
            parsed = JSON.parse(timeline);
          } catch (error) {
            throw new JourneySourceError([{ severity: 'error', path: 'timeline', message: `is not JSON: ${(error as Error).message}` }]);
          }
          const result = await authoring.simulate(source, parsed as never);
          state.simulation = { definition: checked.definition, result, diagram: await journeyToSvg(checked.definition, { counts: simulationCounts(result) }) };
        }
        if (form.intent === 'save') {
          const saved = await authoring.saveDraft(source, journeyId);
          state.saved = { journeyId: saved.journeyId, version: saved.version };
          state.journeyId = saved.journeyId;
        }
      } catch (error) {
        if (error instanceof JourneySourceError) {
          state.findings = [...checked.findings, ...error.findings];
          state.checkedOk = false;
        } else if (error instanceof JourneyConflictError) {
          state.findings = [{ severity: 'error', path: '', message: error.message }];
        } else throw error;
      }
    }
    const hasErrors = state.findings.some((finding) => finding.severity === 'error');
    return render(request, reply, { title: journeyId ? `Edit ${journeyId}` : 'New journey', section: 'journeys', body: editorPage(state) }, hasErrors ? 422 : 200);
  }

  app.post('/app/journeys/new', { ...pageConfig('journeys.manage'), schema: { body: EditorForm } }, async (request, reply) => handleEditor(request, reply, undefined, request.body));
  app.post('/app/journeys/:id/edit', { ...pageConfig('journeys.manage'), schema: { params: z.strictObject({ id: z.string() }), body: EditorForm } }, async (request, reply) =>
    handleEditor(request, reply, request.params.id, request.body),
  );

  // Publishing asks first, with what the version changes against the live one.
  app.get(
    '/app/journeys/:id/versions/:version/publish',
    { ...pageConfig('journeys.manage'), schema: { params: z.strictObject({ id: z.string(), version: JourneyVersionText }) } },
    async (request, reply) => {
      const { id, version } = request.params;
      const journey = await db.journey.findUnique({ where: { id }, include: { versions: { orderBy: { version: 'asc' } } } });
      const target = journey?.versions.find((candidate) => candidate.version === version);
      if (!journey || !target) return notFound(request, reply, `Journey ${id} has no version ${version}.`);
      const liveNumber = liveVersionNumber(journey.versions);
      const live = journey.versions.find((candidate) => candidate.version === liveNumber);
      const changes = versionChanges(
        live && { version: live.version, definition: JourneyDefinition.parse(live.definition) },
        JourneyDefinition.parse(target.definition),
      );
      return render(request, reply, {
        title: `Publish ${id} v${version}`,
        section: 'journeys',
        body: publishConfirmPage({ journeyId: id, journeyName: journey.name, version, changes }),
      });
    },
  );

  app.post(
    '/app/journeys/:id/versions/:version/:action',
    {
      ...pageConfig('journeys.manage'),
      schema: { params: z.strictObject({ id: z.string(), version: JourneyVersionText, action: z.enum(['publish', 'pause', 'resume', 'archive']) }) },
    },
    async (request, reply) => {
      const { id, version, action } = request.params;
      const back = `/app/journeys/${encodeURIComponent(id)}`;
      try {
        const actor = actorOf(request.principal);
        if (action === 'publish') {
          const outcome = await approval.publish(principalOf(request), id, version);
          if (outcome.status === 'pending') return redirectWith(reply, back, 'ok', `Version ${version} waits for approval: another admin or marketer publishes it from Approvals.`);
        } else if (action === 'archive') await lifecycle.archive(id, version, `archived by ${principalOf(request).name}`, actor);
        else await lifecycle[action](id, version, actor);
        const done = { publish: 'published: new enrollments go to it', pause: 'paused', resume: 'resumed', archive: 'archived' }[action];
        // A journey that would message someone on the same event as another published one is said at once.
        const overlaps = action === 'publish' ? await lifecycle.overlaps(id, version) : [];
        const warning = overlaps.length > 0 ? ` Note: ${overlaps.map((overlap) => overlap.message).join('. Also: ')}.` : '';
        return redirectWith(reply, back, 'ok', `Version ${version} ${done}.${warning}`);
      } catch (error) {
        if (error instanceof LifecycleError) return redirectWith(reply, back, 'error', error.message);
        throw error;
      }
    },
  );

  app.post(
    '/app/journeys/:id/versions/:version/splits/:state/end',
    {
      ...pageConfig('journeys.manage'),
      schema: {
        params: z.strictObject({ id: z.string(), version: JourneyVersionText, state: z.string().max(200) }),
        body: z.looseObject({ winner: z.string().max(200).default(''), publish: z.literal('true').optional() }),
      },
    },
    async (request, reply) => {
      const { id, version, state } = request.params;
      const back = `/app/journeys/${encodeURIComponent(id)}`;
      try {
        const ended = await endSplitTest({ db, authoring, lifecycle }, { journeyId: id, version, state, winner: request.body.winner, publish: request.body.publish === 'true' });
        const dropped = ended.dropped.length > 0 ? ` States only the other arms reached are left out: ${ended.dropped.join(', ')}.` : '';
        const status = ended.version.status === 'published' ? 'published: new enrollments go to it' : 'saved as a draft; publish it to put it live';
        return redirectWith(reply, `${back}?version=${ended.version.version}`, 'ok', `Test at ${state} ended: version ${ended.version.version} sends everyone to ${request.body.winner}, ${status}.${dropped}`);
      } catch (error) {
        if (error instanceof EndSplitError || error instanceof LifecycleError || error instanceof JourneyConflictError || error instanceof JourneySourceError) {
          return redirectWith(reply, back, 'error', error.message);
        }
        throw error;
      }
    },
  );

  // Constituents.
  app.get(
    '/app/constituents',
    { ...pageConfig('constituents.search'), schema: { querystring: z.looseObject({ q: z.string().trim().max(200).default(''), cursor: z.string().optional() }) } },
    async (request, reply) => {
      const found = await directory.search({ q: request.query.q, limit: 50, cursor: request.query.cursor });
      return render(request, reply, { title: 'Constituents', section: 'constituents', body: constituentsList(request.query.q, found.constituents, found.nextCursor) });
    },
  );

  app.get(
    '/app/constituents/:id',
    { ...pageConfig('constituents.view'), schema: { params: z.strictObject({ id: z.string() }), querystring: z.looseObject({ cursor: z.string().optional() }) } },
    async (request, reply) => {
      if (!(await canViewConstituent(db, principalOf(request), request.params.id))) {
        const refusal = `${principalOf(request).name} may open only the constituents of their tasks.`;
        return reply.status(403).type('text/html; charset=utf-8').send(errorPage(403, refusal, request.principal));
      }
      try {
        const [constituent, timeline, enrollments] = await Promise.all([
          directory.find(request.params.id),
          directory.timeline(request.params.id, { limit: 50, cursor: request.query.cursor }),
          db.enrollment.findMany({
            where: { constituentId: request.params.id },
            orderBy: { enteredAt: 'desc' },
            take: 50,
            include: { journeyVersion: { select: { journeyId: true, version: true } } },
          }),
        ]);
        return render(request, reply, {
          title: [constituent.firstName, constituent.lastName].filter(Boolean).join(' ') || 'Constituent',
          section: 'constituents',
          body: constituentPage({
            constituent,
            enrollments: enrollments.map((row) => ({ ...row, journeyId: row.journeyVersion.journeyId, version: row.journeyVersion.version })),
            timeline: timeline.entries,
            nextCursor: timeline.nextCursor,
          }, principalOf(request)),
        });
      } catch (error) {
        if (error instanceof ConstituentError && error.status === 404) return notFound(request, reply, `There is no constituent ${request.params.id}.`);
        throw error;
      }
    },
  );

  app.post(
    '/app/constituents/:id/enrollments/:enrollmentId/remove',
    {
      ...pageConfig('enrollments.remove'),
      schema: { params: z.strictObject({ id: z.string(), enrollmentId: z.string() }), body: z.looseObject({ reason: z.string().trim().max(500).default('') }) },
    },
    async (request, reply) => {
      const { id, enrollmentId } = request.params;
      const back = `/app/constituents/${encodeURIComponent(id)}`;
      const enrollment = await db.enrollment.findUnique({ where: { id: enrollmentId }, select: { constituentId: true, journeyVersion: { select: { journeyId: true } } } });
      if (enrollment?.constituentId !== id) return notFound(request, reply, `Constituent ${id} has no enrollment ${enrollmentId}.`);
      const journey = enrollment.journeyVersion.journeyId;
      if (!request.body.reason) return redirectWith(reply, back, 'error', `Say why they leave ${journey}: the reason is kept with their exit.`);
      try {
        await lifecycle.remove(enrollmentId, `${request.body.reason} — ${principalOf(request).name}`, actorOf(request.principal));
        return redirectWith(reply, back, 'ok', `Removed from ${journey}; the journey stops now and records the exit in a moment.`);
      } catch (error) {
        if (error instanceof LifecycleError) return redirectWith(reply, back, 'error', `Not removed from ${journey}: ${error.message}.`);
        throw error;
      }
    },
  );

  registerConsentPages(app, { directory, redirectWith });

  // The staff inbox.
  /** Tasks as their cards show them: who, which journey, what it understands, and what the task is for. */
  async function inboxTasks(list: StaffTask[]): Promise<InboxTask[]> {
    const [cards, enrollments] = await Promise.all([
      tasks.cards(list),
      db.enrollment.findMany({
        where: { id: { in: list.flatMap((task) => (task.enrollmentId ? [task.enrollmentId] : [])) } },
        select: { id: true, journeyVersion: { select: { journeyId: true, definition: true } } },
      }),
    ]);
    return list.map((task) => {
      const enrollment = enrollments.find((row) => row.id === task.enrollmentId);
      const card = cards.get(task.id);
      return {
        ...withOverdue(task),
        constituentName: card?.constituent?.name ?? null,
        journeyId: enrollment?.journeyVersion.journeyId ?? null,
        outcomes: enrollment ? outcomesUnderstood(enrollment.journeyVersion.definition) : [],
        card,
      };
    });
  }

  app.get('/app/inbox', { ...pageConfig('tasks.read'), schema: { querystring: z.looseObject({ queue: z.string().optional() }) } }, async (request, reply) => {
    const queues = await tasks.queueCounts();
    const queue = request.query.queue ?? queues.find((item) => item.open + item.claimed > 0)?.id ?? queues[0]?.id ?? 'stewardship';
    const list = await tasks.list({ queue, limit: 200 });
    const body = inboxPage({ queues, queue, tasks: await inboxTasks(list), timeZone: tasks.timeZone }, principalOf(request));
    return render(request, reply, { title: 'Task inbox', section: 'inbox', body });
  });

  const TaskParams = z.strictObject({ id: z.string() });
  app.get('/app/tasks/:id', { ...pageConfig('tasks.read'), schema: { params: TaskParams } }, async (request, reply) => {
    const task = await db.staffTask.findUnique({ where: { id: request.params.id } });
    if (!task) return notFound(request, reply, `There is no task ${request.params.id}.`);
    const [shown] = await inboxTasks([task]);
    return render(request, reply, { title: task.title, section: 'inbox', body: taskPage(shown!, principalOf(request), tasks.timeZone) });
  });

  /** Where a task form goes back to: the page it was posted from, else the task's queue. */
  const TaskForm = z.looseObject({ back: z.string().optional() });
  const backTo = (form: { back?: string | undefined }, task?: StaffTask) =>
    safeNext(form.back, task ? `/app/inbox?queue=${encodeURIComponent(task.queue)}` : '/app/inbox');

  /** Runs one action on a task from a form, and goes back with what happened or why not. */
  async function taskAction(reply: FastifyReply, form: { back?: string | undefined }, act: () => Promise<{ task: StaffTask; text: string }>) {
    try {
      const { task, text } = await act();
      return redirectWith(reply, backTo(form, task), 'ok', text);
    } catch (error) {
      if (error instanceof TaskError) return redirectWith(reply, backTo(form), 'error', error.message);
      throw error;
    }
  }

  app.post('/app/inbox/:id/claim', { ...pageConfig('tasks.work'), schema: { params: TaskParams, body: TaskForm } }, async (request, reply) =>
    taskAction(reply, request.body, async () => {
      const task = await tasks.claim(request.params.id, assigneeOf(principalOf(request)), actorOf(request.principal));
      return { task, text: `Claimed: ${task.title}` };
    }),
  );

  app.post('/app/inbox/:id/release', { ...pageConfig('tasks.work'), schema: { params: TaskParams, body: TaskForm } }, async (request, reply) =>
    taskAction(reply, request.body, async () => {
      const task = await tasks.release(request.params.id, actorOf(request.principal));
      return { task, text: `Released: ${task.title} waits in its queue again.` };
    }),
  );

  app.post(
    '/app/inbox/:id/reassign',
    { ...pageConfig('tasks.work'), schema: { params: TaskParams, body: TaskForm.extend({ assignee: z.string().trim().max(200).default(''), queue: z.string().default('') }) } },
    async (request, reply) =>
      taskAction(reply, request.body, async () => {
        const to = { assignee: request.body.assignee || undefined, queue: request.body.queue || undefined };
        const task = await tasks.reassign(request.params.id, to, actorOf(request.principal));
        const queue = queueName(task.queue);
        return { task, text: `Reassigned: ${task.title} is now ${task.assignee ? `with ${task.assignee} in ${queue}` : `waiting in ${queue}`}.` };
      }),
  );

  app.post(
    '/app/inbox/:id/complete',
    { ...pageConfig('tasks.work'), schema: { params: TaskParams, body: TaskForm.extend({ outcome: z.string().trim().default(''), notes: z.string().max(5_000).default('') }) } },
    async (request, reply) => {
      const outcome = request.body.outcome;
      if (!/^[a-z0-9][a-z0-9-]{0,99}$/.test(outcome)) {
        return redirectWith(reply, backTo(request.body), 'error', 'The outcome must be a short lower-case word or phrase with dashes, e.g. no-answer.');
      }
      const principal = principalOf(request);
      return taskAction(reply, request.body, async () => {
        const { task, delivered } = await tasks.complete(request.params.id, outcome, { by: assigneeOf(principal), notes: request.body.notes }, actorOf(principal));
        return { task, text: `Completed "${task.title}" with ${outcome}${delivered ? '; the journey has carried on.' : '; the journey will hear of it shortly.'}` };
      });
    },
  );

  registerTemplatePages(app, deps, { render, redirectWith, notFound });

  // API keys, for admins.
  app.get('/app/connectors', pageConfig('records.read'), async (request, reply) => {
    const mapped = deps.connectors?.mapped ?? [];
    const views = [
      {
        name: 'stripe',
        title: 'Stripe',
        description: 'Payments, subscriptions\u2019 invoices, failed and cancelled subscriptions, and refunds.',
        ready: Boolean(deps.connectors?.stripeWebhookSecret),
        setup: 'Set STEWARD_STRIPE_WEBHOOK_SECRET to the endpoint\u2019s signing secret.',
        webhookPath: '/connectors/stripe/webhook',
      },
      ...mapped.map((connector) => ({
        name: connector.definition.name,
        title: connector.definition.name,
        description: connector.definition.description ?? `Mapped by ${connector.file}.`,
        ready: Boolean(connector.secret),
        setup: `Set its secret in STEWARD_CONNECTOR_SECRETS (${connector.definition.name}=…).`,
        webhookPath: `/connectors/${connector.definition.name}/webhook`,
      })),
    ];
    const withDeliveries = await Promise.all(views.map(async (view) => ({ ...view, deliveries: await recentDeliveries(db, view.name, 20) })));
    return render(request, reply, { title: 'Connectors', section: 'connectors', body: connectorsPage(withDeliveries) });
  });
  app.get('/app/keys', pageConfig('keys.manage'), async (request, reply) => render(request, reply, { title: 'API keys', section: 'keys', body: keysPage(await keys.list()) }));
  app.post(
    '/app/keys',
    { ...pageConfig('keys.manage'), schema: { body: z.looseObject({ name: z.string().trim().default(''), scopes: z.union([z.string(), z.array(z.string())]).optional() }) } },
    async (request, reply) => {
      const scopes = z.array(ApiScope).min(1).safeParse([request.body.scopes ?? []].flat());
      if (!request.body.name || !scopes.success) return redirectWith(reply, '/app/keys', 'error', 'Give the key a name and at least one scope.');
      const created = await keys.create({ name: request.body.name.slice(0, 100), scopes: scopes.data }, actorOf(request.principal));
      return render(request, reply, { title: 'API keys', section: 'keys', body: keysPage(await keys.list(), { key: created.key, name: created.apiKey.name }) }, 201);
    },
  );
  app.post('/app/keys/:id/revoke', { ...pageConfig('keys.manage'), schema: { params: z.strictObject({ id: z.string() }) } }, async (request, reply) => {
    if (principalOf(request).kind === 'key' && principalOf(request).id === request.params.id) return redirectWith(reply, '/app/keys', 'error', 'You are signed in with that key; sign in with another admin key to revoke it.');
    const revoked = await keys.revoke(request.params.id, actorOf(request.principal));
    return redirectWith(reply, '/app/keys', revoked ? 'ok' : 'error', revoked ? `Revoked ${revoked.name}.` : 'No such key.');
  });

  registerWebhookPages(app, deps.webhooks, { render, redirectWith });
}

/** The task outcomes a journey branches on (`event.outcome` in its task-completed transitions), for the inbox to offer. */
export function outcomesUnderstood(stored: unknown): string[] {
  const parsed = JourneyDefinition.safeParse(stored);
  if (!parsed.success) return [];
  const found = new Set<string>();
  const visit = (condition: Condition) => {
    if ('any' in condition) return condition.any.forEach(visit);
    if ('not' in condition) return;
    if (condition.field !== 'event.outcome') return;
    if (typeof condition.eq === 'string') found.add(condition.eq);
    for (const value of condition.in ?? []) if (typeof value === 'string') found.add(value);
  };
  for (const state of Object.values(parsed.data.states)) {
    for (const transition of transitionsOf(state.on?.['task-completed'])) transition.when?.forEach(visit);
  }
  return [...found];
}
