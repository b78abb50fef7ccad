/**
 * What a message may speak of, loaded when it is sent: the constituent, the event
 * that enrolled them (the gift, the registration), the next ask from their giving
 * history, the journey, the organisation and the recipient's own signed links.
 */
import { givingAfterRefunds } from '../constituents/facts.ts';
import type { Constituent, Database } from '../db/client.ts';
import { nextAsk } from '../templates/ask-ladder.ts';
import type { MessageData } from '../templates/library.ts';
import type { MessagingSettings } from './settings.ts';

export async function loadMessageData(
  db: Database,
  request: {
    constituentId: string;
    /** The constituent's row when the caller has read it already. */
    constituent?: Constituent | null | undefined;
    eventId?: string | undefined;
    journey: { id: string; name: string };
    settings: Pick<MessagingSettings, 'org' | 'defaultTimeZone'>;
    links?: { unsubscribe: string; preferences: string } | undefined;
    receipt?: MessageData['receipt'];
    statement?: MessageData['statement'];
  },
): Promise<MessageData> {
  const constituent = request.constituent ?? (await db.constituent.findUniqueOrThrow({ where: { id: request.constituentId } }));
  const event = request.eventId ? await db.interactionEvent.findUnique({ where: { id: request.eventId } }) : null;
  const eventData = (event?.data ?? {}) as Record<string, unknown>;
  const giving = await givingAfterRefunds(db, constituent.id);
  const currency = event?.currency ?? (await lastGiftCurrency(db, constituent.id)) ?? 'USD';
  return {
    constituent: {
      firstName: constituent.firstName,
      lastName: constituent.lastName,
      email: constituent.email,
      phone: constituent.phone,
      locale: constituent.locale ?? 'en-US',
      timezone: constituent.timezone ?? request.settings.defaultTimeZone,
      attributes: (constituent.attributes ?? {}) as Record<string, unknown>,
    },
    event: event
      ? { ...eventData, type: event.type === 'drop_off' ? 'drop-off' : event.type, occurredAt: event.occurredAt.toISOString() }
      : null,
    gift: event?.amount && event.currency ? { amount: event.amount.toFixed(2), currency: event.currency } : undefined,
    registration:
      event?.type === 'registration' && typeof eventData.program === 'string'
        ? { program: eventData.program, startsAt: typeof eventData.startsAt === 'string' ? eventData.startsAt : null }
        : undefined,
    ask: { amount: String(nextAsk({ lastGift: giving?.last, highestGift: giving?.highest })), currency },
    journey: request.journey,
    org: request.settings.org,
    links: request.links,
    receipt: request.receipt,
    statement: request.statement,
  };
}

async function lastGiftCurrency(db: Database, constituentId: string): Promise<string | undefined> {
  const last = await db.interactionEvent.findFirst({
    where: { constituentId, type: 'donation', currency: { not: null } },
    orderBy: { occurredAt: 'desc' },
    select: { currency: true },
  });
  return last?.currency ?? undefined;
}
