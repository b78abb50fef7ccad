/** The final table (stdout) and the JSON record of a run (bench/results/). */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CsvImportResults } from './csv-import.ts';
import type { DeliveryResults } from './delivery.ts';
import type { ForecastPoint } from './forecast.ts';
import type { HistoryResults } from './history.ts';
import type { IntakeResults } from './intake.ts';
import type { LoadResult, OpenLoopResult } from './load.ts';
import type { Enrolled } from './settle.ts';
import type { LoadOptions, RowId } from './options.ts';
import type { SleeperResults } from './sleepers.ts';
import type { SplitIntakeResults } from './split-intake.ts';

export interface Results {
  intake?: IntakeResults;
  delivery?: DeliveryResults;
  history?: HistoryResults;
  sleepers?: SleeperResults;
  csvImport?: CsvImportResults;
  splitIntake?: SplitIntakeResults;
  forecasts?: ForecastPoint[];
  /** Rows that could not be measured, and why. */
  failures: { row: string; error: string }[];
}

export interface TableRow {
  row: RowId;
  measure: string;
  value: string;
  ratio: string;
}

const median = (values: number[]) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const rate = (runs: LoadResult[]) =>
  `${fixed(median(runs.map((run) => run.perSecond)))}/s  p50 ${fixed(median(runs.map((run) => run.p50Ms)))} ms  p99 ${fixed(median(runs.map((run) => run.p99Ms)))} ms`;
/** Paired ratio: each round's Steward figure over the same round's baseline, then the median. */
const pairedRatio = (steward: number[], raw: number[]) => median(steward.map((value, index) => value / (raw[index] ?? Number.NaN)));
const problems = (runs: LoadResult[]) => {
  const bad = runs.reduce((sum, run) => sum + run.non2xx + run.errors, 0);
  return bad > 0 ? `  (${bad} failed: ${runs.find((run) => run.firstError)?.firstError ?? ''})` : '';
};

