/** The journey page's A/B results: each split's arms with their rates and intervals, the verdict, and (for admins) ending the test. */
import type { ArmResults, SplitResults } from '../../analytics/variants.ts';
import type { Interval } from '../../analytics/variant-stats.ts';
import { html, type Html } from '../html.ts';
import { formatCount, formatMoney, formatPercent } from '../layout.ts';

const rangeOf = (interval: Interval) => `${formatPercent(interval.low)}–${formatPercent(interval.high)}`;

export function variantResults(journeyId: string, version: number, splits: SplitResults[], canEnd: boolean): Html {
  return html`<section class="panel" aria-labelledby="variants-title" data-testid="variants">
    <h2 id="variants-title">A/B tests</h2>
    <p class="muted small">Each arm with its rate and 95% interval. The verdict uses a ${splits[0]?.method ?? ''}.</p>
    ${splits.map((split) => splitPanel(journeyId, version, split, canEnd))}
  </section>`;
}

function splitPanel(journeyId: string, version: number, split: SplitResults, canEnd: boolean): Html {
  const id = `split-${split.state}`;
  return html`<section class="split" aria-labelledby="${id}" data-split="${split.state}">
    <h3 id="${id}">Split at ${split.state}</h3>
    <div class="table-wrap"><table class="data compact">
      <caption class="visually-hidden">Results per arm of the split at ${split.state}</caption>
      <thead><tr><th scope="col">Arm</th><th scope="col" class="num">Share</th><th scope="col" class="num">Enrolled</th><th scope="col" class="num">Converted</th><th scope="col">Conversion (95% interval)</th><th scope="col" class="num">Clicked</th><th scope="col">Click rate (95% interval)</th><th scope="col">Revenue (per enrollment)</th></tr></thead>
      <tbody>${split.arms.map((arm) => armRow(arm, arm.arm === split.verdict.winner))}</tbody>
    </table></div>
    <p class="verdict" data-testid="verdict" role="status">${split.verdict.verdict}</p>
    ${canEnd ? endForm(journeyId, version, split) : ''}
  </section>`;
}

function armRow(arm: ArmResults, winner: boolean): Html {
  const revenue = arm.revenue.length === 0 ? '—' : arm.revenue.map((money) => `${formatMoney(money.amount, money.currency)} (${formatMoney(money.perEnrollment.toFixed(2), money.currency)})`).join(' + ');
  return html`<tr data-arm="${arm.arm}"><th scope="row">${arm.arm}${winner ? html` <span class="badge ok">winner</span>` : ''}</th>
    <td class="num">${arm.percent}%</td><td class="num">${formatCount(arm.enrolled)}</td><td class="num">${formatCount(arm.converted)}</td>
    <td>${formatPercent(arm.conversionRate)} <span class="muted small">(${rangeOf(arm.conversionInterval)})</span></td>
    <td class="num">${formatCount(arm.responded)}</td>
    <td>${formatPercent(arm.responseRate)} <span class="muted small">(${rangeOf(arm.responseInterval)})</span></td>
    <td>${revenue}</td></tr>`;
}

function endForm(journeyId: string, version: number, split: SplitResults): Html {
  const field = `winner-${split.state}`;
  const preferred = split.verdict.winner ?? split.verdict.leader;
  return html`<form method="post" class="inline-form" action="/app/journeys/${journeyId}/versions/${version}/splits/${split.state}/end"
      data-confirm="End the test at ${split.state}? A new version sends everyone down the arm you chose.">
    <label for="${field}">Send everyone down</label>
    <select id="${field}" name="winner">${split.arms.map((arm) => html`<option value="${arm.arm}"${arm.arm === preferred ? html` selected` : ''}>${arm.arm}</option>`)}</select>
    <label for="${field}-publish"><input type="checkbox" id="${field}-publish" name="publish" value="true"> and publish it now</label>
    <button type="submit" class="small">End the test</button>
  </form>`;
}
