/**
 * The journeys this build of Steward ships, read from `journeys/` and validated
 * against the templates and task queues that exist. A shipped journey with an
 * error stops start-up with the file, line and reason.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { publishedOnStart, typescriptJourneys } from '../../journeys/index.ts';
import { taskQueueIds } from '../tasks/queues.ts';
import { checkTemplate, templateLibrary } from '../templates/library.ts';
import type { JourneyDefinition } from './definition.ts';
import { duplicateJourneyIds, formatDiagnostic, loadJourneyFile, type LocatedDiagnostic } from './source.ts';
import { validateJourney, type ValidationCatalog } from './validate.ts';

export const JOURNEYS_DIR = fileURLToPath(new URL('../../journeys', import.meta.url));

export interface CatalogJourney {
  definition: JourneyDefinition;
  /** The file it came from. */
  source: string;
  /** The file's text (YAML and JSON journeys), kept with the version so editors open it as written. */
  text?: string | undefined;
  publishOnStart: boolean;
}

/** The templates and task queues journeys may name. */
export function productCatalog(): ValidationCatalog {
  const library = templateLibrary();
  return {
    emailTemplates: new Set(library.email.keys()),
    smsTemplates: new Set(library.sms.keys()),
    taskQueues: taskQueueIds,
    templateProblems: (channel, template, trigger) => checkTemplate(library, channel, template, trigger),
    templateClass: (channel, template) => (channel === 'email' ? library.email.get(template)?.messageClass : undefined),
  };
}

export class CatalogError extends Error {
  constructor(readonly diagnostics: LocatedDiagnostic[]) {
    super(`Shipped journeys have errors:\n${diagnostics.map((diagnostic) => `  ${formatDiagnostic(diagnostic)}`).join('\n')}`);
    this.name = 'CatalogError';
  }
}

export async function loadJourneyCatalog(dir = JOURNEYS_DIR, catalog = productCatalog()): Promise<CatalogJourney[]> {
  const files = (await readdir(dir)).filter((file) => /\.(ya?ml|json)$/i.test(file)).sort();
  const loaded: { definition?: JourneyDefinition; source: string; text?: string | undefined; diagnostics: LocatedDiagnostic[] }[] = [];
  for (const file of files) {
    const result = await loadJourneyFile(path.join(dir, file), catalog);
    loaded.push({ definition: result.definition, source: result.file, text: result.text, diagnostics: result.diagnostics });
  }
  for (const journey of typescriptJourneys) {
    const source = path.join(dir, `${String(journey.id)}.ts`);
    const result = validateJourney(journey, catalog);
    loaded.push({ definition: result.ok ? result.definition : undefined, source, diagnostics: result.diagnostics.map((diagnostic) => ({ ...diagnostic, file: source })) });
  }

  const errors = loaded.flatMap((journey) => journey.diagnostics.filter((diagnostic) => diagnostic.severity === 'error'));
  errors.push(...duplicateJourneyIds(loaded.map((journey) => ({ file: journey.source, definition: journey.definition }))));
  if (errors.length > 0) throw new CatalogError(errors);
  return loaded.map((journey) => ({
    definition: journey.definition!,
    source: journey.source,
    text: journey.text,
    publishOnStart: publishedOnStart.includes(journey.definition!.id),
  }));
}
