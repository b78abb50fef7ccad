/**
 * What a request could have written, in numbers: rows in each table Steward
 * writes, the newest change to a constituent, and versions per status. A refused
 * request must leave all of it as it was. Rate-limit windows are left out: every
 * request counts against one, refused or not.
 */
import type { Database } from '../../src/db/client.ts';

export async function rowCounts(db: Database) {
  const [constituents, changed, consents, consentChanges, suppressions, events, journeys, versions, enrollments, transitions, messages, tasks, apiKeys] = await Promise.all([
    db.constituent.count(),
    db.constituent.aggregate({ _max: { updatedAt: true } }),
    db.constituentConsent.count(),
    db.consentChange.count(),
    db.suppression.count(),
    db.interactionEvent.count(),
    db.journey.count(),
    db.journeyVersion.groupBy({ by: ['status'], _count: { _all: true }, orderBy: { status: 'asc' } }),
    db.enrollment.count(),
    db.enrollmentTransition.count(),
    db.message.count(),
    db.staffTask.count(),
    db.apiKey.count({ where: { revokedAt: null } }),
  ]);
  return {
    constituents,
    constituentLastChanged: changed._max.updatedAt?.toISOString() ?? null,
    consents,
    consentChanges,
    suppressions,
    events,
    journeys,
    journeyVersions: Object.fromEntries(versions.map((row) => [row.status, row._count._all])),
    enrollments,
    transitions,
    messages,
    tasks,
    apiKeys,
  };
}
