/**
 * A template written in the app, compiled as the files are: each part parsed by
 * the Liquid engine it renders with, and every problem placed at its part, line
 * and column (a parse error where Liquid found it, a variable no journey could
 * fill where it is first written), so the editor can point at it.
 */
import type { Liquid } from 'liquidjs';
import type { MessageClass } from '../journeys/definition.ts';
import type { InteractionType } from '../journeys/vocabulary.ts';
import { htmlEngine, textEngine } from './liquid.ts';
import {
  liquidError,
  templateKinds,
  variablesOf,
  type EmailTemplate,
  type Part,
  type SmsTemplate,
  type TemplateKind,
  type TemplateLibrary,
  type TemplateSource,
} from './library.ts';
import { unavailableVariable, type Channel } from './variables.ts';

/** The parts of a template a problem can be in; an SMS has only its body (`text`). */
export type TemplateField = 'subject' | 'text' | 'html';

export interface TemplateProblem {
  field: TemplateField;
  /** 1-based, within the field. */
  line: number;
  column?: number | undefined;
  message: string;
}

export interface TemplateMeta {
  messageClass?: MessageClass | null | undefined;
  kind?: string | null | undefined;
}

export type CompiledTemplate = EmailTemplate | SmsTemplate;

export type CompileResult = { ok: true; template: CompiledTemplate } | { ok: false; problems: TemplateProblem[] };

/** Parses a template's parts; `trigger` narrows the variables allowed to what journeys with that trigger supply. */
export function compileTemplate(channel: Channel, name: string, source: TemplateSource, meta: TemplateMeta = {}, trigger?: InteractionType): CompileResult {
  const problems: TemplateProblem[] = [];
  const parse = (engine: Liquid, field: TemplateField, text: string): Part => {
    try {
      return { template: engine.parse(text), line: 1 };
    } catch (error) {
      const { message, offset, column } = liquidError(error);
      problems.push({ field, line: offset + 1, column, message });
      return { template: [], line: 1 };
    }
  };
  const file = `${channel}/${name}`;
  let template: CompiledTemplate;
  if (channel === 'email') {
    const subjectText = source.subject ?? '';
    if (!subjectText.trim()) problems.push({ field: 'subject', line: 1, message: 'an email needs a subject' });
    if (subjectText.includes('\n')) problems.push({ field: 'subject', line: 1, message: 'the subject must be one line' });
    if (!source.text.trim()) problems.push({ field: 'text', line: 1, message: 'an email needs a text part' });
    const subject = parse(textEngine, 'subject', subjectText);
    const text = parse(textEngine, 'text', source.text);
    const html = source.html?.trim() ? parse(htmlEngine, 'html', source.html) : undefined;
    const kind = templateKinds.find((known) => known === meta.kind) as TemplateKind | undefined;
    template = { channel, name, file, locale: null, locales: new Map(), messageClass: meta.messageClass ?? undefined, kind, subject, text, html, variables: variablesOf([subject, text, html]), source };
    unfillable(problems, channel, trigger, [['subject', subject, subjectText], ['text', text, source.text], ['html', html, source.html ?? '']]);
  } else {
    if (!source.text.trim()) problems.push({ field: 'text', line: 1, message: 'an SMS needs a body' });
    const body = parse(textEngine, 'text', source.text.trimEnd());
    template = { channel, name, file, locale: null, locales: new Map(), body, variables: variablesOf([body]), source };
    unfillable(problems, channel, trigger, [['text', body, source.text]]);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, template };
}

/** Variables no journey (or none with this trigger) could fill: each placed where it is first written. */
function unfillable(problems: TemplateProblem[], channel: Channel, trigger: InteractionType | undefined, parts: [TemplateField, Part | undefined, string][]): void {
  const seen = new Set<string>();
  for (const [field, part, text] of parts) {
    if (!part) continue;
    for (const segments of variablesOf([part])) {
      const name = segments.map(String).join('.');
      const problem = unavailableVariable(segments, { channel, trigger });
      if (!problem || seen.has(name)) continue;
      seen.add(name);
      const { line, column } = locate(text, segments);
      problems.push({ field, line, column, message: `uses ${problem}` });
    }
  }
}

/** Where a variable is first written in a part: its path as typed (`gift.amont`), else its first segment. */
function locate(text: string, segments: (string | number)[]): { line: number; column: number | undefined } {
  const lines = text.split('\n');
  for (const needle of [segments.map(String).join('.'), String(segments[0])]) {
    const pattern = new RegExp(`(?<![\\w.])${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w])`);
    for (const [index, line] of lines.entries()) {
      const match = pattern.exec(line);
      if (match) return { line: index + 1, column: match.index + 1 };
    }
  }
  return { line: 1, column: undefined };
}

/**
 * The shipped library with one template in place of its namesake: for rendering a
 * version with the shipped layout. Translations stay files
 * (`journeys/templates/email/<name>.<locale>.yaml`), so a stored version of the
 * default keeps its file's translations for constituents in those locales.
 */
export function libraryWith(base: TemplateLibrary, template: CompiledTemplate): TemplateLibrary {
  if (template.channel === 'email') {
    const locales = base.email.get(template.name)?.locales ?? template.locales;
    return { ...base, email: new Map([[template.name, { ...template, locales }]]) };
  }
  const locales = base.sms.get(template.name)?.locales ?? template.locales;
  return { ...base, sms: new Map([[template.name, { ...template, locales }]]) };
}
