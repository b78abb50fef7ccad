/**
 * `steward journey …`: validate, draw, simulate and forecast journey files, all
 * before a single constituent is touched.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { productCatalog } from '../journeys/catalog.ts';
import type { JourneyDefinition } from '../journeys/definition.ts';
import { journeyJsonSchema } from '../journeys/definition.ts';
import { journeyToMermaid, journeyToSvg } from '../journeys/diagram.ts';
import { forecastJourney, formatForecast } from '../journeys/forecast.ts';
import { formatSimulation, simulateJourney, TimelineError } from '../journeys/simulate.ts';
import { duplicateJourneyIds, formatDiagnostic, loadJourneyFile, type LoadedJourney } from '../journeys/source.ts';
import { triggerOverlap } from '../journeys/trigger-overlap.ts';
import { progressReporter, type Output } from './output.ts';

export const JOURNEY_USAGE = `Journeys:
  steward journey validate <file>...                         check journey files (exit 1 on errors)
  steward journey diagram <file> [--format mermaid|svg] [--output <file>]
  steward journey simulate <file> --timeline <events.json> [--json]
  steward journey forecast <file> --constituents <N> --days <D> [--seed <n>] [--json]
  steward journey schema                                     JSON Schema of the journey format, for editors`;

class UsageError extends Error {}

export async function journeyCommand(args: string[], output: Output): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'validate':
        return await validate(rest, output);
      case 'diagram':
        return await diagram(rest, output);
      case 'simulate':
        return await simulate(rest, output);
      case 'forecast':
        return await forecast(rest, output);
      case 'schema':
        output.out.write(`${JSON.stringify(journeyJsonSchema(), null, 2)}\n`);
        return 0;
      default:
        throw new UsageError(command ? `unknown journey command "${command}"` : 'which journey command?');
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof TimelineError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      output.err.write(`steward journey: ${(error as Error).message}\n\n${JOURNEY_USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

/** Loads one journey file; on errors prints them and returns undefined. */
async function loadOrReport(file: string, output: Output): Promise<JourneyDefinition | undefined> {
  const loaded = await loadJourneyFile(file, productCatalog());
  for (const diagnostic of loaded.diagnostics) output.err.write(`${formatDiagnostic(diagnostic)}\n`);
  return loaded.definition;
}

async function validate(args: string[], output: Output): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length === 0) throw new UsageError('validate needs at least one journey file');
  const catalog = productCatalog();
  const files: LoadedJourney[] = [];
  for (const file of positionals) files.push(await loadJourneyFile(file, catalog));
  // Files validated together are published together: their ids must differ.
  for (const duplicate of duplicateJourneyIds(files)) {
    const loaded = files.find((candidate) => candidate.file === duplicate.file && candidate.definition)!;
    loaded.diagnostics.push(duplicate);
    loaded.definition = undefined;
  }
  let failed = 0;
  const valid: { file: string; definition: JourneyDefinition }[] = [];
  for (const loaded of files) {
    const { file } = loaded;
    if (loaded.definition) valid.push({ file, definition: loaded.definition });
    for (const diagnostic of loaded.diagnostics) output.err.write(`${formatDiagnostic(diagnostic)}\n`);
    const warnings = loaded.diagnostics.filter((diagnostic) => diagnostic.severity === 'warning').length;
    if (loaded.definition) {
      output.out.write(`${file}: ok (${loaded.definition.id} v${loaded.definition.version}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''})\n`);
    } else {
      failed += 1;
      const errors = loaded.diagnostics.length - warnings;
      output.out.write(`${file}: ${errors} error${errors === 1 ? '' : 's'}\n`);
    }
  }
  // Journeys validated together that would both message someone on one event.
  valid.forEach(({ file, definition }, index) => {
    for (const other of valid.slice(index + 1)) {
      const overlap = triggerOverlap(definition, other.definition);
      if (overlap) output.err.write(`${file}: warning: trigger: ${overlap.message}\n`);
    }
  });
  return failed > 0 ? 1 : 0;
}

async function diagram(args: string[], output: Output): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: 'string', default: 'mermaid' }, output: { type: 'string', short: 'o' } },
  });
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new UsageError('diagram needs one journey file');
  if (values.format !== 'mermaid' && values.format !== 'svg') throw new UsageError(`--format is mermaid or svg, not "${values.format}"`);
  const definition = await loadOrReport(file, output);
  if (!definition) return 1;
  const drawn = values.format === 'svg' ? await journeyToSvg(definition) : journeyToMermaid(definition);
  if (values.output) {
    await writeFile(values.output, drawn.endsWith('\n') ? drawn : `${drawn}\n`);
    output.err.write(`wrote ${values.output}\n`);
  } else {
    output.out.write(drawn.endsWith('\n') ? drawn : `${drawn}\n`);
  }
  return 0;
}

async function simulate(args: string[], output: Output): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { timeline: { type: 'string', short: 't' }, json: { type: 'boolean', default: false } },
  });
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new UsageError('simulate needs one journey file');
  if (!values.timeline) throw new UsageError('simulate needs --timeline <events.json>');
  const definition = await loadOrReport(file, output);
  if (!definition) return 1;
  let timeline: unknown;
  try {
    timeline = JSON.parse(await readFile(values.timeline, 'utf8'));
  } catch (error) {
    throw new TimelineError(`cannot read ${values.timeline}: ${(error as Error).message}`);
  }
  // A bare list of events is a timeline too.
  const result = simulateJourney(definition, (Array.isArray(timeline) ? { events: timeline } : timeline) as never);
  if (values.json) {
    const entries = result.entries.map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() }));
    output.out.write(`${JSON.stringify({ journey: definition.id, start: new Date(result.start).toISOString(), entries }, null, 2)}\n`);
  } else {
    output.out.write(`${formatSimulation(result)}\n`);
  }
  return 0;
}

async function forecast(args: string[], output: Output): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      constituents: { type: 'string', short: 'n' },
      days: { type: 'string', short: 'd' },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
    },
  });
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new UsageError('forecast needs one journey file');
  const constituents = positiveInteger(values.constituents, '--constituents');
  const days = positiveInteger(values.days, '--days');
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError('--seed is an integer');
  const definition = await loadOrReport(file, output);
  if (!definition) return 1;
  const result = forecastJourney(definition, { constituents, days, seed, onProgress: progressReporter(output.err, 'simulating') });
  output.out.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatForecast(result)}\n`);
  return 0;
}

function positiveInteger(value: string | undefined, flag: string): number {
  const number = Number(value);
  if (value === undefined || !Number.isInteger(number) || number <= 0) throw new UsageError(`${flag} needs a positive whole number`);
  return number;
}