/** One line per measure, with its ratio to the baseline measured in the same run. */
export function tableRows(results: Results, options: LoadOptions): TableRow[] {
  const rows: TableRow[] = [];
  const { intake, delivery, history, sleepers, csvImport, forecasts } = results;
  const rawInsertC1 = intake?.closed.find((runs) => runs.concurrency === 1)?.rawInsert ?? [];
  if (intake) {
    for (const runs of intake.closed) {
      const c = runs.concurrency;
      if (runs.steward.length > 0) {
        const stored = runs.steward.map((run) => run.perSecond);
        const enrolled = runs.steward.map((run) => run.enrolled.perSecond);
        rows.push({
          row: 'a',
          measure: `POST /events, ${c} caller${c > 1 ? 's' : ''} (closed loop)`,
          value: rate(runs.steward) + problems(runs.steward),
          ratio: runs.rawInsert.length > 0 ? `${fixed(pairedRatio(stored, runs.rawInsert.map((run) => run.perSecond)), 3)} of raw INSERT` : '',
        });
        rows.push({
          row: 'a',
          measure: `  enrollments, ${c} caller${c > 1 ? 's' : ''}`,
          value: `${fixed(median(enrolled))}/s` + (runs.steward.every((run) => run.enrolled.complete) ? '' : '  (not all enrolled in time)'),
          ratio: runs.rawSignal.length > 0 ? `${fixed(pairedRatio(enrolled, runs.rawSignal.map((run) => run.perSecond)), 3)} of raw signalWithStart` : '',
        });
      }
      if (runs.rawInsert.length > 0) rows.push({ row: 'b', measure: `raw INSERT … ON CONFLICT DO NOTHING, ${c} caller${c > 1 ? 's' : ''}`, value: rate(runs.rawInsert) + problems(runs.rawInsert), ratio: '1 (baseline)' });
      if (runs.rawSignal.length > 0) rows.push({ row: 'b', measure: `raw signalWithStart, ${c} caller${c > 1 ? 's' : ''}`, value: rate(runs.rawSignal) + problems(runs.rawSignal), ratio: '1 (baseline)' });
    }
    if (intake.openIntakeOnly) {
      const alone = intake.openIntakeOnly;
      rows.push({
        row: 'a',
        measure: `POST /events of events enrolling no one, offered ${alone.offeredPerSecond}/s (open loop)`,
        value: openLoopValue(alone),
        ratio: intake.open ? `p99 ${fixed(intake.open.p99Ms / alone.p99Ms, 1)}× this with gifts` : '',
      });
    }
    if (intake.open) {
      const open = intake.open;
      rows.push({
        row: 'a',
        measure: `POST /events, offered ${open.offeredPerSecond}/s for ${options.intakeSeconds} s (open loop)`,
        value: openLoopValue(open),
        ratio: `${fixed(open.perSecond / open.offeredPerSecond, 3)} of offered`,
      });
      rows.push({
        row: 'a',
        measure: '  enrollments, open loop',
        value: enrolledValue(open, options),
        ratio: '',
      });
    }
    for (const batch of intake.batches) {
      const insert = median(rawInsertC1.map((run) => run.perSecond));
      rows.push({
        row: 'a',
        measure: `POST /events/batch of ${batch.size} (${batch.batches} batches)`,
        value: `${fixed(batch.perSecond)} stored events/s  (${batch.stored} of ${batch.accepted} accepted stored at the last answer)`,
        ratio: Number.isFinite(insert) ? `${fixed(batch.perSecond / insert, 3)} of raw INSERT (1 caller)` : '',
      });
    }
  }
  if (delivery) {
    rows.push({
      row: 'c',
      measure: `gift → SMTP DATA accepted, ${options.rate}/s for ${options.duration} s`,
      value: `p50 ${fixed(delivery.p50Ms, 0)} ms  p95 ${fixed(delivery.p95Ms, 0)} ms  p99 ${fixed(delivery.p99Ms, 0)} ms  (${delivery.received} of ${delivery.intake.ok} mailed; ${delivery.intake.non2xx} non-2xx)`,
      ratio: '',
    });
    const samples = delivery.outstanding.map((sample) => sample.count);
    // At most a dozen readings in the table, evenly spread; every one is in the JSON.
    const step = Math.ceil(samples.length / 12);
    const shown = delivery.outstanding.filter((_, index) => index % step === 0 || index === samples.length - 1);
    rows.push({
      row: 'c',
      measure: '  drain rate',
      value: `${fixed(delivery.drainPerSecondDuringLoad)} mailed/s while offered, ${fixed(delivery.drainPerSecondOverall)}/s overall`,
      ratio: `${fixed(delivery.drainPerSecondDuringLoad / options.rate, 3)} of offered`,
    });
    rows.push({
      row: 'c',
      measure: '  backlog (posted, not yet mailed)',
      value:
        `${delivery.backlogGrows ? 'GROWS' : 'steady'}: ${shown.map((sample) => `${sample.atSeconds}s:${sample.count}`).join(', ')}; ` +
        (delivery.drainedAfterSeconds === undefined ? 'never drained' : `drained ${fixed(delivery.drainedAfterSeconds)} s after the last gift`),
      ratio: '',
    });
  }
  if (history) {
    const { events, workflowTasks, enrollments } = history;
    rows.push({ row: 'd', measure: `history events per enrollment (${enrollments} sleeping)`, value: `${fixed(events.mean)} (min ${events.min}, max ${events.max})`, ratio: '' });
    rows.push({ row: 'd', measure: '  workflow tasks per enrollment', value: `${fixed(workflowTasks.mean)} (min ${workflowTasks.min}, max ${workflowTasks.max})`, ratio: '' });
    const kinds = Object.entries(history.kinds)
      .sort((a, b) => b[1] - a[1])
      .map(([kind, n]) => `${kind} ${fixed(n)}`)
      .join(', ');
    rows.push({ row: 'd', measure: '  by kind', value: kinds, ratio: '' });
  }
  if (sleepers) {
    const first = sleepers.points[0];
    const whose = sleepers.workerProcess === 'with the API' ? 'worker+API RSS' : 'worker RSS';
    rows.push({ row: 'e', measure: `${whose}, idle`, value: `${fixed(sleepers.idleWorkerRssMb, 0)} MB`, ratio: '' });
    for (const point of sleepers.points) {
      const perEnrollmentKb = first && point !== first ? ((point.workerRssMb - first.workerRssMb) * 1024) / (point.sleepers - first.sleepers) : Number.NaN;
      rows.push({
        row: 'e',
        measure: `${whose}, ${point.sleepers} sleeping enrollments`,
        value:
          `${fixed(point.workerRssMb, 0)} MB (peak ${fixed(point.workerPeakMb, 0)} MB${sleepers.workerProcess === 'with the API' ? '' : `; API ${fixed(point.apiRssMb, 0)} MB`})` +
          (Number.isFinite(perEnrollmentKb) ? `; ${fixed(perEnrollmentKb)} kB per added sleeper` : '') +
          (point.asleep ? '' : '  (not all asleep)'),
        ratio: first ? `${fixed(point.workerRssMb / first.workerRssMb, 2)} of ${first.sleepers}` : '',
      });
    }
    if (sleepers.raw) rows.push(...rawSleeperRows(sleepers));
  }
  if (csvImport) rows.push(...csvImportRows(csvImport));
  if (results.splitIntake) rows.push(...splitIntakeRows(results.splitIntake, options));
  for (const point of forecasts ?? []) {
    rows.push({
      row: 'g',
      measure: `forecast ${point.journey}, ${point.constituents.toLocaleString('en-US')} × ${point.days} days (target < 10 s at 100,000)`,
      value: `${fixed(point.seconds, 2)} s  (one by one, extrapolated from 1,000: ${fixed(point.oneByOneSeconds)} s)`,
      ratio: `${fixed(point.oneByOneSeconds / point.seconds)}× faster than one by one`,
    });
  }
  for (const failure of results.failures) rows.push({ row: failure.row as RowId, measure: 'NOT MEASURED', value: failure.error.split('\n')[0]!.slice(0, 160), ratio: '' });
  return rows;
}

