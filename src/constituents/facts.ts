/**
 * What a journey may know about a constituent: consent per channel, whether they
 * can be reached, locale and time zone, giving history and attributes. Facts,
 * never names or addresses, because journey state lives in Temporal's history.
 */
import type { ConsentStatus, Database } from '../db/client.ts';
import type { ConstituentFacts } from '../journeys/vocabulary.ts';

export async function loadConstituentFacts(db: Database, constituentId: string): Promise<ConstituentFacts | undefined> {
  // One statement for the row and its consent in force (a Prisma include would be two):
  // a workflow reads these at every step.
  const [constituent] = await db.$queryRaw<
    { has_email: boolean; has_phone: boolean; locale: string | null; timezone: string | null; attributes: unknown; email_consent: ConsentStatus | null; sms_consent: ConsentStatus | null }[]
  >`
    SELECT c."email" IS NOT NULL AND c."email" <> '' AS "has_email", c."phone" IS NOT NULL AND c."phone" <> '' AS "has_phone",
           c."locale", c."timezone", c."attributes",
           (SELECT "status"::text FROM "constituent_consent" WHERE "constituent_id" = c."id" AND "channel" = 'email') AS "email_consent",
           (SELECT "status"::text FROM "constituent_consent" WHERE "constituent_id" = c."id" AND "channel" = 'sms') AS "sms_consent"
      FROM "constituent" c
     WHERE c."id" = ${constituentId}`;
  if (!constituent) return undefined;
  const giving = await givingAfterRefunds(db, constituentId);
  return {
    consent: { email: constituent.email_consent ?? 'unknown', sms: constituent.sms_consent ?? 'unknown' },
    hasEmail: constituent.has_email,
    hasPhone: constituent.has_phone,
    ...(constituent.locale ? { locale: constituent.locale } : {}),
    ...(constituent.timezone ? { timezone: constituent.timezone } : {}),
    giving,
    attributes: isAttributes(constituent.attributes) ? constituent.attributes : {},
  };
}

function isAttributes(value: unknown): value is Record<string, string | number | boolean> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Giving as it stands after refunds: a gift refunded or voided whole no longer counts,
 * one partly refunded counts for what was kept. Refunds are the donor's own refund
 * events naming the gift (`data.gift`), found through the constituent's index.
 */
export async function givingAfterRefunds(db: Database, constituentId: string): Promise<ConstituentFacts['giving']> {
  const gifts = await db.$queryRaw<{ amount: string; refunded: string | null; whole: boolean | null }[]>`
    SELECT g.amount::text AS amount, r.refunded::text AS refunded, r.whole
      FROM interaction_event g
      LEFT JOIN LATERAL (
             SELECT SUM((x.data->>'amount')::numeric) AS refunded,
                    BOOL_OR(x.data->>'kind' = 'void' OR x.data->>'amount' IS NULL) AS whole
               FROM interaction_event x
              WHERE x.constituent_id = g.constituent_id AND x.type = 'refund' AND x.data->>'gift' = g.idempotency_key) r ON true
     WHERE g.constituent_id = ${constituentId} AND g.type = 'donation' AND g.amount IS NOT NULL
     ORDER BY g.occurred_at, g.received_at`;
  const kept = gifts
    .map((gift) => (gift.whole ? 0 : Math.round((Number(gift.amount) - Number(gift.refunded ?? 0)) * 100) / 100))
    .filter((amount) => amount > 0);
  return {
    count: kept.length,
    total: Math.round(kept.reduce((sum, amount) => sum + amount, 0) * 100) / 100,
    highest: Math.max(0, ...kept),
    last: kept.at(-1) ?? 0,
  };
}
