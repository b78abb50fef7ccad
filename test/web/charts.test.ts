/** Charts drawn on the server: gridlines people can read, bars that fit the plot. */
import { describe, expect, it } from 'vitest';
import { dailyChart, wholeStep } from '../../src/web/charts.ts';

const gridLabels = (svg: string) => [...svg.matchAll(/<text[^>]*text-anchor="end"[^>]*>([^<]+)<\/text>/g)].map((match) => match[1]);

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
});

describe('wholeStep', () => {
  it('rounds up to 1, 2 or 5 times a power of ten, never below 1', () => {
    expect([0, 0.3, 1, 1.2, 2.5, 4, 7, 12, 60].map(wholeStep)).toEqual([1, 1, 1, 2, 5, 5, 10, 20, 100]);
  });
});