/** An open loop's throughput, latency and failures. */
const openLoopValue = (open: OpenLoopResult) =>
  `${fixed(open.perSecond)}/s  p50 ${fixed(open.p50Ms)} ms  p99 ${fixed(open.p99Ms)} ms  non-2xx ${open.non2xx}  5xx ${open.status5xx}  errors ${open.errors}${open.notSent ? `  not sent ${open.notSent}` : ''}`;

/** How fast an open loop's gifts were enrolled, and whether all were within the settle time. */
const enrolledValue = ({ enrolled, ok }: { enrolled: Enrolled; ok: number }, options: LoadOptions) =>
  enrolled.complete
    ? `${fixed(enrolled.perSecond)}/s, the last ${fixed(enrolled.lagSeconds)} s after the last POST`
    : `${fixed(enrolled.perSecond)}/s; ${enrolled.enrollments} of ${ok} enrolled ${options.settleSeconds} s after the last POST`;

/** Row e's raw part: a bare Temporal worker holding as many sleeping workflows, and Steward's worker against it. */
function rawSleeperRows({ raw, points, idleWorkerRssMb }: SleeperResults): TableRow[] {
  if (!raw) return [];
  const against = (steward: number | undefined, bare: number) => (steward === undefined ? '' : `Steward's worker ${fixed(steward / bare, 2)}× this`);
  return [
    { row: 'e', measure: `bare Temporal worker RSS (cache ${raw.cachedWorkflows}), idle`, value: `${fixed(raw.idleRssMb, 0)} MB`, ratio: against(idleWorkerRssMb, raw.idleRssMb) },
    ...raw.points.map((point) => ({
      row: 'e' as const,
      measure: `bare Temporal worker RSS, ${point.sleepers} sleeping workflows`,
      value: `${fixed(point.rssMb, 0)} MB (peak ${fixed(point.peakMb, 0)} MB)${point.asleep ? '' : '  (not all asleep)'}`,
      ratio: against(points.find((steward) => steward.sleepers === point.sleepers)?.workerRssMb, point.rssMb),
    })),
  ];
}

