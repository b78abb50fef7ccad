/**
 * Which Steward account an identity provider's sign-in stands for. There is no
 * self-registration: the person must already be linked by the provider's subject, or
 * have been invited under the email the provider vouches for (verified, or trusted with
 * STEWARD_OIDC_TRUST_EMAIL), in which case this first sign-in links the subject to them;
 * an admin's unlinking sends them through this match again. Every sign-in and refusal
 * is audited.
 */
import type { Database } from '../db/client.ts';
import { recordAudit } from './audit.ts';
import type { ProviderIdentity } from './oidc-sign-in.ts';
import { Email, personPrincipal } from './people.ts';
import type { Principal } from './permissions.ts';

export type ProviderRefusal = 'unverified-email' | 'unknown' | 'removed' | 'linked-elsewhere';
export type ProviderSignIn = { principal: Principal; linked: boolean } | { refused: ProviderRefusal; email: string | undefined };

/** Signs in the person a provider identity belongs to, linking it on their first sign-in. */
export async function signInWithProvider(db: Database, identity: ProviderIdentity): Promise<ProviderSignIn> {
  const parsed = identity.email ? Email.safeParse(identity.email.trim()) : undefined;
  const email = parsed?.success ? parsed.data : undefined;
  const refuse = async (refused: ProviderRefusal): Promise<ProviderSignIn> => {
    await recordAudit(db, { kind: 'anonymous', id: null, name: email ?? identity.name ?? 'unknown' }, {
      action: 'sign-in.refused',
      objectType: 'sign-in',
      objectId: email ?? `oidc:${identity.subject}`,
      detail: { method: 'oidc', reason: refused },
    });
    return { refused, email };
  };

  const linked = await db.person.findUnique({ where: { oidcSubject: identity.subject } });
  if (linked) {
    if (linked.removedAt) return refuse('removed');
    await recordAudit(db, { kind: 'person', id: linked.id, name: linked.name }, { action: 'sign-in.succeeded', objectType: 'sign-in', objectId: linked.email, detail: { method: 'oidc' } });
    return { principal: personPrincipal(linked), linked: false };
  }
  if (!email || !identity.emailVerified) return refuse('unverified-email');
  const person = await db.person.findUnique({ where: { email } });
  if (!person) return refuse('unknown');
  if (person.removedAt) return refuse('removed');
  if (person.oidcSubject) return refuse('linked-elsewhere');

  const outcome = await db.$transaction(async (tx) => {
    // Conditional, so two first sign-ins at once cannot link two subjects.
    const { count } = await tx.person.updateMany({ where: { id: person.id, oidcSubject: null, removedAt: null }, data: { oidcSubject: identity.subject } });
    if (count === 0) return false;
    // Signing in this way answers the invitation: its link is no longer needed.
    await tx.personToken.updateMany({ where: { personId: person.id, kind: 'invitation', usedAt: null }, data: { usedAt: new Date() } });
    const actor = { kind: 'person' as const, id: person.id, name: person.name };
    // Linked on an email the provider did not vouch for, only the setting: the trail says so.
    const trusted = identity.emailTrusted ? { emailTrusted: true } : {};
    await recordAudit(tx, actor, { action: 'person.sso-linked', objectType: 'person', objectId: person.id, detail: { method: 'oidc', subject: identity.subject, ...trusted } });
    await recordAudit(tx, actor, { action: 'sign-in.succeeded', objectType: 'sign-in', objectId: email, detail: { method: 'oidc', linked: true, ...trusted } });
    return true;
  });
  if (!outcome) return refuse('linked-elsewhere');
  return { principal: personPrincipal(person), linked: true };
}
