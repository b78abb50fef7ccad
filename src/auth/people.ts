/**
 * People who sign in to the web app. An admin invites someone by email; the
 * invitation's single-use, expiring link lets them choose a password (argon2id).
 * They then sign in with email and password, or through the organisation's
 * identity provider. Failed sign-ins are recorded in the audit trail and, past a
 * few for one address, refused for a while without checking the password.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Database, Person } from '../db/client.ts';
import type { AccountMail } from '../mail/account-mail.ts';
import { recordAudit, type AuditActor } from './audit.ts';
import { hashPassword, passwordMatches, verifyDecoy } from './passwords.ts';
import type { Principal, Role } from './permissions.ts';

export class PeopleError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 | 410 | 429 | 503,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'PeopleError';
  }
}

export const Email = z.email('must be an email address').max(254).transform((value) => value.toLowerCase());

export interface PeopleOptions {
  /** Sends invitations and password resets; without it, nothing can be mailed. */
  mail?: AccountMail | undefined;
  invitationTtlMs?: number;
  resetTtlMs?: number;
  /** Failed sign-ins for one address within `windowMs` before further tries are refused until the window has passed. */
  throttle?: { failures: number; windowMs: number };
}

const HOUR_MS = 3_600_000;
export const DEFAULT_THROTTLE = { failures: 5, windowMs: 15 * 60_000 };

/** A person as admins see them; `oidcSubject` is the identity provider's subject they are linked to, if any. */
export type PersonView = Pick<Person, 'id' | 'email' | 'name' | 'role' | 'createdAt' | 'removedAt' | 'oidcSubject'> & { status: 'invited' | 'active' | 'removed' };
export type SignIn = { principal: Principal } | { refused: 'wrong' } | { refused: 'throttled'; retryAfterSeconds: number };

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const newToken = (prefix: string) => `${prefix}${randomBytes(32).toString('base64url')}`;

export const personPrincipal = (person: Pick<Person, 'id' | 'name' | 'email' | 'role'>): Principal => ({
  kind: 'person',
  id: person.id,
  name: person.name,
  email: person.email,
  grants: [person.role],
});

export const viewPerson = (person: Person): PersonView => ({
  id: person.id,
  email: person.email,
  name: person.name,
  role: person.role,
  createdAt: person.createdAt,
  removedAt: person.removedAt,
  oidcSubject: person.oidcSubject,
  status: person.removedAt ? 'removed' : person.passwordHash || person.oidcSubject ? 'active' : 'invited',
});

export type PeopleStore = ReturnType<typeof createPeopleStore>;

