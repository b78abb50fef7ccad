// Steward's web app: what plain forms cannot do. Live refresh of a journey's
// numbers, checking a journey while it is typed, jumping to a finding's line,
// and asking before an action that cannot be undone.
'use strict';

const LIVE_INTERVAL_MS = 3000;
const CHECK_DELAY_MS = 500;

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

// A journey page refreshes its diagram and numbers while it is visible. It waits
// while focus is inside the numbers: rebuilding them would throw a keyboard or
// screen reader user back to the top of the page. An expired session ends the
// refresh with a reload, so the page's own sign-in redirect happens instead of
// the sign-in form landing among the numbers.
//
// People may pause it (WCAG 2.2.2): someone reading the numbers with a screen
// reader's cursor, which does not move focus, would otherwise have them replaced
// mid-sentence.
function startLive(container) {
  const url = new URL(container.dataset.live, location.href).href;
  let busy = false;
  let paused = false;
  const controls = document.querySelector(`[data-live-controls="${container.id}"]`);
  if (controls) {
    const button = controls.querySelector('button');
    const status = controls.querySelector('[data-live-status]');
    controls.hidden = false;
    button.addEventListener('click', () => {
      paused = !paused;
      button.setAttribute('aria-pressed', String(paused));
      status.textContent = paused ? 'Updates paused: the numbers stay as they are.' : 'Numbers update every few seconds.';
    });
  }
  const focusInside = () => container.contains(document.activeElement);
  const timer = setInterval(async () => {
    if (busy || paused || document.hidden || focusInside()) return;
    busy = true;
    try {
      const response = await fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } });
      if (response.redirected || response.url !== url || response.status === 401 || response.status === 403) {
        clearInterval(timer);
        location.reload();
        return;
      }
      // Focus may have moved in while the numbers were on their way; they wait for the next turn.
      if (!response.ok || paused || focusInside()) return;
      const text = await response.text();
      if (paused || focusInside()) return;
      const open = container.querySelector('details')?.open;
      container.innerHTML = text;
      markOverflowingTables();
      if (open) container.querySelector('details')?.setAttribute('open', '');
      startScrollHints(container);
      container.dataset.refreshedAt = String(Date.now());
    } catch {
      // The server is out of reach for a moment: the next turn tries again.
    } finally {
      busy = false;
    }
  }, LIVE_INTERVAL_MS);
}

// Moves the caret to a line of the editor and scrolls it into view.
function goToLine(textarea, line, column) {
  const lines = textarea.value.split('\n');
  let offset = 0;
  for (let index = 0; index < line - 1 && index < lines.length; index++) offset += lines[index].length + 1;
  offset += Math.max(0, (column || 1) - 1);
  textarea.focus();
  textarea.setSelectionRange(offset, offset);
  const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 18;
  textarea.scrollTop = Math.max(0, (line - 3) * lineHeight);
}

function renderFindings(form, findings) {
  const textarea = form.querySelector('#source');
  const region = form.querySelector('#findings-region');
  const status = form.querySelector('[data-testid="check-status"]');
  const gutter = form.querySelector('.gutter');
  const errors = findings.filter((finding) => finding.severity === 'error');
  region.innerHTML = findings.length
    ? `<ul class="findings" id="findings" data-testid="findings">${findings
        .map(
          (finding) =>
            `<li class="${finding.severity}"><strong>${finding.severity === 'error' ? 'Error' : 'Warning'}</strong> ` +
            (finding.line ? `<a href="#source" data-line="${finding.line}" data-column="${finding.column || 1}">line ${finding.line}${finding.column ? `, column ${finding.column}` : ''}</a> ` : '') +
            (finding.path ? `<code>${escapeHtml(finding.path)}</code> ` : '') +
            `${escapeHtml(finding.message)}</li>`,
        )
        .join('')}</ul>`
    : '';
  status.textContent = errors.length ? `${errors.length} error${errors.length === 1 ? '' : 's'}` : 'No errors';
  status.className = `status ${errors.length ? 'bad' : 'good'}`;
  if (errors.length) textarea.setAttribute('aria-invalid', 'true');
  else textarea.removeAttribute('aria-invalid');
  const marked = new Map();
  for (const finding of findings) if (finding.line) marked.set(finding.line, [...(marked.get(finding.line) || []), finding.message]);
  const count = textarea.value.split('\n').length;
  gutter.innerHTML = Array.from({ length: count }, (_, index) => {
    const messages = marked.get(index + 1);
    return messages ? `<li class="error-line" title="${escapeHtml(messages.join('; '))}">${index + 1}</li>` : `<li>${index + 1}</li>`;
  }).join('');
}

