/**
 * Template versions in the database. The files in `journeys/templates/` are the
 * shipped defaults: each is imported as its template's first, published version.
 * Every edit in the app stores a new version, immutable from then on; a version
 * reaches constituents only once published.
 *
 * The model: a journey version pins the template versions in force when it is
 * published, and publishing a template moves the pin of every live journey
 * version (published or paused) that sends it to the new version: live journeys
 * pick it up at once, for every enrollment, and the publish answer names them.
 * Draft and archived journey versions keep the pins they had.
 */
import type { Database, TemplateVersion } from '../db/client.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { JourneyDefinition } from '../journeys/definition.ts';
import { messageSteps } from '../journeys/message-classes.ts';
import type { InteractionType } from '../journeys/vocabulary.ts';
import { compileTemplate, type TemplateProblem } from './compile.ts';
import { templateLibrary, type TemplateLibrary, type TemplateSource } from './library.ts';
import type { Channel } from './variables.ts';

/** A template's name: lowercase words joined by dashes, as the files are named. */
export const TEMPLATE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export class TemplateVersionError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 409 | 422,
    readonly problems: TemplateProblem[] = [],
  ) {
    super(message);
    this.name = 'TemplateVersionError';
  }
}

/** A step of a journey version that sends a template. */
export interface TemplateUse {
  journeyId: string;
  version: number;
  journeyVersionId: string;
  status: string;
  trigger: InteractionType;
  /** The step's place in the definition: `states.thanked.entry.0`. */
  steps: string[];
  /** The template version this journey version sends now; null: the one in force. */
  pinnedVersion: number | null;
}

export interface TemplateSummary {
  channel: Channel;
  name: string;
  /** The version in force (published last); null while none is. */
  current: number | null;
  latest: number;
  /** A version newer than the one in force waits to be published. */
  unpublished: boolean;
  uses: TemplateUse[];
}

const LIVE = new Set(['published', 'paused']);

/** Journey versions are immutable: each definition is parsed once per process. */
const parsedDefinitions = new Map<string, JourneyDefinition | null>();

export type TemplateVersions = ReturnType<typeof createTemplateVersions>;

