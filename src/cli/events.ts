/**
 * `steward events import <file>`: loads a CSV or JSON Lines file of events into a
 * running Steward. The whole file is checked first (every problem with its line);
 * then it is sent in batches, with progress. Event ids make it safe to run again
 * after an interruption: events already accepted are recognised, not duplicated.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseEventFile } from '../events/import-file.ts';
import { ApiError, type ApiClient } from './api-client.ts';
import { progressReporter, type Output } from './output.ts';

export const EVENTS_USAGE = `Events:
  steward events import <file.csv|file.jsonl> [--batch <n>] [--history]
      check, then send every event to the running Steward; --history loads past
      events (giving history, old registrations) that start no journey

  steward events drop-offs [--kind lapsed|no-show|recurring-failed|unengaged]
      how many constituents the next drop-off scan would flag, flagging no one

  CSV columns: id, type, occurredAt; email, firstName, lastName, phone, timezone,
  locale; consent_email, consent_sms (granted or withdrawn) with optional
  consent_email_source, consent_email_at (and the same for sms); every other
  column goes to the event's data (amount, currency, program, startsAt, …).`;

export class EventsUsageError extends Error {}

interface BatchResult {
  accepted: number;
  results: { duplicate: boolean; routing: 'queued' | 'routed' | 'history' }[];
}

export async function eventsCommand(args: string[], output: Output, api: ApiClient): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'drop-offs') return dropOffPreview(rest, output, api);
  if (command !== 'import') throw new EventsUsageError(command ? `unknown events command "${command}"` : 'which events command?');
  const { positionals, values } = parseArgs({ args: rest, allowPositionals: true, options: { batch: { type: 'string', default: '500' }, history: { type: 'boolean', default: false } } });
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new EventsUsageError('import needs one file');
  const batchSize = Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1_000) throw new EventsUsageError('--batch is a whole number from 1 to 1000');
  const extension = path.extname(file).toLowerCase();
  const format = extension === '.csv' ? 'csv' : extension === '.jsonl' || extension === '.ndjson' ? 'jsonl' : undefined;
  if (!format) throw new EventsUsageError('the file must end in .csv, .jsonl or .ndjson');

  const { rows, problems } = parseEventFile(await readFile(file, 'utf8'), format);
  if (problems.length > 0) {
    for (const problem of problems) output.err.write(`${file}:${problem.line}: ${problem.path ? `${problem.path}: ` : ''}${problem.message}\n`);
    output.err.write(`${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was imported.\n`);
    return 1;
  }

  const progress = progressReporter(output.err, 'importing');
  const totals = { stored: 0, duplicates: 0 };
  progress(0, rows.length);
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize);
    let body: BatchResult;
    try {
      ({ body } = await api.request<BatchResult>('POST', '/events/batch', { events: batch.map((row) => row.event), ...(values.history ? { history: true } : {}) }));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      reportRefusedBatch(output, file, batch, error, { stored: totals.stored + totals.duplicates });
      return 1;
    }
    for (const result of body.results) {
      if (result.duplicate) totals.duplicates += 1;
      else totals.stored += 1;
    }
    progress(start + batch.length, rows.length);
  }
  output.out.write(
    `Imported ${rows.length} event${rows.length === 1 ? '' : 's'} from ${file}: ${totals.stored} new, ${totals.duplicates} already known` +
      // Stored is accepted; Steward routes them to their journeys from here, unless they are history.
      (values.history ? '; as history, they start no journey.\n' : '.\n'),
  );
  return 0;
}

/**
 * A batch is stored all or nothing: say which lines the server refused and why (its
 * issues name events by their index in the batch), and where the import stopped.
 */
function reportRefusedBatch(output: Output, file: string, batch: readonly { line: number }[], error: ApiError, done: { stored: number }): void {
  for (const issue of error.issues) {
    const match = /^events\.(\d+)\.?(.*)$/.exec(issue.path);
    const row = match ? batch[Number(match[1])] : undefined;
    output.err.write(row ? `${file}:${row.line}: ${match![2] ? `${match![2]}: ` : ''}${issue.message}\n` : `${file}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}\n`);
  }
  output.err.write(
    `${error.message}\nLines ${batch[0]!.line}-${batch.at(-1)!.line} were not imported, nor any after them; ` +
      `the ${done.stored} event${done.stored === 1 ? '' : 's'} before them ${done.stored === 1 ? 'is' : 'are'} stored. Fix the file and run the import again: stored events are recognised, not duplicated.\n`,
  );
}

interface DropOffPreview {
  kind: string;
  watchFrom: string | null;
  wouldFlag: number;
  alreadyFlagged: number;
}

/** The dry run of a drop-off scan: run it after loading history, before the daily scans act. */
async function dropOffPreview(args: string[], output: Output, api: ApiClient): Promise<number> {
  const { values } = parseArgs({ args, options: { kind: { type: 'string', default: 'lapsed' } } });
  if (!['lapsed', 'no-show', 'recurring-failed', 'unengaged'].includes(values.kind)) throw new EventsUsageError('--kind is lapsed, no-show, recurring-failed or unengaged');
  const { body } = await api.request<DropOffPreview>('GET', `/drop-offs/preview?kind=${values.kind}`);
  output.out.write(
    `The next ${body.kind} scan would flag ${body.wouldFlag} constituent${body.wouldFlag === 1 ? '' : 's'} (${body.alreadyFlagged} flagged before)` +
      `${body.watchFrom ? `, counting only silences that began on or after ${body.watchFrom}` : ''}.\n`,
  );
  return 0;
}
