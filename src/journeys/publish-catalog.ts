/** Makes the database's journey records match the journeys this build ships. */
import { isDeepStrictEqual } from 'node:util';
import type { Database, Prisma } from '../db/client.ts';
import type { CatalogJourney } from './catalog.ts';

export class JourneyVersionConflict extends Error {
  override name = 'JourneyVersionConflict';
}

/**
 * Records each shipped journey and its version: published when the catalog says
 * so, a draft otherwise. Idempotent, and safe for several processes starting at
 * once. A version is immutable: enrollments run on it, so a definition changed
 * without a new version number stops start-up. A version an operator paused or
 * archived keeps that status.
 */
export async function publishJourneyCatalog(db: Database, journeys: readonly CatalogJourney[]): Promise<void> {
  for (const { definition, publishOnStart, source, text } of journeys) {
    await db.journey.upsert({
      where: { id: definition.id },
      create: { id: definition.id, name: definition.name, description: definition.description ?? '' },
      update: { name: definition.name, description: definition.description ?? '' },
    });
    const stored = JSON.parse(JSON.stringify(definition)) as Prisma.InputJsonValue;
    const version = await db.journeyVersion.upsert({
      where: { journeyId_version: { journeyId: definition.id, version: definition.version } },
      create: {
        journeyId: definition.id,
        version: definition.version,
        definition: stored,
        source: text ?? null,
        status: publishOnStart ? 'published' : 'draft',
        publishedAt: publishOnStart ? new Date() : null,
      },
      update: {},
    });
    if (!isDeepStrictEqual(version.definition, stored)) {
      throw new JourneyVersionConflict(
        `${source}: journey ${definition.id} version ${definition.version} differs from the one already stored; give the change a new version number`,
      );
    }
    // A version stored before its text was kept gets the file's text, which says the same with the author's comments.
    if (version.source === null && text !== undefined) {
      await db.journeyVersion.updateMany({ where: { id: version.id, source: null }, data: { source: text } });
    }
  }
}
