/**
 * The message templates journeys send, read from `journeys/templates/`:
 *
 * - `email/<name>.yaml`: `subject`, `text` and optionally `html` (Liquid). Without
 *   `html` the HTML part is the text's paragraphs, escaped.
 * - `email/_layout.html.liquid`, `email/_layout.text.liquid`: what every email is
 *   wrapped in (`{{ content }}`), with the organisation's address and the
 *   unsubscribe link the law asks for.
 * - `sms/<name>.liquid`: the message body.
 *
 * Every template is parsed when the library loads, so a syntax error or an
 * unknown filter stops start-up with the file and line; which variables each one
 * uses is known up front, so journeys are checked against them before publishing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Liquid, Template } from 'liquidjs';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { MessageClass } from '../journeys/definition.ts';
import type { InteractionType } from '../journeys/vocabulary.ts';
import type { ReceiptData } from '../receipts/message-data.ts';
import type { StatementData } from '../receipts/statement.ts';
import { htmlEngine, textEngine } from './liquid.ts';
import { countSegments, type SmsEncoding } from './sms.ts';
import { unavailableVariable, type Channel } from './variables.ts';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../journeys/templates', import.meta.url));

/** What a message may speak of. Built by the send activities; sample data for previews. */
export interface MessageData {
  constituent: {
    firstName: string | null;
    lastName: string | null;
    email: string | null;
    phone: string | null;
    locale: string;
    timezone: string;
    attributes: Record<string, unknown>;
  };
  /** The event that enrolled the constituent: its type, when, and its data fields. */
  event: Record<string, unknown> | null;
  gift?: { amount: string; currency: string } | undefined;
  registration?: { program: string; startsAt: string | null } | undefined;
  ask: { amount: string; currency: string };
  journey: { id: string; name: string };
  org: { name: string; address: string; website: string };
  links?: { unsubscribe: string; preferences: string } | undefined;
  /** The gift's receipt, for templates of kind `receipt`. */
  receipt?: ReceiptData | undefined;
  /** The donor's year of giving, for templates of kind `statement`. */
  statement?: StatementData | undefined;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface RenderedSms {
  body: string;
  segments: number;
  encoding: SmsEncoding;
}

type Segments = (string | number)[];

export interface Part {
  template: Template[];
  /** Where the part's text starts in its file (1-based), to place errors. */
  line: number;
}

export interface EmailTemplate {
  channel: 'email';
  name: string;
  file: string;
  /** `class:` in the file: how steps that send it are treated unless they say otherwise. */
  messageClass?: MessageClass | undefined;
  /** `kind: receipt` in the file: sending it issues the gift's receipt and gives it to the template as `receipt`. */
  kind?: TemplateKind | undefined;
  subject: Part;
  text: Part;
  html?: Part | undefined;
  variables: Segments[];
  /** The text it was written as, for import into template versions. */
  source?: TemplateSource | undefined;
}

/** A template's text as written: an email's subject, text and HTML, or an SMS body as `text`. */
export interface TemplateSource {
  subject?: string | null | undefined;
  text: string;
  html?: string | null | undefined;
}

/** `receipt`: the gift's receipt as `receipt.*`; `statement`: the donor's year of giving as `statement.*`. */
export const templateKinds = ['receipt', 'statement'] as const;
export type TemplateKind = (typeof templateKinds)[number];

export interface SmsTemplate {
  channel: 'sms';
  name: string;
  file: string;
  body: Part;
  variables: Segments[];
  source?: TemplateSource | undefined;
}

export interface TemplateLibrary {
  email: ReadonlyMap<string, EmailTemplate>;
  sms: ReadonlyMap<string, SmsTemplate>;
  layout: { html: Part & { file: string }; text: Part & { file: string }; variables: Segments[] };
}

/** A template that does not load: the file, the line and what is wrong. */
export class TemplateSourceError extends Error {
  constructor(readonly problems: { file: string; line: number; message: string }[]) {
    super(`Message templates have errors:\n${problems.map((p) => `  ${p.file}:${p.line}: ${p.message}`).join('\n')}`);
    this.name = 'TemplateSourceError';
  }
}

/** A template asked for something the data does not hold, or does not exist. */
export class TemplateRenderError extends Error {
  override name = 'TemplateRenderError';
}

export function loadTemplateLibrary(dir = TEMPLATES_DIR): TemplateLibrary {
  const problems: { file: string; line: number; message: string }[] = [];
  const parse = (engine: Liquid, source: string, file: string, line: number): Part => {
    try {
      return { template: engine.parse(source), line };
    } catch (error) {
      const { message, offset } = liquidError(error);
      problems.push({ file, line: line + offset, message });
      return { template: [], line };
    }
  };

  const email = new Map<string, EmailTemplate>();
  const emailDir = path.join(dir, 'email');
  for (const entry of readdirSync(emailDir).filter((name) => name.endsWith('.yaml')).sort()) {
    const file = path.join(emailDir, entry);
    const name = entry.replace(/\.yaml$/, '');
    const counter = new LineCounter();
    const document = parseDocument(readFileSync(file, 'utf8'), { lineCounter: counter });
    if (document.errors.length > 0) {
      for (const error of document.errors) problems.push({ file, line: error.linePos?.[0].line ?? 1, message: error.message });
      continue;
    }
    const fields = new Map<string, { text: string; line: number }>();
    if (!isMap(document.contents)) {
      problems.push({ file, line: 1, message: 'must be a mapping of subject, text and html' });
      continue;
    }
    for (const pair of document.contents.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const keyLine = isScalar(pair.key) && pair.key.range ? counter.linePos(pair.key.range[0]).line : 1;
      if (!['subject', 'text', 'html', 'class', 'kind'].includes(key)) {
        problems.push({ file, line: keyLine, message: `unknown field "${key}" (expected subject, text, html, class, kind)` });
        continue;
      }
      if (!isScalar(pair.value) || typeof pair.value.value !== 'string') {
        problems.push({ file, line: keyLine, message: `${key} must be text` });
        continue;
      }
      // A block scalar (`text: |`) starts on the line after its key.
      const block = pair.value.type === 'BLOCK_LITERAL' || pair.value.type === 'BLOCK_FOLDED';
      fields.set(key, { text: pair.value.value, line: keyLine + (block ? 1 : 0) });
    }
    const subject = fields.get('subject');
    const text = fields.get('text');
    if (!subject || !text) {
      problems.push({ file, line: 1, message: `needs ${[!subject && 'subject', !text && 'text'].filter(Boolean).join(' and ')}` });
      continue;
    }
    if (subject.text.includes('\n')) problems.push({ file, line: subject.line, message: 'subject must be one line' });
    const html = fields.get('html');
    const declaredClass = fields.get('class');
    const messageClass = declaredClass && MessageClass.safeParse(declaredClass.text.trim());
    if (declaredClass && !messageClass?.success) problems.push({ file, line: declaredClass.line, message: 'class must be transactional or marketing' });
    const declaredKind = fields.get('kind');
    const kind = templateKinds.find((known) => known === declaredKind?.text.trim());
    if (declaredKind && !kind) problems.push({ file, line: declaredKind.line, message: `kind must be ${templateKinds.join(' or ')}` });
    const template: EmailTemplate = {
      channel: 'email',
      name,
      file,
      messageClass: messageClass?.success ? messageClass.data : undefined,
      kind,
      subject: parse(textEngine, subject.text, file, subject.line),
      text: parse(textEngine, text.text, file, text.line),
      html: html ? parse(htmlEngine, html.text, file, html.line) : undefined,
      variables: [],
      source: { subject: subject.text, text: text.text, html: html?.text ?? null },
    };
    template.variables = variablesOf([template.subject, template.text, template.html]);
    email.set(name, template);
  }

  const layoutFile = (kind: 'html' | 'text') => path.join(emailDir, `_layout.${kind}.liquid`);
  const layoutHtml = { ...parse(htmlEngine, readFileSync(layoutFile('html'), 'utf8'), layoutFile('html'), 1), file: layoutFile('html') };
  const layoutText = { ...parse(textEngine, readFileSync(layoutFile('text'), 'utf8'), layoutFile('text'), 1), file: layoutFile('text') };

  const sms = new Map<string, SmsTemplate>();
  const smsDir = path.join(dir, 'sms');
  for (const entry of readdirSync(smsDir).filter((name) => name.endsWith('.liquid')).sort()) {
    const file = path.join(smsDir, entry);
    const name = entry.replace(/\.liquid$/, '');
    if (email.has(name)) problems.push({ file, line: 1, message: `"${name}" is also an email template; give each template its own name` });
    const bodyText = readFileSync(file, 'utf8').trimEnd();
    const body = parse(textEngine, bodyText, file, 1);
    sms.set(name, { channel: 'sms', name, file, body, variables: variablesOf([body]), source: { text: bodyText } });
  }

  const library: TemplateLibrary = {
    email,
    sms,
    layout: {
      html: layoutHtml,
      text: layoutText,
      variables: variablesOf([layoutHtml, layoutText]).filter((segments) => segments[0] !== 'content'),
    },
  };
  // Variables no journey could ever fill are errors of the template itself.
  for (const template of [...email.values(), ...sms.values()]) {
    for (const problem of checkTemplate(library, template.channel, template.name)) problems.push({ file: template.file, line: 1, message: problem });
  }
  if (problems.length > 0) throw new TemplateSourceError(problems);
  return library;
}

let shipped: TemplateLibrary | undefined;

/** The templates this build ships, loaded once. */
export function templateLibrary(): TemplateLibrary {
  shipped ??= loadTemplateLibrary();
  return shipped;
}

/**
 * What stops a template from being sent by a journey with this trigger: a
 * missing template, or variables the journey cannot fill. Empty when it can be sent.
 */
export function checkTemplate(library: TemplateLibrary, channel: Channel, name: string, trigger?: InteractionType): string[] {
  const template = library[channel].get(name);
  if (!template) return [`unknown ${channel === 'sms' ? 'SMS' : 'email'} template "${name}"`];
  const variables = channel === 'email' ? [...template.variables, ...library.layout.variables] : template.variables;
  const problems = new Set<string>();
  for (const segments of variables) {
    const problem = unavailableVariable(segments, { channel, trigger });
    if (problem) problems.add(`template "${name}" uses ${problem}`);
  }
  return [...problems];
}

export function renderEmail(library: TemplateLibrary, name: string, data: MessageData): RenderedEmail {
  const template = library.email.get(name);
  if (!template) throw new TemplateRenderError(`Unknown email template "${name}"`);
  const subject = render(textEngine, template, template.subject, data).trim();
  const text = render(textEngine, template, template.text, data).trim();
  const html = template.html ? render(htmlEngine, template, template.html, data) : paragraphsAsHtml(text);
  return {
    subject,
    text: render(textEngine, template, library.layout.text, { ...data, content: text }).trim() + '\n',
    html: render(htmlEngine, template, library.layout.html, { ...data, content: html }),
  };
}

export function renderSms(library: TemplateLibrary, name: string, data: MessageData): RenderedSms {
  const template = library.sms.get(name);
  if (!template) throw new TemplateRenderError(`Unknown SMS template "${name}"`);
  // A message body is one paragraph: line breaks in the file are for its author.
  const body = render(textEngine, template, template.body, data).replace(/\s*\n\s*/g, ' ').trim();
  return { body, ...countSegments(body) };
}

export function render(engine: Liquid, template: EmailTemplate | SmsTemplate, part: Part, data: object): string {
  try {
    return engine.renderSync(part.template, data);
  } catch (error) {
    throw new TemplateRenderError(`${template.channel} template "${template.name}": ${liquidError(error).message}`);
  }
}

export function variablesOf(parts: (Part | undefined)[]): Segments[] {
  const templates = parts.flatMap((part) => part?.template ?? []);
  return textEngine.globalVariableSegmentsSync(templates) as Segments[];
}

/** A Liquid error's message without its own position, its line within the part (0-based) and its column (1-based). */
export function liquidError(error: unknown): { message: string; offset: number; column: number | undefined } {
  const message = error instanceof Error ? error.message : String(error);
  const position = /, line:(\d+), col:(\d+)$/.exec(message);
  return {
    message: position ? message.slice(0, position.index) : message,
    offset: position ? Number(position[1]) - 1 : 0,
    column: position ? Number(position[2]) : undefined,
  };
}

export function paragraphsAsHtml(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((paragraph) => `<p>${escapeHtml(paragraph.trim()).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
