/**
 * The web app's pages about people: accepting an invitation, resetting a password,
 * inviting and managing people (admins), the audit trail (admins) and publish
 * approvals (admins and marketers).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, AuditQuery, listAudit, type AuditActor } from '../auth/audit.ts';
import { NewPassword } from '../auth/passwords.ts';
import type { OidcSignIn } from '../auth/oidc-sign-in.ts';
import { PeopleError, type PeopleStore, type PersonView } from '../auth/people.ts';
import { may, Role, type Principal } from '../auth/permissions.ts';
import type { SessionHolder } from '../auth/web-sessions.ts';
import type { Database } from '../db/client.ts';
import { LifecycleError } from '../journeys/lifecycle.ts';
import type { PublishApproval } from '../journeys/publish-approval.ts';
import type { PageFrame } from './layout.ts';
import { approvalsPage, auditPage, choosePasswordPage, linkUnusablePage, peoplePage, resetRequestPage } from './pages/accounts.ts';

export interface AccountPageDependencies {
  db: Database;
  people: PeopleStore;
  approval: PublishApproval;
  render(request: FastifyRequest, reply: FastifyReply, frame: Omit<PageFrame, 'principal' | 'flash'>, status?: number): FastifyReply;
  redirectWith(reply: FastifyReply, to: string, kind: 'ok' | 'error', text: string): FastifyReply;
  startSession(reply: FastifyReply, holder: SessionHolder, principal: Principal, next: string | undefined): Promise<FastifyReply>;
  /** The organisation's identity provider, when one is configured: the people page names it. */
  oidc?: Pick<OidcSignIn, 'providerName'> | undefined;
}

const PasswordForm = z.looseObject({ password: z.string().max(200).default(''), repeat: z.string().max(200).default('') });
const TokenParams = z.strictObject({ token: z.string().min(1).max(200) });

