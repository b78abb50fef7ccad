/**
 * What publishing a version changes against the one live now: states added,
 * removed and changed, messages sent or no longer sent, and the trigger. Shown
 * before publishing, so nobody changes who is messaged, or how, by one click.
 */
import type { JourneyDefinition } from './definition.ts';

export interface VersionChanges {
  /** The version live now; undefined when none is, and this one goes live for the first time. */
  liveVersion: number | undefined;
  states: { added: string[]; removed: string[]; changed: string[] };
  /** Message templates as `email:<name>` or `sms:<name>`. */
  templates: { added: string[]; removed: string[] };
  /** Before and after, when the trigger differs. */
  trigger: { before: JourneyDefinition['trigger']; after: JourneyDefinition['trigger'] } | undefined;
  /** Nothing a constituent would notice differs. */
  same: boolean;
}

/** The changes `next` makes over `live` (the newest published version), or everything in `next` when none is live. */
export function versionChanges(live: { version: number; definition: JourneyDefinition } | undefined, next: JourneyDefinition): VersionChanges {
  const before = live?.definition;
  const beforeStates = new Map(Object.entries(before?.states ?? {}));
  const afterStates = new Map(Object.entries(next.states));
  const states = {
    added: [...afterStates.keys()].filter((name) => !beforeStates.has(name)),
    removed: [...beforeStates.keys()].filter((name) => !afterStates.has(name)),
    changed: [...afterStates.keys()].filter((name) => beforeStates.has(name) && canonical(beforeStates.get(name)) !== canonical(afterStates.get(name))),
  };
  const beforeTemplates = before ? templatesOf(before) : new Set<string>();
  const afterTemplates = templatesOf(next);
  const templates = {
    added: [...afterTemplates].filter((template) => !beforeTemplates.has(template)).sort(),
    removed: [...beforeTemplates].filter((template) => !afterTemplates.has(template)).sort(),
  };
  const trigger = before && canonical(before.trigger) === canonical(next.trigger) ? undefined : { before: before?.trigger, after: next.trigger };
  const same =
    before !== undefined &&
    trigger === undefined &&
    states.added.length + states.removed.length + states.changed.length + templates.added.length + templates.removed.length === 0 &&
    canonical({ ...before, version: undefined }) === canonical({ ...next, version: undefined });
  return { liveVersion: live?.version, states, templates, trigger: trigger as VersionChanges['trigger'], same };
}

/** Every message template a definition sends, wherever its actions sit (entry, transitions, timers). */
export function templatesOf(definition: JourneyDefinition): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown, depth: number): void => {
    if (depth > 50 || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) return value.forEach((item) => visit(item, depth + 1));
    const record = value as Record<string, unknown>;
    if ((record.do === 'email' || record.do === 'sms') && typeof record.template === 'string') found.add(`${record.do}:${record.template}`);
    for (const inner of Object.values(record)) visit(inner, depth + 1);
  };
  visit(definition.states, 0);
  return found;
}

/** JSON with keys sorted at every level, so the same content written in another order compares equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b))) : inner,
  );
}
