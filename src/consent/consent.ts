/**
 * Consent per channel and the global suppression list: the two things checked
 * before anything is sent, at the moment it is sent.
 *
 * Consent changes are kept in order (consent_change) and the latest, by when the
 * constituent gave or withdrew it, is the one in force (constituent_consent): a
 * withdrawal is never undone by an older "yes" that arrives late.
 */
import type { Channel, ConsentStatus, Database, Prisma } from '../db/client.ts';

type Tx = Prisma.TransactionClient | Database;

export interface ConsentInput {
  constituentId: string;
  channel: Channel;
  status: ConsentStatus;
  /** Where it came from: a form, an import, an SMS keyword, an unsubscribe link. */
  source: string;
  /** When the constituent gave or withdrew it; now when not known. */
  at?: Date;
}

/** Records a consent change; returns whether it is now the one in force. */
export async function recordConsent(db: Tx, input: ConsentInput): Promise<boolean> {
  const at = input.at ?? new Date();
  await db.consentChange.create({ data: { constituentId: input.constituentId, channel: input.channel, status: input.status, source: input.source, at } });
  const current = await db.constituentConsent.findUnique({ where: { constituentId_channel: { constituentId: input.constituentId, channel: input.channel } } });
  if (current && current.recordedAt > at) return false;
  await db.constituentConsent.upsert({
    where: { constituentId_channel: { constituentId: input.constituentId, channel: input.channel } },
    create: { constituentId: input.constituentId, channel: input.channel, status: input.status, source: input.source, recordedAt: at },
    update: { status: input.status, source: input.source, recordedAt: at },
  });
  return true;
}

/** Adds an address to the suppression list (once; the first reason stands). */
export async function suppress(db: Tx, entry: { channel: Channel; address: string; reason: string; source: string }): Promise<void> {
  await db.suppression.upsert({
    where: { channel_address: { channel: entry.channel, address: entry.address } },
    create: entry,
    update: {},
  });
}

/** Lifts a suppression: a constituent texting START again. */
export async function unsuppress(db: Tx, channel: Channel, address: string): Promise<void> {
  await db.suppression.deleteMany({ where: { channel, address } });
}

/**
 * Why nothing may be sent to this constituent on this channel right now, or
 * undefined when it may: consent must have been given and not withdrawn, and the
 * address must not be suppressed.
 */
export async function sendBlocker(db: Tx, constituentId: string, channel: Channel, address: string | undefined): Promise<string | undefined> {
  if (!address) return channel === 'email' ? 'no email address' : 'no valid mobile number';
  const consent = await db.constituentConsent.findUnique({ where: { constituentId_channel: { constituentId, channel } } });
  if (!consent) return `no ${channel === 'sms' ? 'SMS' : 'email'} consent on record`;
  if (consent.status === 'withdrawn') return `${channel === 'sms' ? 'SMS' : 'email'} consent withdrawn (${consent.source})`;
  const suppressed = await db.suppression.findUnique({ where: { channel_address: { channel, address } } });
  if (suppressed) return `address suppressed: ${suppressed.reason}`;
  return undefined;
}
