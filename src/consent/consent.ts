/**
 * Consent per channel and the global suppression list: the two things checked
 * before anything is sent, at the moment it is sent.
 *
 * Consent changes are kept in order (consent_change), each with what became of it,
 * and `precedence.ts` decides which is in force (constituent_consent): the latest by
 * when it was given, except that the constituent's own withdrawal yields only to
 * their own opt-in.
 */
import { randomUUID } from 'node:crypto';
import type { Channel, ConsentStatus, Database, Prisma } from '../db/client.ts';
import type { MessageClass } from '../journeys/definition.ts';
import { decideConsent, type ConsentAuthority, type ConsentDecision, type ConsentState } from './precedence.ts';
import { recordAudit, type AuditActor } from '../auth/audit.ts';
import { recordWebhookEvent } from '../webhooks/outbox.ts';

type Tx = Prisma.TransactionClient | Database;

export interface ConsentInput {
  constituentId: string;
  channel: Channel;
  status: ConsentStatus;
  /** Where it came from: a form, an import, an SMS keyword, an unsubscribe link. */
  source: string;
  /** Who made it; an integration unless said otherwise. */
  authority?: ConsentAuthority | undefined;
  /** What shows the constituent made it themself: a form submission's id, a signed link. */
  evidence?: string | undefined;
  /** When the constituent gave or withdrew it; now when not known. */
  at?: Date | undefined;
}

/** What became of one change, as told back to whoever sent it. */
export interface ConsentResult {
  constituentId: string;
  channel: Channel;
  status: ConsentStatus;
  outcome: ConsentDecision['outcome'];
  /** Why it was not applied. */
  note?: string;
  /** The recorded change: its id names it in journeys' histories, which hold no personal data. */
  changeId: string;
}

/** What became of a change, as told back to its sender (without the ids it was recorded under). */
export type ConsentReport = Pick<ConsentResult, 'channel' | 'status' | 'outcome' | 'note'>;

export function consentReport({ channel, status, outcome, note }: ConsentResult): ConsentReport {
  return { channel, status, outcome, ...(note ? { note } : {}) };
}

/** Records a consent change; returns what became of it (see `decideConsent`). */
export async function recordConsent(db: Tx, input: ConsentInput): Promise<ConsentResult> {
  return (await recordConsentChanges(db, [input]))[0]!;
}

/**
 * Records consent changes in order, deciding each against the one in force (see
 * `precedence.ts`), and puts the outcome in force. The rows in force are locked
 * while deciding; the upsert repeats the constituent's-withdrawal rule in SQL, so
 * a row another transaction inserted meanwhile is not overwritten against it.
 *
 * With an `actor` (a person or key changing consent by hand), each change, applied or
 * not, also goes in the audit trail through the same client, so it commits with the change.
 */
export async function recordConsentChanges(db: Tx, inputs: readonly ConsentInput[], actor?: AuditActor): Promise<ConsentResult[]> {
  if (inputs.length === 0) return [];
  return applyConsentChanges(db, inputs, await lockConsentsInForce(db, inputs), actor);
}

/** The consent in force per constituent and channel, keyed by `consentKey`. */
export type ConsentsInForce = Map<string, ConsentState>;

export function consentKey(constituentId: string, channel: Channel | string): string {
  return `${constituentId}:${channel}`;
}

/**
 * `recordConsentChanges` for a caller that has already read and locked, in this
 * transaction, the consent in force for every key the changes touch (absent keys have none).
 * Intake does so in the statement that stores the events, one round trip fewer.
 */
