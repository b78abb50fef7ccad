/**
 * What a journey may know about a constituent: consent per channel, whether they
 * can be reached, locale and time zone, giving history and attributes. Facts,
 * never names or addresses, because journey state lives in Temporal's history.
 */
import type { Database } from '../db/client.ts';
import type { ConstituentFacts } from '../journeys/vocabulary.ts';

export async function loadConstituentFacts(db: Database, constituentId: string): Promise<ConstituentFacts | undefined> {
  const constituent = await db.constituent.findUnique({ where: { id: constituentId }, include: { consents: true } });
  if (!constituent) return undefined;
  const giving = await db.interactionEvent.aggregate({
    where: { constituentId, type: 'donation', amount: { not: null } },
    _count: { _all: true },
    _sum: { amount: true },
    _max: { amount: true },
  });
  const last = await db.interactionEvent.findFirst({
    where: { constituentId, type: 'donation', amount: { not: null } },
    orderBy: [{ occurredAt: 'desc' }, { receivedAt: 'desc' }],
    select: { amount: true },
  });
  const consentOf = (channel: 'email' | 'sms') => constituent.consents.find((consent) => consent.channel === channel)?.status ?? 'unknown';
  return {
    consent: { email: consentOf('email'), sms: consentOf('sms') },
    hasEmail: Boolean(constituent.email),
    hasPhone: Boolean(constituent.phone),
    ...(constituent.locale ? { locale: constituent.locale } : {}),
    ...(constituent.timezone ? { timezone: constituent.timezone } : {}),
    giving: {
      count: giving._count._all,
      total: Number(giving._sum.amount ?? 0),
      highest: Number(giving._max.amount ?? 0),
      last: Number(last?.amount ?? 0),
    },
    attributes: isAttributes(constituent.attributes) ? constituent.attributes : {},
  };
}

function isAttributes(value: unknown): value is Record<string, string | number | boolean> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
