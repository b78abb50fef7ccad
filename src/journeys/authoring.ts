/**
 * Writing journeys while Steward runs: check a definition as it is typed (every
 * finding with its line), simulate it against a timeline, and save it as the
 * journey's next draft version, ready to publish. Versions are immutable, so a
 * save never changes what running enrollments follow.
 */
import { Document, isMap, isScalar, parseDocument, stringify, visit } from 'yaml';
import type { Database, JourneyVersion, Prisma } from '../db/client.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { storedTemplateCatalog } from '../templates/catalog.ts';
import { JourneyDefinition } from './definition.ts';
import { statesInJourneyOrder } from './diagram.ts';
import { journeyText } from './edits.ts';
import { simulateJourney, TimelineError, type SimulationResult, type TimelineInput } from './simulate.ts';
import { readJourneySource, type LocatedDiagnostic } from './source.ts';
import { formatPath, type ValidationCatalog } from './validate.ts';

/** A finding as the API and the editor show it: the field path, and where in the text. */
export interface SourceFinding {
  severity: 'error' | 'warning';
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export class JourneySourceError extends Error {
  readonly status = 400;
  constructor(readonly findings: SourceFinding[]) {
    super('The journey has errors');
    this.name = 'JourneySourceError';
  }
}

export class JourneyConflictError extends Error {
  readonly status = 409;
}

const SOURCE_NAME = 'journey.yaml';

function finding(diagnostic: LocatedDiagnostic): SourceFinding {
  return {
    severity: diagnostic.severity,
    path: formatPath(diagnostic.path),
    message: diagnostic.message,
    ...(diagnostic.line ? { line: diagnostic.line, column: diagnostic.column } : {}),
  };
}

/** The text an editor opens for a stored version: as it was written, or its definition as YAML. */
export function sourceOf(version: Pick<JourneyVersion, 'source' | 'definition'>): string {
  if (version.source) return version.source;
  // Stored as JSONB, which orders keys by itself: put them back in the order people write them.
  const stored = version.definition as Record<string, unknown>;
  const parsed = JourneyDefinition.safeParse(stored);
  if (!parsed.success) return stringify(stored, { lineWidth: 0 });
  const definition = parsed.data;
  const ordered: Record<string, unknown> = {};
  for (const key of Object.keys(JourneyDefinition.shape)) {
    if (key !== 'version' && stored[key] !== undefined) ordered[key] = stored[key];
  }
  ordered.states = Object.fromEntries(statesInJourneyOrder(definition).map((name) => [name, (stored.states as Record<string, unknown>)[name]]));
  return journeyText(inFileStyle(new Document(ordered)));
}

/** Longest one-line form a list item keeps; longer ones are written as blocks. */
const FLOW_ITEM_WIDTH = 100;

/**
 * Writes a definition the way journey files are written: each action, timer and
 * condition on one line (`- { do: email, template: thanks }`), lists of words on one
 * line (`exits: [ unsubscribed, removed ]`), everything else as blocks.
 */
function inFileStyle(document: Document): Document {
  visit(document, {
    Seq(_key, node) {
      if (node.items.every((item) => isScalar(item))) {
        node.flow = true;
        return;
      }
      for (const item of node.items) {
        if (isMap(item) && stringify(item.toJSON(), { collectionStyle: 'flow' }).length <= FLOW_ITEM_WIDTH) item.flow = true;
      }
    },
  });
  return document;
}

/**
 * A stored version's states in the order its text lists them (the order people
 * wrote them, which the funnel and tables follow); without text, in the order a
 * constituent meets them.
 */
export function stateOrderOf(version: Pick<JourneyVersion, 'source' | 'definition'>): string[] {
  const parsed = JourneyDefinition.safeParse(version.definition);
  if (!parsed.success) return [];
  const known = Object.keys(parsed.data.states);
  const written = version.source ? writtenStateOrder(version.source).filter((name) => known.includes(name)) : [];
  const fallback = statesInJourneyOrder(parsed.data);
  return [...written, ...fallback.filter((name) => !written.includes(name))];
}

function writtenStateOrder(text: string): string[] {
  const document = parseDocument(text);
  const states = isMap(document.contents) ? document.contents.get('states', true) : undefined;
  if (!isMap(states)) return [];
  return states.items.flatMap((pair) => (isScalar(pair.key) && typeof pair.key.value === 'string' ? [pair.key.value] : []));
}

export type JourneyAuthoring = ReturnType<typeof createJourneyAuthoring>;

/** The catalog to check against: a fixed one, or one read for each check (the installation's, by default). */
export type CatalogSource = ValidationCatalog | (() => Promise<ValidationCatalog>);

/**
 * Journey authoring on this installation. By default a journey is checked against
 * the shipped files and the templates published in the app (src/templates/catalog.ts),
 * read again for each check, so a template published a moment ago can be named.
 */
export function createJourneyAuthoring(db: Database, source: CatalogSource = () => storedTemplateCatalog(db)) {
  const catalog = async (): Promise<ValidationCatalog> => (typeof source === 'function' ? source() : source);

  /** Reads and checks journey text (YAML or JSON); the definition is there only when it has no errors. */
  async function check(text: string): Promise<{ ok: boolean; definition?: JourneyDefinition; findings: SourceFinding[] }> {
    const loaded = readJourneySource(text, SOURCE_NAME, await catalog());
    const findings = loaded.diagnostics.map(finding);
    return { ok: loaded.definition !== undefined && !findings.some((item) => item.severity === 'error'), definition: loaded.definition, findings };
  }

  return {
    check,

    /** The templates and queues a journey may name now: for pickers. */
    catalog,

    /** Runs the journey over a timeline, without Temporal or sending anything; errors in either come back as findings. */
    async simulate(text: string, timeline: TimelineInput): Promise<SimulationResult> {
      const checked = await check(text);
      if (!checked.ok || !checked.definition) throw new JourneySourceError(checked.findings);
      try {
        return simulateJourney(checked.definition, timeline);
      } catch (error) {
        if (error instanceof TimelineError) throw new JourneySourceError([{ severity: 'error', path: 'timeline', message: error.message }]);
        throw error;
      }
    },

    /**
     * Saves the text as the journey's next version, a draft. `journeyId`, when
     * given, must match the text's `id`. The version number in the text is
     * ignored: versions are numbered here, one after the newest.
     */
    async saveDraft(source: string, journeyId?: string): Promise<JourneyVersion> {
      const checked = await check(source);
      if (!checked.ok || !checked.definition) throw new JourneySourceError(checked.findings);
      const definition = checked.definition;
      if (journeyId && definition.id !== journeyId) {
        throw new JourneySourceError([{ severity: 'error', path: 'id', message: `is "${definition.id}", but this is journey "${journeyId}"` }]);
      }
      for (let attempt = 0; ; attempt++) {
        try {
          return await db.$transaction(async (tx) => {
            await tx.journey.upsert({
              where: { id: definition.id },
              create: { id: definition.id, name: definition.name, description: definition.description ?? '' },
              update: { name: definition.name, description: definition.description ?? '' },
            });
            const newest = await tx.journeyVersion.findFirst({ where: { journeyId: definition.id }, orderBy: { version: 'desc' }, select: { version: true } });
            const version = (newest?.version ?? 0) + 1;
            const stored = JSON.parse(JSON.stringify({ ...definition, version })) as Prisma.InputJsonValue;
            return tx.journeyVersion.create({ data: { journeyId: definition.id, version, definition: stored, source, status: 'draft' } });
          });
        } catch (error) {
          // Two saves raced for the same version number: the later one takes the next.
          if (isUniqueViolation(error) && attempt < 3) continue;
          if (isUniqueViolation(error)) throw new JourneyConflictError(`Journey ${definition.id} is being saved by someone else; try again`);
          throw error;
        }
      }
    },
  };
}
