/** The drills' table (stdout) and their record, bench/results/drills-latest.json. */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DrillResult } from './harness.ts';
import type { DrillOptions } from './options.ts';

const COLUMNS: [string, (result: DrillResult) => string][] = [
  ['drill', (r) => `${r.letter} ${r.drill}`],
  ['sent', (r) => String(r.sent)],
  ['202', (r) => String(r.accepted)],
  ['5xx', (r) => String(r.status5xx)],
  ['500', (r) => String(r.status500)],
  ['no answer', (r) => String(r.noAnswer)],
  ['stored', (r) => String(r.stored)],
  ['lost', (r) => String(r.lost)],
  ['enrolled', (r) => String(r.enrolled)],
  ['received', (r) => String(r.received)],
  ['dup rcpt/msg-id', (r) => `${r.duplicateRecipients}/${r.duplicateMessageIds}${r.duplicatesInKnownWindow ? ` (${r.duplicatesInKnownWindow} known window)` : ''}`],
  ['missing', (r) => String(r.missing)],
  ['421s/cuts', (r) => `${r.mailFaults.refused}/${r.mailFaults.cut}`],
  ['restart→ready s', (r) => (r.restartToReadySeconds === undefined ? '' : r.restartToReadySeconds.toFixed(1))],
  ['drained s', (r) => (r.drainedAfterSeconds === undefined ? '' : r.drainedAfterSeconds.toFixed(0))],
  ['verdict', (r) => r.verdict],
];

export function formatDrillTable(results: DrillResult[]): string {
  const cells = [COLUMNS.map(([title]) => title), ...results.map((result) => COLUMNS.map(([, cell]) => cell(result)))];
  const widths = COLUMNS.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  const notes = results.flatMap((result) => [...result.failures, ...result.notes].map((text) => `  ${result.letter}: ${text}`));
  return [line(cells[0]!), widths.map((width) => '-'.repeat(width)).join('  '), ...cells.slice(1).map(line), ...(notes.length ? ['', ...notes] : [])].join('\n');
}

const resultsFile = fileURLToPath(new URL('../results/drills-latest.json', import.meta.url));

export async function writeDrillResults(record: { startedAt: Date; command: string; options: DrillOptions; results: DrillResult[] }): Promise<string> {
  await mkdir(path.dirname(resultsFile), { recursive: true });
  const json = {
    benchmark: 'steward fault drills',
    startedAt: record.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: record.command,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform },
    options: record.options,
    results: record.results,
  };
  await writeFile(resultsFile, JSON.stringify(json, null, 2) + '\n');
  return resultsFile;
}
