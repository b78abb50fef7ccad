import { describe, expect, it } from 'vitest';
import { giftCsv, giftKey, giftRecipient } from '../../bench/load/gifts.ts';
import { parseMemoryStatus, processTree } from '../../bench/load/memory.ts';
import { parseOptions } from '../../bench/load/options.ts';
import { parseProcessorSeconds, processorByPart } from '../../bench/load/processor.ts';
import { parseEventFile } from '../../src/events/import-file.ts';

describe('the CSV of row f', () => {
  it('holds gifts that `steward events import` reads without a problem, one constituent each', () => {
    const occurredAt = new Date('2026-11-02T10:00:00.000Z');
    const { rows, problems } = parseEventFile(giftCsv('csv', 3, occurredAt), 'csv');
    expect(problems).toEqual([]);
    expect(rows.map((row) => row.line)).toEqual([2, 3, 4]);
    expect(rows[2]!.event).toMatchObject({
      id: giftKey('csv', 2),
      type: 'donation',
      constituent: { email: giftRecipient('csv', 2), firstName: 'Bench', lastName: 'Donor 2', consent: { email: { status: 'granted' } } },
      data: { amount: 25, currency: 'USD' },
    });
    expect(new Set(rows.map((row) => row.event.constituent?.email)).size).toBe(3);
    expect(new Date(String((rows[0]!.event as { occurredAt?: unknown }).occurredAt)).toISOString()).toBe(occurredAt.toISOString());
  });
});

describe('peak memory from /proc', () => {
  it('reads VmRSS and VmHWM in kB from a status text', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  301234 kB\nVmRSS:\t  250000 kB\nThreads:\t11\n';
    expect(parseMemoryStatus(status)).toEqual({ rssKb: 250_000, peakKb: 301_234 });
  });

  it('answers NaN for a field the text lacks', () => {
    expect(parseMemoryStatus('Name:\tzombie\n').peakKb).toBeNaN();
  });

  it('finds this process in its own tree', async () => {
    expect((await processTree(process.pid))[0]).toBe(process.pid);
  });
});

describe('processor time from /proc', () => {
  it('adds user and system ticks, whatever the process calls itself', () => {
    // Fields 14 and 15 are utime and stime, in 1/100 s; a name may hold spaces and parentheses.
    const stat = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 130 0 0 20 0 11 0 12345 1000000 5000';
    expect(parseProcessorSeconds(stat)).toBeCloseTo(3.8);
  });

  it("counts this process's own time as Steward's, and grows as it works", async () => {
    const before = await processorByPart(process.pid);
    // Work for 50 ms of processor, however busy the machine: several of /proc's 10 ms ticks.
    const from = process.cpuUsage();
    while (process.cpuUsage(from).user < 50_000) Math.sqrt(Math.random());
    const after = await processorByPart(process.pid);
    expect(after.steward).toBeGreaterThan(before.steward);
  });
});

describe('options of rows f and g', () => {
  it('default to the table’s sizes, smaller with --quick, and take overrides', () => {
    expect(parseOptions([])).toMatchObject({ importRows: 50_000, forecastConstituents: 100_000 });
    expect(parseOptions(['--quick', '--only=f,g'])).toMatchObject({ importRows: 2_000, forecastConstituents: 10_000, rows: new Set(['f', 'g']) });
    expect(parseOptions(['--import-rows=300']).importRows).toBe(300);
    expect(() => parseOptions(['--import-rows=2.5'])).toThrow('--import-rows must be a whole number');
  });
});

describe('row h', () => {
  it('is among the default rows on a database server only, and can still be asked for by name', () => {
    expect(parseOptions([], false).rows.has('h')).toBe(false);
    expect(parseOptions([], true).rows).toEqual(new Set(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']));
    expect(parseOptions(['--only=h'], false).rows).toEqual(new Set(['h']));
  });
});

describe('--set', () => {
  it('gives every stack Steward settings of its own, and refuses what is not one', () => {
    expect(parseOptions([]).settings).toEqual({});
    expect(parseOptions(['--set=STEWARD_WORKFLOW_THREAD_NICE=10,STEWARD_WORKER_WORKFLOW_TASKS=20']).settings).toEqual({
      STEWARD_WORKFLOW_THREAD_NICE: '10',
      STEWARD_WORKER_WORKFLOW_TASKS: '20',
    });
    expect(() => parseOptions(['--set=NOT_A_SETTING=1'])).toThrow('--set: "NOT_A_SETTING=1" is not SETTING=value for a Steward setting');
    expect(() => parseOptions(['--set=STEWARD_WORKFLOW_THREAD_NICE'])).toThrow('is not SETTING=value');
  });
});
