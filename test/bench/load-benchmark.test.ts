import { describe, expect, it } from 'vitest';
import { giftCsv, giftKey, giftRecipient } from '../../bench/load/gifts.ts';
import { parseMemoryStatus, processTree } from '../../bench/load/memory.ts';
import { parseOptions } from '../../bench/load/options.ts';
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
