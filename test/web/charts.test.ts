/** Charts drawn on the server: gridlines people can read, bars that fit the plot. */
import { describe, expect, it } from 'vitest';
import { dailyChart, wholeStep } from '../../src/web/charts.ts';

const gridLabels = (svg: string) => [...svg.matchAll(/<text[^>]*text-anchor="end"[^>]*>([^<]+)<\/text>/g)].map((match) => match[1]);
/** The text alternative's cells, row by row: its header row first, then one row per day. */
const tableCells = (chart: string) =>
  [...chart.matchAll(/<tr>(.*?)<\/tr>/gs)].map((row) => [...row[1]!.matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map((cell) => cell[1]));

describe('dailyChart', () => {
  it.each([
    [0, ['0', '1', '2', '3', '4']],
    [3, ['0', '1', '2', '3', '4']],
    [5, ['0', '2', '4', '6', '8']],
    [13, ['0', '5', '10', '15', '20']],
    [999, ['0', '500', '1000', '1500', '2000']],
  ])('labels the gridlines with whole numbers when the busiest day has %i', (busiest, labels) => {
    const chart = dailyChart([{ day: '2026-12-01', values: [busiest, 0] }], ['enrolled', 'converted'], 'Per day').text;
    expect(gridLabels(chart)).toEqual(labels);
  });

  it('keeps every bar inside the plot, and says the totals to assistive tech', () => {
    const rows = [7, 3, 11].map((value, index) => ({ day: `2026-12-0${index + 1}`, values: [value, 1] }));
    const chart = dailyChart(rows, ['enrolled', 'converted'], 'Per day').text;
    for (const match of chart.matchAll(/<rect x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)"/g)) {
      expect(Number(match[1])).toBeGreaterThanOrEqual(12);
      expect(Number(match[1]) + Number(match[2])).toBeCloseTo(12 + 160, 5);
    }
    expect(chart).toContain('aria-label="Per day: 21 enrolled, 3 converted"');
  });

  it('puts every day behind the picture as a table: one row per day, one column per series', () => {
    const rows = [[7, 1], [0, 0], [11, 2]].map((values, index) => ({ day: `2026-12-0${index + 1}`, values }));
    const chart = dailyChart(rows, ['enrolled', 'converted'], 'Enrollments & conversions per day').text;
    // The picture stays one image with the totals; the table is for assistive tech, out of sight.
    expect(chart).toMatch(/<svg [^>]*role="img" aria-label="Enrollments &amp; conversions per day: 18 enrolled, 3 converted"/);
    expect(chart).toMatch(/<div class="visually-hidden"><table>\s*<caption>Enrollments &amp; conversions per day<\/caption>/);
    expect(tableCells(chart)).toEqual([
      ['Day', 'enrolled', 'converted'],
      ['2026-12-01', '7', '1'],
      ['2026-12-02', '0', '0'],
      ['2026-12-03', '11', '2'],
    ]);
  });
});

describe('wholeStep', () => {
  it('rounds up to 1, 2 or 5 times a power of ten, never below 1', () => {
    expect([0, 0.3, 1, 1.2, 2.5, 4, 7, 12, 60].map(wholeStep)).toEqual([1, 1, 1, 2, 5, 5, 10, 20, 100]);
  });
});
