/**
 * The pages a recipient reaches from a message without signing in (unsubscribe,
 * preferences): one small, self-contained page, readable on a phone.
 */
import { escapeHtml } from '../templates/library.ts';

export function publicPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f1ec;color:#1f2933}
main{max-width:32rem;margin:10vh auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 3px rgb(0 0 0/.1)}
h1{font-size:1.4rem;margin-top:0}
button{font:inherit;background:#1f4e79;color:#fff;border:0;border-radius:6px;padding:.7rem 1.4rem;cursor:pointer}
button:focus-visible,input:focus-visible{outline:3px solid #f0b429;outline-offset:2px}
fieldset{border:0;padding:0;margin:0 0 1.5rem}
label{display:flex;gap:.6rem;align-items:center;padding:.5rem 0}
input[type=checkbox]{width:1.2rem;height:1.2rem}
.note{color:#52606d;font-size:.9rem}
.saved{background:#e3f9e5;border-radius:6px;padding:.6rem .9rem}
</style></head><body><main>${body}</main></body></html>`;
}

export const invalidLinkPage = publicPage(
  'Link not valid',
  '<h1>This link is not valid</h1><p>It may have been cut short. Please use the full link from the email.</p>',
);