export function createTemplateVersions(db: Database, shipped: () => TemplateLibrary = templateLibrary) {
  /** Every journey version's steps that send a template, keyed by `channel:name`. */
  async function usesByTemplate(): Promise<Map<string, TemplateUse[]>> {
    const versions = await db.journeyVersion.findMany({
      select: { id: true, journeyId: true, version: true, status: true, definition: true, templatePins: { select: { channel: true, name: true, templateVersion: { select: { version: true } } } } },
      orderBy: [{ journeyId: 'asc' }, { version: 'asc' }],
    });
    const uses = new Map<string, TemplateUse[]>();
    for (const version of versions) {
      let definition = parsedDefinitions.get(version.id);
      if (definition === undefined) {
        const parsed = JourneyDefinition.safeParse(version.definition);
        definition = parsed.success ? parsed.data : null;
        parsedDefinitions.set(version.id, definition);
      }
      if (!definition) continue;
      const steps = new Map<string, string[]>();
      for (const { action, path } of messageSteps(definition)) {
        const key = `${action.do}:${action.template}`;
        steps.set(key, [...(steps.get(key) ?? []), path.join('.')]);
      }
      for (const [key, paths] of steps) {
        const pin = version.templatePins.find((candidate) => `${candidate.channel}:${candidate.name}` === key);
        const use: TemplateUse = {
          journeyId: version.journeyId,
          version: version.version,
          journeyVersionId: version.id,
          status: version.status,
          trigger: definition.trigger.event,
          steps: paths,
          pinnedVersion: pin?.templateVersion.version ?? null,
        };
        uses.set(key, [...(uses.get(key) ?? []), use]);
      }
    }
    return uses;
  }

  async function versionsOf(channel: Channel, name: string): Promise<TemplateVersion[]> {
    return db.templateVersion.findMany({ where: { channel, name }, orderBy: { version: 'asc' } });
  }

  /** The version in force: the one published last. */
  function current(versions: TemplateVersion[]): TemplateVersion | undefined {
    return versions.filter((version) => version.publishedAt).sort((a, b) => b.publishedAt!.getTime() - a.publishedAt!.getTime())[0];
  }

  async function find(channel: Channel, name: string, number: number): Promise<TemplateVersion> {
    const found = await db.templateVersion.findUnique({ where: { channel_name_version: { channel, name, version: number } } });
    if (!found) throw new TemplateVersionError(`The ${channel} template "${name}" has no version ${number}`, 404);
    return found;
  }

  /** Journey versions that send it and are live: they pick up a version when it is published. */
  async function liveUses(channel: Channel, name: string): Promise<TemplateUse[]> {
    return ((await usesByTemplate()).get(`${channel}:${name}`) ?? []).filter((use) => LIVE.has(use.status));
  }

  return {
    current,
    find,
    versionsOf,
    liveUses,

    /** Every template, shipped or written in the app, with where it is used. */
    async list(): Promise<TemplateSummary[]> {
      const [rows, uses] = await Promise.all([
        db.templateVersion.findMany({ select: { channel: true, name: true, version: true, publishedAt: true }, orderBy: [{ channel: 'asc' }, { name: 'asc' }, { version: 'asc' }] }),
        usesByTemplate(),
      ]);
      const library = shipped();
      const names = new Map<string, { channel: Channel; name: string }>();
      for (const channel of ['email', 'sms'] as const) for (const name of library[channel].keys()) names.set(`${channel}:${name}`, { channel, name });
      for (const row of rows) names.set(`${row.channel}:${row.name}`, { channel: row.channel, name: row.name });
      return [...names.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, { channel, name }]) => {
          const versions = rows.filter((row) => row.channel === channel && row.name === name);
          const inForce = versions.filter((row) => row.publishedAt).sort((a, b) => b.publishedAt!.getTime() - a.publishedAt!.getTime())[0];
          const latest = versions.at(-1)?.version ?? 0;
          return { channel, name, current: inForce?.version ?? null, latest, unpublished: latest > (inForce?.version ?? 0), uses: uses.get(key) ?? [] };
        });
    },

    async uses(channel: Channel, name: string): Promise<TemplateUse[]> {
      return (await usesByTemplate()).get(`${channel}:${name}`) ?? [];
    },

    /**
     * Stores a new version (a draft) after compiling it: a template with errors is
     * refused with each problem at its field and line, and nothing is stored.
     * A new name starts a new template; the class and kind carry over from the
     * version before, as they are the shipped file's to declare.
     */
    async create(channel: Channel, name: string, source: TemplateSource, createdBy: string | null): Promise<TemplateVersion> {
      if (!TEMPLATE_NAME.test(name)) throw new TemplateVersionError(`"${name}" is not a template name: lowercase letters, digits and dashes, up to 63`, 422);
      const other = channel === 'email' ? 'sms' : 'email';
      if (shipped()[other].has(name) || (await db.templateVersion.findFirst({ where: { channel: other, name }, select: { id: true } }))) {
        throw new TemplateVersionError(`"${name}" is already an ${other === 'sms' ? 'SMS' : 'email'} template; give each template its own name`, 409);
      }
      const previous = await db.templateVersion.findFirst({ where: { channel, name }, orderBy: { version: 'desc' } });
      const file = channel === 'email' ? shipped().email.get(name) : undefined;
      const meta = { messageClass: previous?.messageClass ?? file?.messageClass ?? null, kind: previous?.kind ?? file?.kind ?? null };
      const compiled = compileTemplate(channel, name, source, meta);
      if (!compiled.ok) throw new TemplateVersionError(`The ${channel} template "${name}" has errors`, 422, compiled.problems);
      try {
        return await db.templateVersion.create({
          data: {
            channel,
            name,
            version: (previous?.version ?? 0) + 1,
            subject: channel === 'email' ? (source.subject ?? '') : null,
            text: source.text,
            html: channel === 'email' && source.html?.trim() ? source.html : null,
            messageClass: meta.messageClass,
            kind: meta.kind,
            createdBy,
          },
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new TemplateVersionError(`Someone saved "${name}" at the same moment; save again to make the next version`, 409);
        throw error;
      }
    },

    /**
     * Puts a version in force, and moves every live journey version that sends the
     * template onto it, in one transaction. Answers with the journeys that picked it up.
     */
    async publish(channel: Channel, name: string, number: number): Promise<{ version: TemplateVersion; journeys: TemplateUse[] }> {
      const target = await find(channel, name, number);
      const live = await liveUses(channel, name);
      const version = await db.$transaction(async (tx) => {
        const published = await tx.templateVersion.update({ where: { id: target.id }, data: { publishedAt: new Date() } });
        for (const use of live) {
          await tx.journeyTemplatePin.upsert({
            where: { journeyVersionId_channel_name: { journeyVersionId: use.journeyVersionId, channel, name } },
            create: { journeyVersionId: use.journeyVersionId, channel, name, templateVersionId: target.id },
            update: { templateVersionId: target.id, pinnedAt: new Date() },
          });
        }
        return published;
      });
      return { version, journeys: live.map((use) => ({ ...use, pinnedVersion: number })) };
    },
  };
}

