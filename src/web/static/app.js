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
      if (open) container.querySelector('details')?.setAttribute('open', '');
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
  for (const container of document.querySelectorAll('[data-live]')) startLive(container);
  for (const form of document.querySelectorAll('form[data-editor]')) startEditor(form);
  document.addEventListener('submit', (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
});