export function registerAccountPages(server: FastifyInstance, deps: AccountPageDependencies): void {
  const { db, people, approval, render, redirectWith, startSession } = deps;
  const providerName = deps.oidc?.providerName ?? 'the identity provider';
  const app = server.withTypeProvider<ZodTypeProvider>();
  const publicPage = { config: { permission: 'public' as const, page: true } };
  const pageConfig = (permission: 'people.manage' | 'audit.read' | 'journeys.approve' | 'settings.manage') => ({ config: { permission, page: true } });

  /** A page that sets a password from a mailed link: an invitation or a reset. */
  function passwordLink(kind: 'invitation' | 'password_reset', path: string, heading: string) {
    app.get(`${path}/:token`, { ...publicPage, schema: { params: TokenParams } }, async (request, reply) => {
      const person = await people.tokenHolder(request.params.token, kind);
      if (!person) return render(request, reply, { title: heading, body: linkUnusablePage('It is unknown, already used or expired. Ask an admin for a new invitation, or reset your password.') }, 410);
      return render(request, reply, { title: heading, body: choosePasswordPage({ action: `${path}/${request.params.token}`, person, heading }) });
    });
    app.post(`${path}/:token`, { ...publicPage, schema: { params: TokenParams, body: PasswordForm } }, async (request, reply) => {
      const person = await people.tokenHolder(request.params.token, kind);
      if (!person) return render(request, reply, { title: heading, body: linkUnusablePage('It is unknown, already used or expired.') }, 410);
      const checked = NewPassword.safeParse(request.body.password);
      const problem = !checked.success ? `The password ${checked.error.issues[0]!.message}.` : request.body.password !== request.body.repeat ? 'The two passwords differ.' : undefined;
      if (problem) return render(request, reply, { title: heading, body: choosePasswordPage({ action: `${path}/${request.params.token}`, person, heading, problem }) }, 422);
      try {
        const principal = kind === 'invitation' ? await people.acceptInvitation(request.params.token, checked.data!) : await people.resetPassword(request.params.token, checked.data!);
        return await startSession(reply, { personId: principal.id }, principal, undefined);
      } catch (error) {
        if (error instanceof PeopleError) return render(request, reply, { title: heading, body: linkUnusablePage(`${error.message}.`) }, error.status);
        throw error;
      }
    });
  }
  passwordLink('invitation', '/app/invitations', 'Welcome to Steward: choose your password');
  passwordLink('password_reset', '/app/password-reset', 'Choose a new password');

  app.get('/app/password-reset', { ...publicPage, schema: { querystring: z.looseObject({ sent: z.string().optional() }) } }, async (request, reply) =>
    render(request, reply, { title: 'Reset your password', body: resetRequestPage(Boolean(request.query.sent)) }),
  );
  app.post('/app/password-reset', { ...publicPage, schema: { body: z.looseObject({ email: z.string().trim().max(254).default('') }) } }, async (request, reply) => {
    await people.requestPasswordReset(request.body.email);
    // The same answer whether or not the address has an account.
    return reply.redirect('/app/password-reset?sent=1', 303);
  });

  // People, for admins.
  app.get('/app/people', pageConfig('people.manage'), async (request, reply) =>
    render(request, reply, { title: 'People', section: 'people', body: peoplePage(await people.list(), request.principal!.id, deps.oidc?.providerName) }),
  );
  app.post(
    '/app/people',
    { ...pageConfig('people.manage'), schema: { body: z.looseObject({ name: z.string().trim().max(100).default(''), email: z.string().trim().max(254).default(''), role: z.string().default('') }) } },
    async (request, reply) => {
      const role = Role.safeParse(request.body.role);
      if (!request.body.name || !request.body.email || !role.success) return redirectWith(reply, '/app/people', 'error', 'Give a name, an email and a role.');
      try {
        const invited = await people.invite(actorOf(request.principal), { name: request.body.name, email: request.body.email, role: role.data });
        return redirectWith(reply, '/app/people', 'ok', `Invited ${invited.name} (${invited.email}) as ${invited.role}; the link is in their inbox.`);
      } catch (error) {
        if (error instanceof PeopleError || error instanceof z.ZodError) return redirectWith(reply, '/app/people', 'error', `Not invited: ${error.message}.`);
        throw error;
      }
    },
  );
  const PersonParams = z.strictObject({ id: z.string().min(1) });
  app.post('/app/people/:id/role', { ...pageConfig('people.manage'), schema: { params: PersonParams, body: z.looseObject({ role: z.string().default('') }) } }, async (request, reply) => {
    const role = Role.safeParse(request.body.role);
    if (!role.success) return redirectWith(reply, '/app/people', 'error', 'Choose a role.');
    try {
      const changed = await people.changeRole(actorOf(request.principal), request.params.id, role.data);
      return redirectWith(reply, '/app/people', 'ok', `${changed.name} is now ${changed.role}.`);
    } catch (error) {
      if (error instanceof PeopleError) return redirectWith(reply, '/app/people', 'error', `${error.message}.`);
      throw error;
    }
  });
  /** A button on a person's row: does it, then says what happened, or why not. */
  function personAction(action: string, run: (actor: AuditActor, id: string) => Promise<PersonView>, done: (person: PersonView) => string) {
    app.post(`/app/people/:id/${action}`, { ...pageConfig('people.manage'), schema: { params: PersonParams } }, async (request, reply) => {
      try {
        return redirectWith(reply, '/app/people', 'ok', done(await run(actorOf(request.principal), request.params.id)));
      } catch (error) {
        if (error instanceof PeopleError) return redirectWith(reply, '/app/people', 'error', `${error.message}.`);
        throw error;
      }
    });
  }
  personAction('remove', people.remove, (removed) => `Removed ${removed.name}; their sessions have ended.`);
  personAction(
    'unlink-provider',
    people.unlinkProvider,
    (unlinked) => `Unlinked ${unlinked.name} from ${providerName}; their sessions have ended, and their next sign-in there must match ${unlinked.email}, verified.`,
  );

  // The audit trail, for admins: dates from the form's date fields, as whole UTC days.
  const AuditForm = z.looseObject({
    actor: z.string().trim().max(200).optional(),
    action: z.string().trim().max(100).optional(),
    object: z.string().trim().max(300).optional(),
    since: z.string().trim().max(40).optional(),
    until: z.string().trim().max(40).optional(),
    cursor: z.string().max(200).optional(),
  });
  app.get('/app/audit', { ...pageConfig('audit.read'), schema: { querystring: AuditForm } }, async (request, reply) => {
    const form = Object.fromEntries(Object.entries(request.query).filter(([, value]) => typeof value === 'string' && value !== '')) as z.infer<typeof AuditForm>;
    const day = (value: string | undefined, end: boolean) => (value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T${end ? '23:59:59.999' : '00:00:00.000'}Z` : value);
    const query = AuditQuery.safeParse({ ...form, since: day(form.since, false), until: day(form.until, true) });
    if (!query.success) {
      const issue = query.error.issues[0]!;
      return render(request, reply, { title: 'Audit trail', section: 'audit', body: auditPage([], form, null, `${issue.path.join('.')}: ${issue.message}`) }, 400);
    }
    const found = await listAudit(db, query.data);
    return render(request, reply, { title: 'Audit trail', section: 'audit', body: auditPage(found.entries, form, found.nextCursor) });
  });

  // Publish approvals.
  app.get('/app/approvals', pageConfig('journeys.approve'), async (request, reply) => {
    const [requests, required] = await Promise.all([approval.list(), approval.required()]);
    const principal = request.principal!;
    return render(request, reply, { title: 'Approvals', section: 'approvals', body: approvalsPage({ requests, me: principal.id, required, canChangeSetting: may(principal, 'settings.manage') }) });
  });
  app.post('/app/approvals/setting', { ...pageConfig('settings.manage'), schema: { body: z.looseObject({ required: z.enum(['required', 'off']) }) } }, async (request, reply) => {
    const on = await approval.setRequired(actorOf(request.principal), request.body.required === 'required');
    return redirectWith(reply, '/app/approvals', 'ok', on ? 'Marketers’ publishes now wait for approval.' : 'Approval before publish is off.');
  });
  app.post(
    '/app/approvals/:id/:decision',
    { ...pageConfig('journeys.approve'), schema: { params: z.strictObject({ id: z.string().min(1), decision: z.enum(['approve', 'reject']) }) } },
    async (request, reply) => {
      try {
        const decided = await approval.decide(request.principal!, request.params.id, request.params.decision);
        const text = decided.status === 'approved' ? `Approved: ${decided.journeyId} version ${decided.version} is live.` : `Rejected ${decided.journeyId} version ${decided.version}.`;
        return redirectWith(reply, '/app/approvals', 'ok', text);
      } catch (error) {
        if (error instanceof LifecycleError) return redirectWith(reply, '/app/approvals', 'error', error.message);
        throw error;
      }
    },
  );
}