function startEditor(form) {
  const textarea = form.querySelector('#source');
  const gutter = form.querySelector('.gutter');
  let timer;
  let sequence = 0;
  textarea.addEventListener('scroll', () => {
    gutter.style.transform = `translateY(${-textarea.scrollTop}px)`;
  });
  textarea.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++sequence;
      const response = await fetch('/journeys/validate', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source: textarea.value }),
      });
      if (!response.ok || mine !== sequence) return;
      renderFindings(form, (await response.json()).findings);
    }, CHECK_DELAY_MS);
  });
  form.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-line]');
    if (!link) return;
    event.preventDefault();
    goToLine(textarea, Number(link.dataset.line), Number(link.dataset.column));
  });
  // Tab indents in the editor instead of leaving it; Escape then Tab leaves (keyboard users are never trapped).
  let escaped = false;
  textarea.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      escaped = true;
      return;
    }
    if (event.key === 'Tab' && !event.shiftKey && !escaped) {
      event.preventDefault();
      textarea.setRangeText('  ', textarea.selectionStart, textarea.selectionEnd, 'end');
    }
    escaped = false;
  });
}

// A diagram starts fitted to its box when that keeps its text readable (at least
// 60% of its size), at its own size with a sideways scroll otherwise; the buttons
// zoom and fit. The level is kept per diagram, so a live refresh keeps it.
const MIN_FIT_SCALE = 0.6;
const zoomLevels = new Map();

function diagramScale(box, svg, mode) {
  const natural = Number(svg.getAttribute('width')) || svg.getBoundingClientRect().width;
  const fit = Math.min(1, (box.clientWidth - 2) / natural);
  if (mode === 'fit') return fit;
  if (mode === 'actual') return 1;
  if (typeof mode === 'number') return mode;
  return fit >= MIN_FIT_SCALE ? fit : 1;
}

function applyZoom(view, mode) {
  const box = view.querySelector('.diagram');
  const svg = box && box.querySelector('svg');
  if (!svg) return;
  const natural = Number(svg.getAttribute('width'));
  const scale = Math.max(0.2, Math.min(3, diagramScale(box, svg, mode)));
  svg.style.width = `${Math.round(natural * scale)}px`;
  svg.style.height = 'auto';
  zoomLevels.set(box.id, mode === undefined ? undefined : scale);
  const level = view.querySelector('[data-zoom-level]');
  if (level) level.textContent = `${Math.round(scale * 100)}%`;
  updateScrollHint(box, view.querySelector('[data-scroll-hint]'));
}

function startDiagramView(view) {
  const tools = view.querySelector('[data-diagram-tools]');
  const box = view.querySelector('.diagram');
  if (!tools || !box) return;
  tools.hidden = false;
  view.classList.add('enhanced');
  applyZoom(view, zoomLevels.get(box.id));
  tools.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-zoom]');
    if (!button) return;
    const svg = box.querySelector('svg');
    const current = svg.getBoundingClientRect().width / Number(svg.getAttribute('width'));
    const mode = button.dataset.zoom;
    applyZoom(view, mode === 'in' ? current * 1.25 : mode === 'out' ? current / 1.25 : mode);
  });
}

// Something wider than its box scrolls sideways; the hint under it says so while
// there is more to see.
function updateScrollHint(box, hint) {
  if (!hint) return;
  hint.hidden = box.scrollWidth <= box.clientWidth + 1;
}

function startTableScroll(table) {
  let box = table.parentElement;
  // The page wrapped it with a hint of its own (shown while columns are out of view): only make it reachable by keyboard.
  if (box.classList.contains('table-wrap') && box.querySelector(':scope > .scroll-hint')) {
    box.tabIndex = 0;
    box.setAttribute('role', 'region');
    const caption = table.querySelector('caption');
    box.setAttribute('aria-label', caption ? caption.textContent.trim() : 'Table');
    return;
  }
  if (!box.classList.contains('table-wrap')) {
    box = document.createElement('div');
    box.className = 'table-wrap';
    table.replaceWith(box);
    box.append(table);
  }
  if (box.previousElementSibling && box.previousElementSibling.matches('[data-scroll-hint]')) return;
  box.tabIndex = 0;
  box.setAttribute('role', 'region');
  const caption = table.querySelector('caption');
  box.setAttribute('aria-label', caption ? caption.textContent.trim() : 'Table');
  const hint = document.createElement('p');
  hint.className = 'scroll-hint small muted';
  hint.dataset.scrollHint = '';
  hint.textContent = 'Scroll sideways to see every column.';
  // Above the table, where it is seen before the columns that are cut.
  box.before(hint);
  updateScrollHint(box, hint);
}

