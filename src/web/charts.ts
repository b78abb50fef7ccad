/**
 * Charts drawn on the server as SVG: no chart library in the browser, nothing to
 * load, and each chart carries a text alternative so a screen reader gets the numbers.
 */
import { escapeText, html, trusted, type Html } from './html.ts';

const INK = '#1f2933';
const MUTED = '#52606d';
const GRID = '#e4e7eb';
export const SERIES_COLORS = ['#1f4e79', '#2f855a', '#b7791f'];

/** A funnel: one bar per step, its width the share of the first step, with who dropped off there. */
export function funnelChart(steps: { label: string; reached: number; dropped: number }[]): Html {
  if (steps.length === 0) return html`<p class="muted">No steps yet.</p>`;
  const top = Math.max(1, ...steps.map((step) => step.reached));
  return html`<ol class="funnel" aria-label="Funnel: how many reached each step and how many dropped off there">${steps.map((step) => {
    const share = step.reached / top;
    return html`<li>
      <span class="funnel-label">${step.label}</span>
      <span class="funnel-track"><span class="funnel-bar" style="width:${Math.max(0.5, share * 100).toFixed(1)}%"></span></span>
      <span class="funnel-numbers"><strong>${step.reached}</strong> reached${step.dropped > 0 ? html` · <span class="drop">${step.dropped} dropped off</span>` : ''}</span>
    </li>`;
  })}</ol>`;
}

/**
 * Bars per day for several series side by side (enrolled, converted). The picture says
 * the totals; a visually hidden table behind it gives assistive tech every day's numbers.
 */
export function dailyChart(rows: { day: string; values: number[] }[], seriesNames: string[], title: string): Html {
  const width = 480;
  const height = 200;
  const left = 32;
  const bottom = 28;
  const plotWidth = width - left - 8;
  const plotHeight = height - bottom - 12;
  // Counts are whole numbers, so the four gridlines are a whole, round step apart.
  const step = wholeStep(Math.max(...rows.flatMap((row) => row.values), 0) / 4);
  const niceMax = step * 4;
  const slot = plotWidth / Math.max(1, rows.length);
  const barWidth = Math.max(1, (slot - 2) / seriesNames.length);
  const parts: string[] = [];
  for (let tick = 0; tick <= 4; tick++) {
    const value = step * tick;
    const y = 12 + plotHeight - (value / niceMax) * plotHeight;
    parts.push(`<line x1="${left}" x2="${width - 8}" y1="${y}" y2="${y}" stroke="${GRID}"/>`);
    parts.push(`<text x="${left - 6}" y="${y + 4}" font-size="11" text-anchor="end" fill="${MUTED}">${value}</text>`);
  }
  rows.forEach((row, index) => {
    row.values.forEach((value, series) => {
      const barHeight = (value / niceMax) * plotHeight;
      const x = left + index * slot + 1 + series * barWidth;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${(12 + plotHeight - barHeight).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${barHeight.toFixed(1)}" fill="${SERIES_COLORS[series % SERIES_COLORS.length]}"><title>${escapeText(`${row.day}: ${value} ${seriesNames[series]}`)}</title></rect>`,
      );
    });
    if (index % Math.ceil(rows.length / 6) === 0) {
      parts.push(`<text x="${left + index * slot + slot / 2}" y="${height - 8}" font-size="11" text-anchor="middle" fill="${MUTED}">${escapeText(row.day.slice(5))}</text>`);
    }
  });
  const totals = seriesNames.map((name, series) => `${rows.reduce((sum, row) => sum + (row.values[series] ?? 0), 0)} ${name}`).join(', ');
  return html`<figure class="chart">
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${`${title}: ${totals}`}" preserveAspectRatio="xMidYMid meet">${trusted(parts.join(''))}</svg>
    <figcaption class="legend">${seriesNames.map((name, series) => html`<span><i style="background:${SERIES_COLORS[series % SERIES_COLORS.length]}"></i>${name}</span>`)}</figcaption>
    <div class="visually-hidden"><table>
      <caption>${title}</caption>
      <thead><tr><th scope="col">Day</th>${seriesNames.map((name) => html`<th scope="col">${name}</th>`)}</tr></thead>
      <tbody>${rows.map((row) => html`<tr><th scope="row">${row.day}</th>${seriesNames.map((_, series) => html`<td>${row.values[series] ?? 0}</td>`)}</tr>`)}</tbody>
    </table></div>
  </figure>`;
}

/** A horizontal bar for a rate (0..1) inside a table cell. */
export function rateBar(rate: number, label: string): Html {
  return html`<span class="rate" role="img" aria-label="${label}"><span class="rate-bar" style="width:${Math.min(100, rate * 100).toFixed(1)}%"></span></span>`;
}

/** The smallest of 1, 2, 5, 10, 20, 50… that is at least `value`. */
export function wholeStep(value: number): number {
  let magnitude = 1;
  for (;;) {
    for (const step of [1, 2, 5]) if (step * magnitude >= value) return step * magnitude;
    magnitude *= 10;
  }
}

export { INK };