export async function applyConsentChanges(db: Tx, inputs: readonly ConsentInput[], locked: ReadonlyMap<string, ConsentState>, actor?: AuditActor): Promise<ConsentResult[]> {
  if (inputs.length === 0) return [];
  const now = new Date();
  const inForce: ConsentsInForce = new Map(locked);
  const key = (input: { constituentId: string; channel: string }) => consentKey(input.constituentId, input.channel);
  const changed = new Set<string>();
  const rows = inputs.map((input) => {
    const change: ConsentState = { status: input.status, authority: input.authority ?? 'integration', source: input.source, at: input.at ?? now };
    const decision = decideConsent(inForce.get(key(input)), change);
    if (decision.inForce !== inForce.get(key(input))) changed.add(key(input));
    inForce.set(key(input), decision.inForce);
    return {
      id: randomUUID(),
      constituentId: input.constituentId,
      channel: input.channel,
      status: input.status,
      source: input.source,
      authority: change.authority,
      evidence: input.evidence ?? null,
      at: change.at,
      outcome: decision.outcome,
      note: decision.outcome === 'applied' ? null : decision.note,
    };
  });
  await writeConsentChanges(
    db,
    rows,
    [...changed].map((name) => ({ key: name.split(':') as [string, Channel], state: inForce.get(name)! })),
  );
  // The CRM hears of each consent in force that changed, by the change that set it.
  for (const row of rows) {
    if (row.outcome === 'applied' && changed.has(key(row))) await recordWebhookEvent(db, 'consent.changed', row.id);
  }
  if (actor) {
    for (const row of rows) {
      const detail = { channel: row.channel, status: row.status, outcome: row.outcome, source: row.source, by: row.authority, changeId: row.id, ...(row.note ? { note: row.note } : {}) };
      await recordAudit(db, actor, { action: 'consent.changed', objectType: 'constituent', objectId: row.constituentId, detail });
    }
  }
  return rows.map((row) => ({
    constituentId: row.constituentId,
    channel: row.channel,
    status: row.status,
    outcome: row.outcome,
    ...(row.note ? { note: row.note } : {}),
    changeId: row.id,
  }));
}

async function lockConsentsInForce(db: Tx, inputs: readonly ConsentInput[]): Promise<ConsentsInForce> {
  const rows = await db.$queryRaw<{ constituent_id: string; channel: Channel; status: ConsentStatus; authority: ConsentAuthority; source: string; recorded_at: Date }[]>`
    SELECT "constituent_id", "channel"::text AS "channel", "status"::text AS "status", "authority"::text AS "authority", "source", "recorded_at"
      FROM "constituent_consent"
     -- The wanted keys are cast to the column's type, not the column to text, so the unique index answers.
     WHERE ("constituent_id", "channel") IN (
             SELECT given.constituent_id, given.channel::"channel"
               FROM unnest(${inputs.map((input) => input.constituentId)}::text[], ${inputs.map((input) => input.channel)}::text[]) AS given(constituent_id, channel))
     ORDER BY "constituent_id", "channel"
       FOR UPDATE`;
  return new Map(rows.map((row) => [consentKey(row.constituent_id, row.channel), { status: row.status, authority: row.authority, source: row.source, at: row.recorded_at }]));
}

interface ConsentChangeRow {
  id: string;
  constituentId: string;
  channel: Channel;
  status: ConsentStatus;
  source: string;
  authority: ConsentAuthority;
  evidence: string | null;
  at: Date;
  outcome: ConsentDecision['outcome'];
  note: string | null;
}

/**
 * Keeps the changes and puts in force what changed, in one statement: on the
 * embedded database's one connection every round trip of an event's intake counts.
 * (A data-modifying WITH runs whether or not the statement reads its rows.)
 */
