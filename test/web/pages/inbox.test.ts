/** The task inbox and the keys page as the server writes them: every repeated button says what it acts on, escaped. */
import { describe, expect, it } from 'vitest';
import type { ApiKeyView } from '../../../src/auth/api-keys.ts';
import { inboxPage, keysPage, type InboxTask } from '../../../src/web/pages/inbox.ts';

function task(id: string, title: string, constituentName: string | null): InboxTask {
  const at = new Date('2026-12-01T10:00:00Z');
  return {
    id,
    idempotencyKey: `key-${id}`,
    enrollmentId: null,
    constituentId: constituentName ? `constituent-${id}` : null,
    queue: 'major-gifts',
    assignee: null,
    title,
    dueAt: null,
    status: 'open',
    outcome: null,
    createdAt: at,
    claimedAt: null,
    completedAt: null,
    completedBy: null,
    completedByKeyId: null,
    notes: null,
    outcomeDeliveredAt: null,
    escalatedAt: null,
    overdue: false,
    constituentName,
    journeyId: null,
    outcomes: [],
  };
}

const buttons = (page: string) => [...page.matchAll(/<button[^>]*>(.*?)<\/button>/gs)].map((match) => match[1]);

describe('inboxPage', () => {
  const page = inboxPage(
    {
      queues: [{ id: 'major-gifts', name: 'Major gifts', description: 'Calls to major donors', open: 2, claimed: 0, overdue: 0 }],
      queue: 'major-gifts',
      tasks: [task('t1', 'Call to thank a major donor', 'Octavia Hill'), task('t2', 'Call <b>now</b>', "O'Hara & Sons"), task('t3', 'Send a card', null)],
    },
    { kind: 'key', id: 'k1', name: 'Maria (gift officer)', grants: ['viewer', 'staff'] },
  ).text;

  it('names the task and the constituent inside each Claim, Reassign and Complete button, heard but not seen', () => {
    const named = (which: string) => ['Claim', 'Reassign', 'Complete'].map((action) => `${action}<span class="visually-hidden"> task: ${which}</span>`);
    expect(buttons(page)).toEqual([
      ...named('Call to thank a major donor, Octavia Hill'),
      ...named('Call &lt;b&gt;now&lt;/b&gt;, O&#39;Hara &amp; Sons'),
      ...named('Send a card'),
    ]);
  });

  it('offers a claimed task back to its queue, and names the task in the notes field', () => {
    const claimed = inboxPage(
      { queues: [], queue: 'major-gifts', tasks: [{ ...task('t4', 'Call back', 'Jane Addams'), status: 'claimed', assignee: 'Maria' }] },
      { kind: 'key', id: 'k', name: 'Maria', grants: ['staff'] },
    ).text;
    expect(buttons(claimed)[0]).toBe('Release<span class="visually-hidden"> task: Call back, Jane Addams</span>');
    expect(claimed).toContain('<label for="notes-t4">Notes<span class="visually-hidden"> on task: Call back, Jane Addams</span></label>');
  });

  it('links a task to its journey only for those who may open journeys; staff see the journey named', () => {
    const fromJourney = { ...task('t5', 'Call a lapsed donor', 'Jane Addams'), journeyId: 'lapsed-donor-winback' };
    const as = (grants: ('staff' | 'viewer' | 'marketer')[]) =>
      inboxPage({ queues: [], queue: 'major-gifts', tasks: [fromJourney] }, { kind: 'person', id: 'p', name: 'Maria', grants }).text;
    expect(as(['staff'])).not.toContain('href="/app/journeys/');
    expect(as(['staff'])).toContain('journey <span data-testid="journey">lapsed-donor-winback</span>');
    expect(as(['marketer'])).toContain('journey <a href="/app/journeys/lapsed-donor-winback">lapsed-donor-winback</a>');
    expect(as(['viewer', 'staff'])).toContain('href="/app/journeys/lapsed-donor-winback"');
  });

  it('names the task in each outcome field’s label too', () => {
    expect(page).toContain('<label for="outcome-t1">Outcome<span class="visually-hidden"> of task: Call to thank a major donor, Octavia Hill</span></label>');
    expect(page).not.toContain('<b>now</b>');
  });
});

describe('keysPage', () => {
  const key = (id: string, name: string, revokedAt: Date | null = null): ApiKeyView => ({
    id,
    name,
    prefix: 'stw_abcd',
    scopes: ['read'],
    createdAt: new Date('2026-11-01T00:00:00Z'),
    lastUsedAt: null,
    revokedAt,
  });

  it('names the key inside each Revoke button, and offers none for a revoked key', () => {
    const page = keysPage([key('k1', 'Maria (gift officer)'), key('k2', '<script>alert(1)</script>'), key('k3', 'Old form', new Date())]).text;
    expect(buttons(page).filter((text) => text!.startsWith('Revoke'))).toEqual([
      'Revoke<span class="visually-hidden"> key Maria (gift officer)</span>',
      'Revoke<span class="visually-hidden"> key &lt;script&gt;alert(1)&lt;/script&gt;</span>',
    ]);
    expect(page).not.toContain('<script>');
  });
});
