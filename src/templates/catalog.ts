/**
 * What journeys may send on a running installation: the shipped files
 * (`productCatalog()`) with, over them, every template stored in the database.
 * A stored template is usable once a version of it is published; its class and
 * the variables it needs are those of the version in force, compiled as the send
 * path renders it. A template that has only drafts is known but refused ("has no
 * published version"), since nothing would be sent.
 *
 * Built for each check, from one read of the versions' numbers: a version
 * published by any process is usable at the next check, with no cache to keep
 * right across processes. Compiled versions are kept per process by id, as a
 * stored version never changes.
 */
import type { Database } from '../db/client.ts';
import { productCatalog } from '../journeys/catalog.ts';
import type { ValidationCatalog } from '../journeys/validate.ts';
import { compileTemplate, libraryWith, type CompiledTemplate } from './compile.ts';
import { checkTemplate, templateLibrary, type TemplateLibrary } from './library.ts';
import type { Channel } from './variables.ts';

/** A version in force, compiled; or why it does not compile (a version stored before a rule it breaks). */
type CompiledVersion = { template: CompiledTemplate } | { error: string };

/** Plenty for every template version an organisation puts in force. */
const CACHE_LIMIT = 1_000;
const compiledVersions = new Map<string, CompiledVersion>();

interface InForce {
  id: string;
  version: number;
  publishedAt: Date;
}

const keyOf = (channel: Channel, name: string) => `${channel}:${name}`;

/** The catalog journeys are validated against now: shipped files, overridden by the stored versions in force. */
export async function storedTemplateCatalog(db: Database, base: ValidationCatalog = productCatalog(), shipped: () => TemplateLibrary = templateLibrary): Promise<ValidationCatalog> {
  const rows = await db.templateVersion.findMany({ select: { id: true, channel: true, name: true, version: true, publishedAt: true } });
  const inForce = new Map<string, InForce>();
  const stored = new Map<string, { channel: Channel; name: string }>();
  for (const row of rows) {
    const key = keyOf(row.channel, row.name);
    stored.set(key, { channel: row.channel, name: row.name });
    const current = inForce.get(key);
    if (row.publishedAt && (!current || row.publishedAt > current.publishedAt)) inForce.set(key, { id: row.id, version: row.version, publishedAt: row.publishedAt });
  }
  const compiled = await compiledVersionsOf(db, [...inForce.values()]);

  const emailTemplates = new Set(base.emailTemplates);
  const smsTemplates = new Set(base.smsTemplates);
  const unpublishedTemplates = new Set<string>();
  for (const [key, { channel, name }] of stored) {
    const names = channel === 'email' ? emailTemplates : smsTemplates;
    if (inForce.has(key)) names.add(name);
    // A shipped file with only drafts stored still sends the file (see resolve.ts), so it stays usable.
    else if (!names.has(name)) unpublishedTemplates.add(key);
  }
  const storedVersion = (channel: Channel, name: string) => {
    const current = inForce.get(keyOf(channel, name));
    return current ? { version: current.version, compiled: compiled.get(current.id)! } : undefined;
  };

  return {
    ...base,
    emailTemplates,
    smsTemplates,
    unpublishedTemplates,
    templateClass: (channel, name) => {
      const found = storedVersion(channel, name);
      if (!found) return base.templateClass?.(channel, name);
      return 'template' in found.compiled && found.compiled.template.channel === 'email' ? found.compiled.template.messageClass : undefined;
    },
    templateProblems: (channel, name, trigger) => {
      const found = storedVersion(channel, name);
      if (!found) return unpublishedTemplates.has(keyOf(channel, name)) ? [] : (base.templateProblems?.(channel, name, trigger) ?? []);
      if ('error' in found.compiled) return [`template "${name}" version ${found.version} does not compile: ${found.compiled.error}`];
      return checkTemplate(libraryWith(shipped(), found.compiled.template), channel, name, trigger);
    },
  };
}

/** The versions in force, compiled; those not compiled yet in this process are read with one query. */
async function compiledVersionsOf(db: Database, versions: InForce[]): Promise<Map<string, CompiledVersion>> {
  const found = new Map<string, CompiledVersion>();
  for (const version of versions) {
    const cached = compiledVersions.get(version.id);
    if (cached) found.set(version.id, cached);
  }
  const missing = versions.filter((version) => !found.has(version.id)).map((version) => version.id);
  if (missing.length === 0) return found;
  const bodies = await db.templateVersion.findMany({ where: { id: { in: missing } } });
  for (const version of bodies) {
    const result = compileTemplate(version.channel, version.name, { subject: version.subject, text: version.text, html: version.html }, { messageClass: version.messageClass, kind: version.kind });
    const compiled: CompiledVersion = result.ok
      ? { template: result.template }
      : { error: result.problems.map((problem) => `${problem.field} line ${problem.line}: ${problem.message}`).join('; ') };
    if (compiledVersions.size >= CACHE_LIMIT) compiledVersions.delete(compiledVersions.keys().next().value!);
    compiledVersions.set(version.id, compiled);
    found.set(version.id, compiled);
  }
  return found;
}