async function writeConsentChanges(db: Tx, rows: readonly ConsentChangeRow[], entries: readonly { key: [string, Channel]; state: ConsentState }[]): Promise<void> {
  const change = <T>(pick: (row: ConsentChangeRow) => T) => rows.map(pick);
  const column = <T>(pick: (entry: (typeof entries)[number]) => T) => entries.map(pick);
  await db.$executeRaw`
    WITH changes AS (
      INSERT INTO "consent_change" ("id", "constituent_id", "channel", "status", "source", "authority", "evidence", "at", "outcome", "note")
      SELECT id, constituent_id, channel::"channel", status::"consent_status", source, authority::"consent_authority", evidence,
             at::timestamptz AT TIME ZONE 'UTC', outcome::"consent_outcome", note
        FROM unnest(${change((row) => row.id)}::text[], ${change((row) => row.constituentId)}::text[], ${change((row) => row.channel)}::text[],
                    ${change((row) => row.status)}::text[], ${change((row) => row.source)}::text[], ${change((row) => row.authority)}::text[],
                    ${change((row) => row.evidence)}::text[], ${change((row) => row.at.toISOString())}::text[], ${change((row) => row.outcome)}::text[],
                    ${change((row) => row.note)}::text[])
             AS given(id, constituent_id, channel, status, source, authority, evidence, at, outcome, note)
    )
    INSERT INTO "constituent_consent" ("id", "constituent_id", "channel", "status", "authority", "source", "recorded_at")
    SELECT id, constituent_id, channel::"channel", status::"consent_status", authority::"consent_authority", source, recorded_at::timestamptz AT TIME ZONE 'UTC'
      FROM unnest(${column(() => randomUUID())}::text[], ${column((entry) => entry.key[0])}::text[], ${column((entry) => entry.key[1])}::text[],
                  ${column((entry) => entry.state.status)}::text[], ${column((entry) => entry.state.authority)}::text[], ${column((entry) => entry.state.source)}::text[],
                  ${column((entry) => entry.state.at.toISOString())}::text[])
           AS given(id, constituent_id, channel, status, authority, source, recorded_at)
    ON CONFLICT ("constituent_id", "channel") DO UPDATE SET
      "status" = EXCLUDED."status", "authority" = EXCLUDED."authority", "source" = EXCLUDED."source", "recorded_at" = EXCLUDED."recorded_at"
    WHERE "constituent_consent"."recorded_at" <= EXCLUDED."recorded_at"
      AND NOT ("constituent_consent"."status" = 'withdrawn' AND "constituent_consent"."authority" = 'constituent' AND EXCLUDED."authority" <> 'constituent')`;
}

/** Adds an address to the suppression list (once; the first reason stands). */
export async function suppress(db: Tx, entry: { channel: Channel; address: string; reason: string; source: string }): Promise<void> {
  await db.suppression.upsert({
    where: { channel_address: { channel: entry.channel, address: entry.address } },
    create: entry,
    update: {},
  });
}

/** Suppressions a constituent asked for (or complained into): their own opt-in lifts them. Bounces and dead numbers stay. */
export const constituentSuppressionReasons = ['unsubscribe', 'complaint', 'sms-stop'] as const;

/** Lifts a suppression: a constituent texting START again lifts every one on the number (it evidently receives). */
export async function unsuppress(db: Tx, channel: Channel, address: string): Promise<void> {
  await db.suppression.deleteMany({ where: { channel, address } });
}

/** Lifts the suppressions the constituent's own opt-in undoes, keeping those that say the address cannot receive. */
export async function liftConstituentSuppressions(db: Tx, channel: Channel, address: string): Promise<void> {
  await db.suppression.deleteMany({ where: { channel, address, reason: { in: [...constituentSuppressionReasons] } } });
}

/** What the guard needs to know of the message: its class, and whether transactional email needs consent. */
export interface SendPurpose {
  messageClass: MessageClass;
  transactionalConsent: 'not-required' | 'required';
}

const marketing: SendPurpose = { messageClass: 'marketing', transactionalConsent: 'required' };

/**
 * Why nothing may be sent to this constituent on this channel right now, or
 * undefined when it may: consent must have been given and not withdrawn, and the
 * address must not be suppressed.
 *
 * Transactional email (a thank-you, a receipt) answers the constituent's own act:
 * unless the organisation requires it, it needs no marketing consent and is not
 * stopped by an unsubscribe, but never goes to an address that bounced or
 * complained. SMS always needs consent: carriers and the TCPA allow nothing after STOP.
 */
export async function sendBlocker(db: Tx, constituentId: string, channel: Channel, address: string | undefined, purpose: SendPurpose = marketing): Promise<string | undefined> {
  if (!address) return channel === 'email' ? 'no email address' : 'no valid mobile number';
  const exempt = channel === 'email' && purpose.messageClass === 'transactional';
  if (!exempt || purpose.transactionalConsent === 'required') {
    const consent = await db.constituentConsent.findUnique({ where: { constituentId_channel: { constituentId, channel } } });
    if (!consent) return `no ${channel === 'sms' ? 'SMS' : 'email'} consent on record`;
    if (consent.status === 'withdrawn') return `${channel === 'sms' ? 'SMS' : 'email'} consent withdrawn (${consent.source})`;
  }
  const suppressed = await db.suppression.findUnique({ where: { channel_address: { channel, address } } });
  if (suppressed && !(exempt && suppressed.reason === 'unsubscribe')) return `address suppressed: ${suppressed.reason}`;
  return undefined;
}
