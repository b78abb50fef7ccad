/**
 * The message templates journeys send, read from `journeys/templates/`:
 *
 * - `email/<name>.yaml`: `subject`, `text` and optionally `html` (Liquid). Without
 *   `html` the HTML part is the text's paragraphs, escaped.
 * - `email/_layout.html.liquid`, `email/_layout.text.liquid`: what every email is
 *   wrapped in (`{{ content }}`), with the organisation's address and the
 *   unsubscribe link the law asks for.
 * - `sms/<name>.liquid`: the message body.
 * - `email/<name>.<locale>.yaml`, `sms/<name>.<locale>.liquid`,
 *   `email/_layout.<html|text>.<locale>.liquid`: the same in another language, for
 *   a BCP 47 locale (`fr`, `fr-CA`). A constituent gets the variant their locale
 *   falls back to (fr-CA, then fr), else the default (see locales.ts). A variant
 *   translates: it has the default's class and kind and uses only its variables.
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
import { canonicalLocale, LocaleCode, resolveTemplateLocale, pickLocale, type Localised } from './locales.ts';
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
  /** The locale of the variant rendered; null for the default. */
  locale: string | null;
  subject: string;
  text: string;
  html: string;
}

export interface RenderedSms {
  locale: string | null;
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

export interface EmailTemplate extends Localised<EmailTemplate> {
  channel: 'email';
  name: string;
  file: string;
  /** The locale this variant is written for (`fr`, `fr-CA`); null for the default. */
  locale: string | null;
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

export interface SmsTemplate extends Localised<SmsTemplate> {
  channel: 'sms';
  name: string;
  file: string;
  locale: string | null;
  body: Part;
  variables: Segments[];
  source?: TemplateSource | undefined;
}

/** One of the email layout's two files, with its locale variants. */
export interface LayoutPart extends Part, Localised<LayoutPart> {
  file: string;
  locale: string | null;
}

export interface TemplateLibrary {
  /** The default templates by name; each holds its locale variants. */
  email: ReadonlyMap<string, EmailTemplate>;
  sms: ReadonlyMap<string, SmsTemplate>;
  layout: { html: LayoutPart; text: LayoutPart; variables: Segments[] };
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

type Problems = { file: string; line: number; message: string }[];

/**
 * A template file's name: `<name>.yaml` is the default, `<name>.<locale>.yaml`
 * its variant for a BCP 47 locale. The locale comes back canonical; a code that
 * is not BCP 47 is a problem of the file.
 */
function templateFileName(entry: string, extension: string, file: string, problems: Problems): { name: string; locale: string | null } | undefined {
  const match = new RegExp(`^([^.]+)(?:\\.([^.]+))?\\.${extension.replace('.', '\\.')}$`).exec(entry);
  if (!match) {
    problems.push({ file, line: 1, message: `file name must be <name>.${extension} or <name>.<locale>.${extension}` });
    return undefined;
  }
  const [, name, code] = match;
  if (code === undefined) return { name: name!, locale: null };
  const locale = LocaleCode.safeParse(code);
  if (!locale.success) {
    problems.push({ file, line: 1, message: `${locale.error.issues[0]!.message} in the file name` });
    return undefined;
  }
  return { name: name!, locale: canonicalLocale(locale.data)! };
}

export function loadTemplateLibrary(dir = TEMPLATES_DIR): TemplateLibrary {
  const problems: Problems = [];
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
  const emailVariants: EmailTemplate[] = [];
  const emailDir = path.join(dir, 'email');
  for (const entry of readdirSync(emailDir).filter((name) => name.endsWith('.yaml')).sort()) {
    const file = path.join(emailDir, entry);
    const named = templateFileName(entry, 'yaml', file, problems);
    if (!named) continue;
    const fields = readEmailFields(file, named.locale, problems);
    if (!fields) continue;
    const { subject, text, html } = fields;
    if (subject.text.includes('\n')) problems.push({ file, line: subject.line, message: 'subject must be one line' });
    const declaredClass = fields.class;
    const messageClass = declaredClass && MessageClass.safeParse(declaredClass.text.trim());
    if (declaredClass && !messageClass?.success) problems.push({ file, line: declaredClass.line, message: 'class must be transactional or marketing' });
    const declaredKind = fields.kind;
    const kind = templateKinds.find((known) => known === declaredKind?.text.trim());
    if (declaredKind && !kind) problems.push({ file, line: declaredKind.line, message: `kind must be ${templateKinds.join(' or ')}` });
    const template: EmailTemplate = {
      channel: 'email',
      name: named.name,
      file,
      locale: named.locale,
      locales: new Map(),
      messageClass: messageClass?.success ? messageClass.data : undefined,
      kind,
      subject: parse(textEngine, subject.text, file, subject.line),
      text: parse(textEngine, text.text, file, text.line),
      html: html ? parse(htmlEngine, html.text, file, html.line) : undefined,
      variables: [],
      source: { subject: subject.text, text: text.text, html: html?.text ?? null },
    };
    template.variables = variablesOf([template.subject, template.text, template.html]);
    if (named.locale) emailVariants.push(template);
    else email.set(named.name, template);
  }

  const layoutDir = emailDir;
  const layout = (kind: 'html' | 'text'): LayoutPart => {
    const engine = kind === 'html' ? htmlEngine : textEngine;
    const read = (file: string, locale: string | null): LayoutPart => ({ ...parse(engine, readFileSync(file, 'utf8'), file, 1), file, locale, locales: new Map() });
    const main = read(path.join(layoutDir, `_layout.${kind}.liquid`), null);
    const prefix = `_layout.${kind}.`;
    for (const entry of readdirSync(layoutDir).filter((name) => name.startsWith(prefix) && name !== `${prefix}liquid`).sort()) {
      const file = path.join(layoutDir, entry);
      const named = templateFileName(entry.slice('_layout.'.length), 'liquid', file, problems);
      if (!named?.locale) continue;
      const variant = read(file, named.locale);
      problems.push(...extraVariables(variant.file, [variant], [main]));
      (main.locales as Map<string, LayoutPart>).set(named.locale, variant);
    }
    return main;
  };
  const layoutHtml = layout('html');
  const layoutText = layout('text');

  const sms = new Map<string, SmsTemplate>();
  const smsVariants: SmsTemplate[] = [];
  const smsDir = path.join(dir, 'sms');
  for (const entry of readdirSync(smsDir).filter((name) => name.endsWith('.liquid')).sort()) {
    const file = path.join(smsDir, entry);
    const named = templateFileName(entry, 'liquid', file, problems);
    if (!named) continue;
    if (email.has(named.name) && !named.locale) problems.push({ file, line: 1, message: `"${named.name}" is also an email template; give each template its own name` });
    const bodyText = readFileSync(file, 'utf8').trimEnd();
    const body = parse(textEngine, bodyText, file, 1);
    const template: SmsTemplate = { channel: 'sms', name: named.name, file, locale: named.locale, locales: new Map(), body, variables: variablesOf([body]), source: { text: bodyText } };
    if (named.locale) smsVariants.push(template);
    else sms.set(named.name, template);
  }

  // A variant speaks of what its default does, no more: whatever checks the default holds for it too.
  for (const variant of emailVariants) {
    const main = email.get(variant.name);
    if (!main) {
      problems.push({ file: variant.file, line: 1, message: `a ${variant.locale} variant of "${variant.name}", which has no default ${variant.name}.yaml` });
      continue;
    }
    problems.push(...extraVariables(variant.file, [variant.subject, variant.text, variant.html], [main.subject, main.text, main.html]));
    (main.locales as Map<string, EmailTemplate>).set(variant.locale!, { ...variant, messageClass: main.messageClass, kind: main.kind });
  }
  for (const variant of smsVariants) {
    const main = sms.get(variant.name);
    if (!main) {
      problems.push({ file: variant.file, line: 1, message: `a ${variant.locale} variant of "${variant.name}", which has no default ${variant.name}.liquid` });
      continue;
    }
    problems.push(...extraVariables(variant.file, [variant.body], [main.body]));
    (main.locales as Map<string, SmsTemplate>).set(variant.locale!, variant);
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

/** An email file's fields with the line each starts on; undefined (with the problems noted) when it cannot be read as one. */
function readEmailFields(file: string, locale: string | null, problems: Problems) {
  const counter = new LineCounter();
  const document = parseDocument(readFileSync(file, 'utf8'), { lineCounter: counter });
  if (document.errors.length > 0) {
    for (const error of document.errors) problems.push({ file, line: error.linePos?.[0].line ?? 1, message: error.message });
    return undefined;
  }
  if (!isMap(document.contents)) {
    problems.push({ file, line: 1, message: 'must be a mapping of subject, text and html' });
    return undefined;
  }
  // A variant is a translation: how the message is treated is its default's to say.
  const known = locale ? ['subject', 'text', 'html'] : ['subject', 'text', 'html', 'class', 'kind'];
  const fields = new Map<string, { text: string; line: number }>();
  for (const pair of document.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const keyLine = isScalar(pair.key) && pair.key.range ? counter.linePos(pair.key.range[0]).line : 1;
    if (!known.includes(key)) {
      const why = locale && ['class', 'kind'].includes(key) ? `; a ${locale} variant takes its ${key} from the default template` : '';
      problems.push({ file, line: keyLine, message: `unknown field "${key}" (expected ${known.join(', ')})${why}` });
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
    return undefined;
  }
  return { subject, text, html: fields.get('html'), class: fields.get('class'), kind: fields.get('kind') };
}

/** Variables a locale variant uses that its default does not, each at its line: a translation must not need data the default never asked for. */
function extraVariables(file: string, variant: (Part | undefined)[], main: (Part | undefined)[]): Problems {
  const known = new Set(main.flatMap((part) => (part ? Object.values(globalsOf(part)).flat().map(String) : [])));
  const problems: Problems = [];
  for (const part of variant) {
    if (!part) continue;
    for (const uses of Object.values(globalsOf(part))) {
      for (const use of uses) {
        const name = String(use);
        if (known.has(name)) continue;
        problems.push({ file, line: part.line + use.location.row - 1, message: `uses "${name}", which the default template does not; a locale variant may use only the default's variables` });
      }
    }
  }
  return problems;
}

function globalsOf(part: Part) {
  return textEngine.analyzeSync(part.template, { partials: false }).globals;
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

/** The email `name` as a constituent with the data's locale gets it: their language's variant, else the default. */
export function renderEmail(library: TemplateLibrary, name: string, data: MessageData): RenderedEmail {
  const resolved = resolveTemplateLocale(library, 'email', name, data.constituent.locale);
  if (!resolved) throw new TemplateRenderError(`Unknown email template "${name}"`);
  const template = resolved.template;
  const subject = render(textEngine, template, template.subject, data).trim();
  const text = render(textEngine, template, template.text, data).trim();
  const html = template.html ? render(htmlEngine, template, template.html, data) : paragraphsAsHtml(text);
  // The layout in the template's own language, so a French message does not end in English.
  const layoutText = pickLocale(library.layout.text, template.locale).template;
  const layoutHtml = pickLocale(library.layout.html, template.locale).template;
  return {
    locale: template.locale,
    subject,
    text: render(textEngine, template, layoutText, { ...data, content: text }).trim() + '\n',
    html: render(htmlEngine, template, layoutHtml, { ...data, content: html }),
  };
}

/** The SMS `name` in the constituent's language, as `renderEmail` picks it. */
export function renderSms(library: TemplateLibrary, name: string, data: MessageData): RenderedSms {
  const resolved = resolveTemplateLocale(library, 'sms', name, data.constituent.locale);
  if (!resolved) throw new TemplateRenderError(`Unknown SMS template "${name}"`);
  const template = resolved.template;
  // A message body is one paragraph: line breaks in the file are for its author.
  const body = render(textEngine, template, template.body, data).replace(/\s*\n\s*/g, ' ').trim();
  return { locale: template.locale, body, ...countSegments(body) };
}

export function render(engine: Liquid, template: EmailTemplate | SmsTemplate, part: Part, data: object): string {
  try {
    return engine.renderSync(part.template, data);
  } catch (error) {
    const variant = template.locale ? ` (${template.locale})` : '';
    throw new TemplateRenderError(`${template.channel} template "${template.name}"${variant}: ${liquidError(error).message}`);
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
    .map((paragraph) => `<p>${linkify(escapeHtml(paragraph.trim())).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
}

/** Web addresses in escaped text as links (sentence punctuation after one is not part of it). */
function linkify(escaped: string): string {
  return escaped.replace(/https?:\/\/[^\s<>"]+/g, (match) => {
    const url = match.replace(/[.,;:!?)]+$/, '');
    return `<a href="${url}">${url}</a>${match.slice(url.length)}`;
  });
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
