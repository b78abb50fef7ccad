/** The editor page as the server writes it: a text keeps its own first line, blank or not. */
import { describe, expect, it } from 'vitest';
import { editorPage } from '../../../src/web/pages/editor.ts';

describe('editorPage', () => {
  // The HTML parser drops one newline right after <textarea>, so the page must give it one to drop.
  it('keeps a leading blank line in the definition and the timeline', () => {
    const page = editorPage({ source: '\nid: spring-appeal-thanks\n', timeline: '\n{}' }).text;
    expect(page).toMatch(/<textarea id="source"[^>]*>\n\nid: spring-appeal-thanks\n<\/textarea>/);
    expect(page).toMatch(/<textarea id="timeline"[^>]*>\n\n\{\}<\/textarea>/);
  });

  it('adds that one newline to a text that starts right away, and escapes the text', () => {
    const page = editorPage({ source: 'name: <b>Spring</b> & "thanks"', timeline: '{}' }).text;
    expect(page).toMatch(/<textarea id="source"[^>]*>\nname: &lt;b&gt;Spring&lt;\/b&gt; &amp; &quot;thanks&quot;<\/textarea>/);
  });
});
