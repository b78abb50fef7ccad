/**
 * Which language a template is sent in. A template's locale variants sit next
 * to it as `<name>.<locale>.yaml` (email) or `<name>.<locale>.liquid` (SMS); a
 * constituent gets the most specific variant their locale has, going from the
 * most specific tag to the least (fr-CA, then fr), else the default file:
 * RFC 4647 "lookup", with BCP 47 tags as Intl understands them.
 *
 * Resolution runs for every message sent, so each (template, locale) pair is
 * resolved once per loaded library and kept.
 */
import { z } from 'zod';
import type { Channel } from './variables.ts';

/** A BCP 47 language tag in its canonical form (`fr-ca` becomes `fr-CA`); undefined when it is not one. */
export function canonicalLocale(tag: string): string | undefined {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical;
  } catch {
    return undefined;
  }
}

/**
 * A locale code at an edge (a file name, a preview request): any valid BCP 47 tag.
 * A check, not a transform, so it can be described in the OpenAPI document;
 * `canonicalLocale` gives its canonical form.
 */
export const LocaleCode = z.string().refine((tag) => canonicalLocale(tag) !== undefined, {
  error: (issue) => `"${String(issue.input)}" is not a valid BCP 47 locale code (e.g. fr, fr-CA, pt-BR)`,
});

/**
 * The tags to look for, most specific first: `fr-CA` → `fr-CA`, `fr`;
 * `zh-Hant-TW` → `zh-Hant-TW`, `zh-Hant`, `zh`. Extensions (`-u-nu-latn`) are
 * about formatting, not language, and are left out. Empty for a tag that is not BCP 47.
 */
export function localeFallbacks(tag: string | null | undefined): string[] {
  const canonical = tag ? canonicalLocale(tag) : undefined;
  if (!canonical) return [];
  const subtags = new Intl.Locale(canonical).baseName.split('-');
  return subtags.map((_, index) => subtags.slice(0, subtags.length - index).join('-'));
}

/** The locale Intl formats in for this constituent: their own when it is valid, else en-US. */
export function formattingLocale(tag: unknown): string {
  return (typeof tag === 'string' && canonicalLocale(tag)) || 'en-US';
}

/** Anything with a default and locale variants: a template, or the email layout. */
export interface Localised<T> {
  /** The variants by canonical locale code. */
  readonly locales: ReadonlyMap<string, T>;
}

/** The variant a constituent with `locale` gets, and the locale it was written for (null: the default). */
export interface ResolvedLocale<T> {
  template: T;
  locale: string | null;
}

/** Picks `item`'s variant for `locale` by the fallback chain; the default when none matches. */
export function pickLocale<T>(item: T & Localised<T>, locale: string | null | undefined): ResolvedLocale<T> {
  for (const candidate of localeFallbacks(locale)) {
    const variant = item.locales.get(candidate);
    if (variant) return { template: variant, locale: candidate };
  }
  return { template: item, locale: null };
}

/** What `resolveTemplateLocale` looks in: the loaded library's default templates by channel and name. */
export type LocalisedTemplates = Record<Channel, ReadonlyMap<string, Localised<unknown>>>;
type TemplateOf<M> = M extends ReadonlyMap<string, infer T> ? T : never;

/** Bounded so that many distinct (even made-up) locales cannot grow it without end. */
const CACHE_LIMIT = 10_000;
const resolved = new WeakMap<object, Map<string, ResolvedLocale<unknown> | null>>();

/**
 * The template `name` a constituent with `locale` is sent on `channel`, and the
 * locale it was written for; undefined when there is no such template. Resolved
 * once per library, channel, name and locale.
 */
export function resolveTemplateLocale<L extends LocalisedTemplates, C extends Channel>(
  library: L,
  channel: C,
  name: string,
  locale: string | null | undefined,
): ResolvedLocale<TemplateOf<L[C]>> | undefined {
  type T = TemplateOf<L[C]>;
  let cache = resolved.get(library);
  if (!cache) resolved.set(library, (cache = new Map()));
  const key = `${channel}\u0000${name}\u0000${locale ?? ''}`;
  const hit = cache.get(key);
  if (hit !== undefined) return (hit ?? undefined) as ResolvedLocale<T> | undefined;
  const item = library[channel].get(name) as (T & Localised<T>) | undefined;
  const result = item ? pickLocale<T>(item, locale) : null;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, result);
  return result ?? undefined;
}
