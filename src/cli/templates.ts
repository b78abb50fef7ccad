/**
 * `steward templates …`: the message templates this build ships, and how each
 * reads for a given person, before any journey sends it.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { renderEmail, renderSms, templateLibrary, TemplateRenderError, TemplateSourceError } from '../templates/library.ts';
import { canonicalLocale, LocaleCode, resolveTemplateLocale } from '../templates/locales.ts';
import { sampleData, SampleOverrides, withLocale } from '../templates/sample.ts';
import type { Output } from './output.ts';

export const TEMPLATES_USAGE = `Templates:
  steward templates list                                     email and SMS templates, their locales and the variables each uses
  steward templates preview <name> [--sample <json|@file>] [--html] [--channel email|sms] [--locale <bcp47>]
                                                             render with sample data (yours merged over a default donor),
                                                             as a constituent with that locale gets it (fr-CA, then fr, then the default)`;

class UsageError extends Error {}

export async function templatesCommand(args: string[], output: Output): Promise<number> {
  const [command, ...rest] = args;
  try {
    const library = templateLibrary();
    if (command === 'list') {
      for (const channel of ['email', 'sms'] as const) {
        for (const template of library[channel].values()) {
          const uses = [...new Set(template.variables.map((segments) => segments.map(String).join('.')))].sort();
          const locales = template.locales.size > 0 ? `[${[...template.locales.keys()].sort().join(', ')}] ` : '';
          output.out.write(`${channel.padEnd(6)}${template.name.padEnd(34)}${locales}${uses.join(', ')}\n`);
        }
      }
      return 0;
    }
    if (command !== 'preview') throw new UsageError(command ? `unknown command "${command}"` : 'which command?');
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { sample: { type: 'string' }, html: { type: 'boolean', default: false }, channel: { type: 'string' }, locale: { type: 'string' } },
    });
    const [name] = positionals;
    if (!name || positionals.length > 1) throw new UsageError('give one template name');
    const channels = (['email', 'sms'] as const).filter((channel) => library[channel].has(name) && (!values.channel || values.channel === channel));
    if (channels.length === 0) {
      output.err.write(`steward templates: no template "${name}" (see steward templates list)\n`);
      return 1;
    }
    const locale = values.locale === undefined ? undefined : localeOption(values.locale);
    const sample = await readSample(values.sample);
    // The locale given is the sample constituent's: it picks the variant and formats numbers and dates.
    const data = sampleData(withLocale(sample, locale));
    if (locale) {
      const resolved = resolveTemplateLocale(library, channels[0]!, name, locale)!;
      output.out.write(`Locale: ${resolved.locale ?? 'default'} (asked for ${locale})\n`);
    }
    if (channels[0] === 'email') {
      const email = renderEmail(library, name, data);
      output.out.write(`Subject: ${email.subject}\n\n${email.text}`);
      if (values.html) output.out.write(`\n--- HTML ---\n${email.html}\n`);
    } else {
      const sms = renderSms(library, name, data);
      output.out.write(`${sms.body}\n\n${sms.body.length} characters, ${sms.encoding}, ${sms.segments} segment${sms.segments === 1 ? '' : 's'}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      output.err.write(`steward templates: ${(error as Error).message}\n\n${TEMPLATES_USAGE}\n`);
      return 2;
    }
    if (error instanceof TemplateRenderError || error instanceof TemplateSourceError || error instanceof SampleError) {
      output.err.write(`steward templates: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

class SampleError extends Error {}

/** `--locale fr-CA`: a BCP 47 tag, canonicalised. */
function localeOption(option: string): string {
  const parsed = LocaleCode.safeParse(option);
  if (!parsed.success) throw new SampleError(`--locale: ${parsed.error.issues[0]!.message}`);
  return canonicalLocale(parsed.data)!;
}

/** `--sample '{"constituent":{"firstName":"Bo"}}'` or `--sample @sample.json`. */
async function readSample(option: string | undefined): Promise<Record<string, unknown>> {
  if (!option) return {};
  const text = option.startsWith('@') ? await readFile(option.slice(1), 'utf8') : option;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SampleError(`--sample is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = SampleOverrides.safeParse(json);
  if (!parsed.success) throw new SampleError('--sample must be a JSON object, e.g. {"constituent":{"firstName":"Bo"}}');
  return parsed.data;
}
