/**
 * Which template version a send renders, on the hot path: the version its journey
 * version pins, else the version in force, else the shipped file (a template never
 * imported, as in a database that has not started Steward yet). A stored version
 * never changes, so each is read and parsed once per process, by its id; a send
 * costs one indexed read of the pin.
 */
import type { Database } from '../db/client.ts';
import { compileTemplate, libraryWith } from './compile.ts';
import { templateLibrary, TemplateRenderError, type TemplateLibrary } from './library.ts';
import type { Channel } from './variables.ts';

export interface ResolvedTemplate {
  /** A library holding this template (and the shipped layout), for renderEmail and renderSms. */
  library: TemplateLibrary;
  /** The stored version; null for the shipped file. */
  templateVersionId: string | null;
}

export type TemplateResolver = ReturnType<typeof createTemplateResolver>;

/** Parsed versions kept per process; plenty for every template an organisation has. */
const CACHE_LIMIT = 1_000;

export function createTemplateResolver(db: Database, shipped: () => TemplateLibrary = templateLibrary) {
  const parsed = new Map<string, TemplateLibrary>();

  async function compiled(templateVersionId: string): Promise<TemplateLibrary> {
    const cached = parsed.get(templateVersionId);
    if (cached) return cached;
    const version = await db.templateVersion.findUniqueOrThrow({ where: { id: templateVersionId } });
    const result = compileTemplate(version.channel, version.name, { subject: version.subject, text: version.text, html: version.html }, { messageClass: version.messageClass, kind: version.kind });
    if (!result.ok) {
      const first = result.problems[0]!;
      throw new TemplateRenderError(`${version.channel} template "${version.name}" version ${version.version}: ${first.field} line ${first.line}: ${first.message}`);
    }
    const library = libraryWith(shipped(), result.template);
    if (parsed.size >= CACHE_LIMIT) parsed.delete(parsed.keys().next().value!);
    parsed.set(templateVersionId, library);
    return library;
  }

  return {
    async resolve(journeyVersionId: string | null | undefined, channel: Channel, name: string): Promise<ResolvedTemplate> {
      const pin = journeyVersionId
        ? await db.journeyTemplatePin.findUnique({ where: { journeyVersionId_channel_name: { journeyVersionId, channel, name } }, select: { templateVersionId: true } })
        : null;
      const id =
        pin?.templateVersionId ??
        (await db.templateVersion.findFirst({ where: { channel, name, publishedAt: { not: null } }, orderBy: { publishedAt: 'desc' }, select: { id: true } }))?.id;
      if (!id) return { library: shipped(), templateVersionId: null };
      return { library: await compiled(id), templateVersionId: id };
    },
  };
}
