/**
 * Template versions in the shipped files' format, for export and import: an
 * email as `email/<name>.yaml` (subject, text, html, and the class and kind the
 * template declares), an SMS as `sms/<name>.liquid`. An imported file's
 * problems are placed at their line in the file.
 */
import { isMap, isScalar, LineCounter, parseDocument, stringify } from 'yaml';
import type { TemplateVersion } from '../db/client.ts';
import type { TemplateProblem } from './compile.ts';
import type { TemplateSource } from './library.ts';
import type { Channel } from './variables.ts';

export interface TemplateFile {
  /** Where it goes under journeys/templates/. */
  path: string;
  text: string;
}

export function exportTemplateVersion(version: TemplateVersion): TemplateFile {
  if (version.channel === 'sms') return { path: `sms/${version.name}.liquid`, text: `${version.text.trimEnd()}\n` };
  const fields: Record<string, string> = { subject: version.subject ?? '' };
  if (version.messageClass) fields.class = version.messageClass;
  if (version.kind) fields.kind = version.kind;
  fields.text = version.text;
  if (version.html) fields.html = version.html;
  return { path: `email/${version.name}.yaml`, text: stringify(fields, { blockQuote: 'literal', lineWidth: 0 }) };
}

export type ParsedTemplateFile = { ok: true; source: TemplateSource; lines: Partial<Record<'subject' | 'text' | 'html', number>> } | { ok: false; problems: { line: number; message: string }[] };

/** Reads a file's text as the loader does; `lines` says where each part starts, to place its problems in the file. */
export function parseTemplateFile(channel: Channel, text: string): ParsedTemplateFile {
  if (channel === 'sms') return { ok: true, source: { text: text.trimEnd() }, lines: { text: 1 } };
  const counter = new LineCounter();
  const document = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    // The parser reads nested collections by recursion and reports running out of stack once per level: the first says it.
    const tooDeep = document.errors.find((error) => /call stack/i.test(error.message));
    return {
      ok: false,
      problems: (tooDeep ? [tooDeep] : document.errors).map((error) => ({
        line: error.linePos?.[0].line ?? 1,
        message: error === tooDeep ? 'nests too deeply to read' : error.message.split('\n')[0]!,
      })),
    };
  }
  if (!isMap(document.contents)) return { ok: false, problems: [{ line: 1, message: 'must be a mapping of subject, text and html' }] };
  const fields = new Map<string, { text: string; line: number }>();
  const problems: { line: number; message: string }[] = [];
  for (const pair of document.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const keyLine = isScalar(pair.key) && pair.key.range ? counter.linePos(pair.key.range[0]).line : 1;
    if (!['subject', 'text', 'html', 'class', 'kind'].includes(key)) {
      problems.push({ line: keyLine, message: `unknown field "${key}" (expected subject, text, html, class, kind)` });
      continue;
    }
    if (!isScalar(pair.value) || typeof pair.value.value !== 'string') {
      problems.push({ line: keyLine, message: `${key} must be text` });
      continue;
    }
    const block = pair.value.type === 'BLOCK_LITERAL' || pair.value.type === 'BLOCK_FOLDED';
    fields.set(key, { text: pair.value.value, line: keyLine + (block ? 1 : 0) });
  }
  if (!fields.get('text')) problems.push({ line: 1, message: 'needs text' });
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    source: { subject: fields.get('subject')?.text ?? '', text: fields.get('text')!.text, html: fields.get('html')?.text ?? null },
    lines: { subject: fields.get('subject')?.line ?? 1, text: fields.get('text')?.line ?? 1, html: fields.get('html')?.line },
  };
}

/** A part's problem at its line in the file. */
export function inFile(problem: TemplateProblem, lines: Partial<Record<'subject' | 'text' | 'html', number>>): TemplateProblem {
  return { ...problem, line: (lines[problem.field] ?? 1) + problem.line - 1 };
}