/**
 * Pins, for a journey version being published, the version in force of each
 * template it sends (templates never stored in the database keep sending the shipped file).
 */
export async function pinTemplates(db: Database, journeyVersionId: string, definition: JourneyDefinition): Promise<void> {
  const sent = new Map<string, { channel: Channel; name: string }>();
  for (const { action } of messageSteps(definition)) sent.set(`${action.do}:${action.template}`, { channel: action.do, name: action.template });
  for (const { channel, name } of sent.values()) {
    const inForce = await db.templateVersion.findFirst({ where: { channel, name, publishedAt: { not: null } }, orderBy: { publishedAt: 'desc' }, select: { id: true } });
    if (!inForce) continue;
    await db.journeyTemplatePin.upsert({
      where: { journeyVersionId_channel_name: { journeyVersionId, channel, name } },
      create: { journeyVersionId, channel, name, templateVersionId: inForce.id },
      update: {},
    });
  }
}

/**
 * Imports the shipped files: a template with no stored version gets the file as
 * version 1, published; a file that changed since it was last imported (a newer
 * build) becomes a new draft version, for someone to review and publish.
 * Safe to run on every start and from many processes at once.
 */
export async function importShippedTemplates(db: Database, library: TemplateLibrary = templateLibrary()): Promise<{ imported: number }> {
  let imported = 0;
  for (const template of [...library.email.values(), ...library.sms.values()]) {
    const source = template.source;
    if (!source) continue;
    const { channel, name } = template;
    const versions = await db.templateVersion.findMany({ where: { channel, name }, orderBy: { version: 'asc' } });
    const lastImport = versions.filter((version) => version.origin === 'file').at(-1);
    const same = lastImport && lastImport.subject === (channel === 'email' ? (source.subject ?? '') : null) && lastImport.text === source.text && (lastImport.html ?? null) === (source.html ?? null);
    if (same) continue;
    const created = await db.templateVersion.createMany({
      data: [
        {
          channel,
          name,
          version: (versions.at(-1)?.version ?? 0) + 1,
          subject: channel === 'email' ? (source.subject ?? '') : null,
          text: source.text,
          html: source.html ?? null,
          messageClass: template.channel === 'email' ? (template.messageClass ?? null) : null,
          kind: template.channel === 'email' ? (template.kind ?? null) : null,
          origin: 'file',
          publishedAt: versions.length === 0 ? new Date() : null,
        },
      ],
      skipDuplicates: true,
    });
    imported += created.count;
  }
  return { imported };
}

/**
 * Pins the templates of every live journey version that has none yet (published
 * before templates were stored, or at start-up from the shipped catalog), so each
 * send finds its version with one lookup. Pins already made are kept.
 */
export async function pinLiveJourneyVersions(db: Database): Promise<void> {
  const live = await db.journeyVersion.findMany({ where: { status: { in: ['published', 'paused'] } }, select: { id: true, definition: true } });
  for (const version of live) {
    const definition = JourneyDefinition.safeParse(version.definition);
    if (definition.success) await pinTemplates(db, version.id, definition.data);
  }
}
