/** What a web page answers when a request fails: the error in the app's frame, not a JSON body. */
import type { Principal } from '../auth/permissions.ts';
import { html } from './html.ts';
import { page } from './layout.ts';

const TITLES: Record<number, string> = { 400: 'Not understood', 403: 'Not allowed', 404: 'Not found', 409: 'Conflict', 429: 'Too many requests' };

export function errorPage(status: number, message: string, principal: Principal | null): string {
  const title = TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'Not possible');
  return page({
    title,
    principal,
    body: html`<h1>${title}</h1><p>${message}</p><p><a href="/app">Back to Steward</a></p>`,
  });
}