/** Row h: the open loop against an API-only process, read against raw INSERTs offered at the same rate. */
function splitIntakeRows({ steward, rawInsert }: SplitIntakeResults, options: LoadOptions): TableRow[] {
  const offered = `offered ${steward.offeredPerSecond}/s for ${options.intakeSeconds} s`;
  return [
    {
      row: 'h',
      measure: `POST /events to an API-only process, worker apart, ${offered}`,
      value: openLoopValue(steward),
      ratio: `p99 ${fixed(steward.p99Ms / rawInsert.p99Ms)}× raw INSERT's`,
    },
    {
      row: 'h',
      measure: '  enrollments by the worker process',
      value: enrolledValue(steward, options),
      ratio: '',
    },
    { row: 'h', measure: `raw INSERT … ON CONFLICT DO NOTHING, ${offered}`, value: `${fixed(rawInsert.perSecond)}/s  p50 ${fixed(rawInsert.p50Ms)} ms  p99 ${fixed(rawInsert.p99Ms)} ms`, ratio: '1 (baseline)' },
  ];
}

/** Row f: the CSV import of past gifts, stored (the command exits), routed, and the command's memory. */
function csvImportRows(result: CsvImportResults): TableRow[] {
  const rows = result.rows.toLocaleString('en-US');
  return [
    {
      row: 'f',
      measure: `steward events import, ${rows}-row CSV of 30-day-old gifts (enrolls no one), stored (target < 3 min)`,
      value: `${fixed(result.storedSeconds)} s  ${fixed(result.storedPerSecond)} rows/s  (${result.stored} of ${result.rows} stored)`,
      ratio: `${fixed(result.storedPerSecond / result.rawInsertPerSecond, 3)} of raw INSERT (1 caller)`,
    },
    {
      row: 'f',
      measure: '  every imported event routed (target < 3 min)',
      value: result.routedSeconds === undefined ? `not in time: ${result.routed} of ${result.rows} routed` : `${fixed(result.routedSeconds)} s after the command started`,
      ratio: '',
    },
    {
      row: 'f',
      measure: '  peak RSS of the command (target < 500 MB)',
      value: `${fixed(result.peakRssMb, 0)} MB  (${result.processes} process${result.processes === 1 ? '' : 'es'})`,
      ratio: '',
    },
  ];
}

const VALUE_WIDTH = 96;

/** Splits a long value at its separators into lines of at most VALUE_WIDTH characters. */
function wrap(value: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const part of value.split(/(?<=[,;]) |(?<=\S)  (?=\S)/)) {
    if (line && line.length + part.length + 1 > VALUE_WIDTH) {
      lines.push(line);
      line = part;
    } else line = line ? `${line} ${part}` : part;
  }
  return [...lines, line];
}

export function formatTable(tableRows: TableRow[]): string {
  const header = { row: 'Row', measure: 'Measure', value: 'Value', ratio: 'Ratio (same run)' } as const;
  const rows = tableRows.flatMap((row) => wrap(row.value).map((value, index) => (index === 0 ? { ...row, value } : { row: '' as RowId, measure: '', value: `  ${value}`, ratio: '' })));
  const all = [header, ...rows];
  const width = (key: keyof TableRow) => Math.max(...all.map((row) => row[key].length));
  const line = (row: TableRow | typeof header) =>
    `${row.row.padEnd(width('row'))}  ${row.measure.padEnd(width('measure'))}  ${row.value.padEnd(width('value'))}  ${row.ratio}`.trimEnd();
  return [line(header), '-'.repeat(width('row') + width('measure') + width('value') + width('ratio') + 6), ...rows.map(line)].join('\n');
}

const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

/** Writes load-<timestamp>.json (kept locally) and latest.json (committed); returns the first's path. */
export async function writeResults(record: { startedAt: Date; command: string; options: LoadOptions; database: string; results: Results; table: TableRow[] }): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const json = JSON.stringify(
    {
      benchmark: 'steward load',
      startedAt: record.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      command: record.command,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform },
      database: record.database,
      options: { ...record.options, rows: [...record.options.rows] },
      table: record.table,
      results: record.results,
    },
    null,
    2,
  );
  const file = path.join(resultsDir, `load-${record.startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, json + '\n');
  await writeFile(path.join(resultsDir, 'latest.json'), json + '\n');
  return file;
}
