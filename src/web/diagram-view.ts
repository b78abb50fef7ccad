/**
 * A journey diagram on a page: fitted to the page's width where that keeps it
 * readable, at its own size with a sideways scroll (and a hint saying so) where it
 * does not, and buttons to zoom and fit, which the page's script brings to life.
 */
import { html, trusted, type Html } from './html.ts';

/** The diagram in its scroll box, with zoom controls; `id` names it for the controls and for tests. */
export function diagramView(svg: string, id: string, label: string): Html {
  return html`<div class="diagram-view" data-diagram-view>
    <div class="diagram-tools" role="group" aria-label="Diagram size" hidden data-diagram-tools>
      <button type="button" class="small secondary" data-zoom="fit" aria-controls="${id}">Fit to width</button>
      <button type="button" class="small secondary" data-zoom="out" aria-controls="${id}">Zoom out</button>
      <button type="button" class="small secondary" data-zoom="in" aria-controls="${id}">Zoom in</button>
      <button type="button" class="small secondary" data-zoom="actual" aria-controls="${id}">Actual size</button>
      <span class="muted small" data-zoom-level aria-live="polite"></span>
    </div>
    <p class="scroll-hint small muted" data-scroll-hint>Scroll sideways to see the whole diagram.</p>
    <div class="diagram" id="${id}" data-testid="${id}" tabindex="0" role="region" aria-label="${label}">${trusted(svg)}</div>
  </div>`;
}
