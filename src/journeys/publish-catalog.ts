/** Makes the database's journey records match the catalog this build runs. */
import type { Database, Prisma } from '../db/client.ts';
import type { JourneyDefinition } from '../../journeys/index.ts';

/**
 * Records each catalog journey and publishes its version. Idempotent, and safe for
 * several processes starting at once; a version paused or archived by an operator
 * keeps that status.
 */
export async function publishJourneyCatalog(db: Database, journeys: readonly JourneyDefinition[]): Promise<void> {
  for (const journey of journeys) {
    await db.journey.upsert({
      where: { id: journey.id },
      create: { id: journey.id, name: journey.name, description: journey.description },
      update: { name: journey.name, description: journey.description },
    });
    const definition = JSON.parse(JSON.stringify(journey.machine.toJSON())) as Prisma.InputJsonValue;
    await db.journeyVersion.upsert({
      where: { journeyId_version: { journeyId: journey.id, version: journey.version } },
      create: { journeyId: journey.id, version: journey.version, definition, status: 'published', publishedAt: new Date() },
      update: {},
    });
  }
}