function startScrollHints(root) {
  for (const view of root.querySelectorAll('[data-diagram-view]')) startDiagramView(view);
  for (const table of root.querySelectorAll('table.data')) startTableScroll(table);
}

// In the builder, Enter in a field presses that group's own button (Add state,
// Connect, Add action), not the form's first one.
function startBuilder(form) {
  form.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.target.tagName !== 'INPUT') return;
    const button = event.target.closest('[data-op-group]')?.querySelector('[data-op-default]');
    if (!button) return;
    event.preventDefault();
    button.click();
  });
}

/** Tables wider than the screen scroll sideways; their hint shows only while columns are out of view. */
function markOverflowingTables() {
  for (const wrap of document.querySelectorAll('.table-wrap')) wrap.classList.toggle('overflowing', wrap.scrollWidth > wrap.clientWidth + 1);
}

// The template editor renders a preview beside it while it is typed in: the
// subject, the HTML in a sandboxed frame (no scripts, no forms), the text part,
// or an SMS with its segment count and encoding; problems at their part and line.
function startTemplateEditor(form) {
  const panel = document.querySelector('[data-preview]');
  if (!panel || !form.dataset.name) return;
  const url = `/templates/${encodeURIComponent(form.dataset.channel)}/${encodeURIComponent(form.dataset.name)}/render`;
  const fields = [...form.querySelectorAll('[data-template-field]')];
  const value = (name) => {
    const field = form.querySelector(`[data-template-field="${name}"]`);
    return field ? field.value : undefined;
  };
  const set = (selector, text) => {
    const target = panel.querySelector(selector);
    if (target) target.textContent = text;
  };
  let timer;
  let sequence = 0;
  const refresh = async () => {
    const mine = ++sequence;
    const body = { text: value('text') || '' };
    if (form.dataset.channel === 'email') {
      body.subject = value('subject') || '';
      body.html = value('html') || '';
    }
    const constituentId = form.querySelector('[data-constituent-id]').value;
    if (constituentId) body.constituentId = constituentId;
    const response = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok || mine !== sequence) return;
    const result = await response.json();
    const problems = panel.querySelector('[data-preview-problems]');
    problems.innerHTML = result.ok
      ? ''
      : `<ul class="findings" data-testid="template-problems">${result.problems
          .map(
            (problem) =>
              `<li class="error"><strong>Error</strong> <a href="#field-${escapeHtml(problem.path)}" data-field="${escapeHtml(problem.path)}" data-line="${problem.line}" data-column="${problem.column || 1}">` +
              `${escapeHtml({ subject: 'Subject', text: 'Text', html: 'HTML' }[problem.path] || problem.path)}, line ${problem.line}${problem.column ? `, column ${problem.column}` : ''}</a>: ${escapeHtml(problem.message)}</li>`,
          )
          .join('')}</ul>`;
    if (!result.ok) return;
    const rendered = result.rendered;
    if (rendered.channel === 'email') {
      set('[data-preview-subject]', rendered.subject);
      set('[data-preview-text]', rendered.text);
      panel.querySelector('[data-preview-html]').srcdoc = rendered.html;
    } else {
      set('[data-preview-body]', rendered.body);
      set('[data-sms-segments]', String(rendered.segments));
      set('[data-sms-encoding]', rendered.encoding);
    }
  };
  for (const field of fields) {
    field.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, CHECK_DELAY_MS / 2);
    });
  }
  document.addEventListener('click', (event) => {
    const link = event.target.closest('[data-preview-problems] a[data-field]');
    if (!link) return;
    const field = form.querySelector(`[data-template-field="${link.dataset.field}"]`);
    if (!field) return;
    event.preventDefault();
    goToLine(field, Number(link.dataset.line), Number(link.dataset.column));
  });
}

document.addEventListener('DOMContentLoaded', () => {
  for (const form of document.querySelectorAll('form[data-template-editor]')) startTemplateEditor(form);
  markOverflowingTables();
  window.addEventListener('resize', markOverflowingTables);
  for (const container of document.querySelectorAll('[data-live]')) startLive(container);
  for (const form of document.querySelectorAll('form[data-builder]')) startBuilder(form);
  startScrollHints(document);
  window.addEventListener('resize', () => {
    for (const view of document.querySelectorAll('[data-diagram-view].enhanced')) applyZoom(view, zoomLevels.get(view.querySelector('.diagram')?.id));
    for (const box of document.querySelectorAll('.table-wrap')) updateScrollHint(box, box.previousElementSibling?.matches('[data-scroll-hint]') ? box.previousElementSibling : null);
  });
  for (const form of document.querySelectorAll('form[data-editor]')) startEditor(form);
  document.addEventListener('submit', (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
});