export function createPeopleStore(db: Database, options: PeopleOptions = {}) {
  const invitationTtlMs = options.invitationTtlMs ?? 72 * HOUR_MS;
  const resetTtlMs = options.resetTtlMs ?? 1 * HOUR_MS;
  const throttle = options.throttle ?? DEFAULT_THROTTLE;

  function mail(): AccountMail {
    if (!options.mail) throw new PeopleError('Steward has no mail transport configured, so it cannot send the link', 503);
    return options.mail;
  }

  /** Uses a mailed link once: refused when unknown, used, expired, or its person removed. */
  async function consumeToken(tx: Parameters<Parameters<Database['$transaction']>[0]>[0], token: string, kind: 'invitation' | 'password_reset') {
    const row = await tx.personToken.findUnique({ where: { hash: hashToken(token) }, include: { person: true } });
    const what = kind === 'invitation' ? 'invitation' : 'password reset link';
    if (!row || row.kind !== kind || row.person.removedAt) throw new PeopleError(`This ${what} is not valid`, 404);
    if (row.usedAt) throw new PeopleError(`This ${what} has already been used`, 410);
    if (row.expiresAt.getTime() <= Date.now()) throw new PeopleError(`This ${what} has expired; ask for a new one`, 410);
    // The conditional update is what makes the link single-use under concurrent submits.
    const { count } = await tx.personToken.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: new Date() } });
    if (count === 0) throw new PeopleError(`This ${what} has already been used`, 410);
    return row.person;
  }

  async function issueToken(person: Person, kind: 'invitation' | 'password_reset', ttlMs: number) {
    const token = newToken(kind === 'invitation' ? 'swi_' : 'swr_');
    const row = await db.personToken.create({ data: { hash: hashToken(token), personId: person.id, kind, expiresAt: new Date(Date.now() + ttlMs) } });
    return { token, tokenId: row.id };
  }

  return {
    invitationTtlMs,

    /**
     * Invites a person: stores them with their role (and the audit entry, together),
     * then mails the link. Inviting an address again (not yet joined, or removed) sends a fresh link.
     */
    async invite(actor: AuditActor, input: { email: string; name: string; role: Role }): Promise<PersonView> {
      const email = Email.parse(input.email);
      const existing = await db.person.findUnique({ where: { email } });
      if (existing && !existing.removedAt && (existing.passwordHash || existing.oidcSubject)) {
        throw new PeopleError(`${email} already has an account`, 409, 'email');
      }
      const person = await db.$transaction(async (tx) => {
        const stored = await tx.person.upsert({
          where: { email },
          create: { email, name: input.name, role: input.role },
          update: { name: input.name, role: input.role, removedAt: null, passwordHash: null },
        });
        // A fresh invitation replaces any earlier one still unused.
        await tx.personToken.updateMany({ where: { personId: stored.id, kind: 'invitation', usedAt: null }, data: { expiresAt: new Date() } });
        await recordAudit(tx, actor, { action: 'person.invited', objectType: 'person', objectId: stored.id, detail: { email, role: input.role } });
        return stored;
      });
      const { token, tokenId } = await issueToken(person, 'invitation', invitationTtlMs);
      await mail().invitation({ tokenId, token, to: email, name: person.name, role: person.role, invitedBy: actor.name, validForMs: invitationTtlMs });
      return viewPerson(person);
    },

    /** The person an invitation or reset link is for, if it can still be used (for the page that asks for a password). */
    async tokenHolder(token: string, kind: 'invitation' | 'password_reset'): Promise<PersonView | undefined> {
      const row = await db.personToken.findUnique({ where: { hash: hashToken(token) }, include: { person: true } });
      if (!row || row.kind !== kind || row.usedAt || row.person.removedAt || row.expiresAt.getTime() <= Date.now()) return undefined;
      return viewPerson(row.person);
    },

    /** Accepts an invitation: the link is used up and the password set, together. */
    async acceptInvitation(token: string, password: string): Promise<Principal> {
      const passwordHash = await hashPassword(password);
      const person = await db.$transaction(async (tx) => {
        const invited = await consumeToken(tx, token, 'invitation');
        const joined = await tx.person.update({ where: { id: invited.id }, data: { passwordHash } });
        await recordAudit(tx, { kind: 'person', id: joined.id, name: joined.name }, { action: 'person.joined', objectType: 'person', objectId: joined.id });
        return joined;
      });
      return personPrincipal(person);
    },

    /** Signs in with email and password; every failure is recorded, and too many for one address are throttled. */
    async signIn(emailText: string, password: string): Promise<SignIn> {
      const parsed = Email.safeParse(emailText.trim());
      const email = parsed.success ? parsed.data : emailText.trim().toLowerCase().slice(0, 254);
      const since = new Date(Date.now() - throttle.windowMs);
      const failures = await db.auditEntry.findMany({
        where: { objectType: 'sign-in', objectId: email, action: 'sign-in.failed', at: { gte: since } },
        orderBy: { at: 'asc' },
        select: { at: true },
        take: throttle.failures,
      });
      if (failures.length >= throttle.failures) {
        const retryAfterSeconds = Math.max(1, Math.ceil((failures[0]!.at.getTime() + throttle.windowMs - Date.now()) / 1_000));
        return { refused: 'throttled', retryAfterSeconds };
      }
      const person = parsed.success ? await db.person.findUnique({ where: { email } }) : null;
      const ok = person?.passwordHash && !person.removedAt ? await passwordMatches(person.passwordHash, password) : (await verifyDecoy(password), false);
      if (!ok || !person) {
        await recordAudit(db, { kind: 'anonymous', id: null, name: email }, { action: 'sign-in.failed', objectType: 'sign-in', objectId: email });
        return { refused: 'wrong' };
      }
      await recordAudit(db, { kind: 'person', id: person.id, name: person.name }, { action: 'sign-in.succeeded', objectType: 'sign-in', objectId: email });
      return { principal: personPrincipal(person) };
    },

    /** Mails a reset link when the address belongs to someone who can sign in; says nothing either way. */
    async requestPasswordReset(emailText: string): Promise<void> {
      const parsed = Email.safeParse(emailText.trim());
      if (!parsed.success) return;
      const person = await db.person.findUnique({ where: { email: parsed.data } });
      if (!person || person.removedAt || !person.passwordHash) return;
      const { token, tokenId } = await issueToken(person, 'password_reset', resetTtlMs);
      await mail().passwordReset({ tokenId, token, to: person.email, name: person.name, validForMs: resetTtlMs });
    },

    /** Sets a new password from a reset link; every session the person had ends. */
    async resetPassword(token: string, password: string): Promise<Principal> {
      const passwordHash = await hashPassword(password);
      const person = await db.$transaction(async (tx) => {
        const holder = await consumeToken(tx, token, 'password_reset');
        const updated = await tx.person.update({ where: { id: holder.id }, data: { passwordHash } });
        await tx.webSession.updateMany({ where: { personId: holder.id, revokedAt: null }, data: { revokedAt: new Date() } });
        await recordAudit(tx, { kind: 'person', id: updated.id, name: updated.name }, { action: 'person.password-reset', objectType: 'person', objectId: updated.id });
        return updated;
      });
      return personPrincipal(person);
    },

    /** The principal a session's person stands for; undefined once removed. */
    async principalOf(personId: string): Promise<Principal | undefined> {
      const person = await db.person.findUnique({ where: { id: personId } });
      return person && !person.removedAt ? personPrincipal(person) : undefined;
    },

    async list(): Promise<PersonView[]> {
      return (await db.person.findMany({ orderBy: [{ removedAt: { sort: 'desc', nulls: 'first' } }, { name: 'asc' }] })).map(viewPerson);
    },

    async find(id: string): Promise<PersonView | undefined> {
      const person = await db.person.findUnique({ where: { id } });
      return person ? viewPerson(person) : undefined;
    },

    /** Changes a person's role; it holds from their next request. Nobody changes their own. */
    async changeRole(actor: AuditActor, id: string, role: Role): Promise<PersonView> {
      if (actor.id === id) throw new PeopleError('You cannot change your own role; ask another admin', 409, 'role');
      return db.$transaction(async (tx) => {
        const person = await tx.person.findUnique({ where: { id } });
        if (!person || person.removedAt) throw new PeopleError(`No person ${id}`, 404);
        const updated = await tx.person.update({ where: { id }, data: { role } });
        await recordAudit(tx, actor, { action: 'person.role-changed', objectType: 'person', objectId: id, detail: { from: person.role, to: role } });
        return viewPerson(updated);
      });
    },

    /**
     * Unlinks a person from their identity provider subject: their next sign-in through
     * the provider must match them again by their verified email, as the first one did,
     * and link whichever subject does. Their sessions end, since one may have been
     * started by the identity being unlinked. Nobody unlinks themself.
     */
    async unlinkProvider(actor: AuditActor, id: string): Promise<PersonView> {
      if (actor.id === id) throw new PeopleError('You cannot unlink yourself from the identity provider; ask another admin', 409);
      return db.$transaction(async (tx) => {
        const person = await tx.person.findUnique({ where: { id } });
        if (!person) throw new PeopleError(`No person ${id}`, 404);
        if (!person.oidcSubject) throw new PeopleError(`${person.name} is not linked to the identity provider`, 409);
        // Conditional on the subject read, so an unlink and a sign-in linking anew cannot cross.
        const { count } = await tx.person.updateMany({ where: { id, oidcSubject: person.oidcSubject }, data: { oidcSubject: null } });
        if (count === 0) throw new PeopleError(`${person.name}'s link to the identity provider changed meanwhile; look again`, 409);
        await tx.webSession.updateMany({ where: { personId: id, revokedAt: null }, data: { revokedAt: new Date() } });
        await recordAudit(tx, actor, { action: 'person.sso-unlinked', objectType: 'person', objectId: id, detail: { subject: person.oidcSubject } });
        return viewPerson({ ...person, oidcSubject: null });
      });
    },

    /** Removes a person: they can no longer sign in, and their sessions end now. The row stays for the audit trail. */
    async remove(actor: AuditActor, id: string): Promise<PersonView> {
      if (actor.id === id) throw new PeopleError('You cannot remove yourself; ask another admin', 409);
      return db.$transaction(async (tx) => {
        const person = await tx.person.findUnique({ where: { id } });
        if (!person) throw new PeopleError(`No person ${id}`, 404);
        if (person.removedAt) return viewPerson(person);
        const removedAt = new Date();
        const updated = await tx.person.update({ where: { id }, data: { removedAt } });
        await tx.webSession.updateMany({ where: { personId: id, revokedAt: null }, data: { revokedAt: removedAt } });
        await tx.personToken.updateMany({ where: { personId: id, usedAt: null }, data: { expiresAt: removedAt } });
        await recordAudit(tx, actor, { action: 'person.removed', objectType: 'person', objectId: id });
        return viewPerson(updated);
      });
    },
  };
}
