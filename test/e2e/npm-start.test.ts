/**
 * End to end, as a user runs it: `npm start` on embedded defaults (Temporal dev
 * server, PGlite, local outbox) in a fresh data directory, a donation posted over
 * HTTP, then Ctrl-C and a second start that carries on where the first stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { openToOthers } from '../support/private-files.ts';
import { eventually } from '../support/wait.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
let dataDir: string;
let current: ChildProcess | undefined;

afterAll(async () => {
  if (current && current.exitCode === null && current.signalCode === null) await stop(current);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  apiUrl: string;
  output: string[];
}

/** Runs `npm start` in its own process group, as a terminal would, and waits for "ready". */
async function npmStart(): Promise<Started> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STEWARD_DATA_DIR: dataDir,
    PORT: '0',
    STEWARD_TEMPORAL_PORT: '0',
    STEWARD_TEMPORAL_UI_PORT: '0',
    // The run may fall at any hour; the send window has its own tests.
    STEWARD_SEND_WINDOW: '00:00-24:00',
  };
  // The embedded defaults are under test, whatever the surrounding environment configures.
  for (const variable of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL', 'STEWARD_ROLES']) delete env[variable];
  const child = spawn('npm', ['start'], { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  current = child;
  const output: string[] = [];
  const ready = new Promise<string>((resolve, reject) => {
    let apiUrl: string | undefined;
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        output.push(line);
        apiUrl ??= /\[steward\] API\s+(http:\/\/\S+)/.exec(line)?.[1];
        if (line.includes('[steward] ready') && apiUrl) resolve(apiUrl);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code} before ready:\n${output.join('\n')}`)));
  });
  return { child, apiUrl: await ready, output };
}

/**
 * Ctrl-C: SIGINT to the whole process group, as a terminal sends it. Resolves once
 * every process of the group (npm, Steward, the Temporal server) is gone.
 */
async function stop(child: ChildProcess): Promise<void> {
  const closed = once(child, 'close');
  process.kill(-child.pid!, 'SIGINT');
  await closed;
  await eventually(async () => (groupAlive(child.pid!) ? undefined : true), 'every process of npm start to exit');
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function outboxMail() {
  const outbox = path.join(dataDir, 'outbox');
  const files = (await readdir(outbox).catch(() => [])).filter((file) => file.endsWith('.eml')).sort();
  return Promise.all(files.map(async (file) => simpleParser(await readFile(path.join(outbox, file)))));
}

/** The first admin key `npm start` wrote into the data directory. */
async function adminKey(): Promise<string> {
  return (await readFile(path.join(dataDir, 'api-key'), 'utf8')).trim();
}

async function getJson(url: string): Promise<Record<string, any>> {
  return (await (await fetch(url, { headers: { authorization: `Bearer ${await adminKey()}` } })).json()) as Record<string, any>;
}

async function postEvent(apiUrl: string, body: unknown) {
  const response = await fetch(`${apiUrl}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminKey()}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** Where an accepted event went, once routing is done (or, with `until`, once that holds too). */
function routedEvent(apiUrl: string, eventId: string, until: (event: Record<string, any>) => boolean = () => true) {
  return eventually(async () => {
    const event = await getJson(`${apiUrl}/events/${eventId}`);
    return event.routing === 'routed' && until(event) ? event : undefined;
  }, `event ${eventId} to be routed`);
}

const firstGift = {
  id: 'e2e-gift-1',
  type: 'donation',
  constituent: { email: 'ada@example.org', firstName: 'Ada', lastName: 'Lovelace', consent: { email: 'granted' } },
  data: { amount: 25, currency: 'USD' },
};

describe('npm start', () => {
  it('thanks a donation posted over HTTP, stops cleanly, and keeps every journey across a restart', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'steward-e2e-'));
    // A data directory someone left open to others: Steward closes it before writing.
    await chmod(dataDir, 0o755);

    const first = await npmStart();
    expect((await fetch(`${first.apiUrl}/health`)).status).toBe(200);
    // The first start made an admin key, readable by its owner only, and said where it is.
    expect((await stat(path.join(dataDir, 'api-key'))).mode & 0o777).toBe(0o600);
    expect(first.output.join('\n')).toMatch(/API key\s+.*api-key\s+\(first admin key, made now\)/);
    // The bounce webhook is closed by default: it wants the token made now, whose file start-up names.
    expect(first.output.join('\n')).toMatch(/Bounce token\s+.*bounce-webhook-token\s+\(bearer token for POST \/webhooks\/email\/feedback\)/);
    const bounce = (headers: Record<string, string>) =>
      fetch(`${first.apiUrl}/webhooks/email/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ type: 'bounce', bounceType: 'hard', recipient: 'someone-else@example.org' }),
      });
    expect((await bounce({})).status).toBe(401);
    const bounceToken = (await readFile(path.join(dataDir, 'bounce-webhook-token'), 'utf8')).trim();
    expect((await bounce({ authorization: `Bearer ${bounceToken}` })).status).toBe(200);
    expect((await fetch(`${first.apiUrl}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(firstGift) })).status).toBe(401);
    const posted = await postEvent(first.apiUrl, firstGift);
    expect(posted.status).toBe(202);
    expect(posted.body).toMatchObject({ duplicate: false, status: `/events/${posted.body.eventId}` });
    const routedTo = await routedEvent(first.apiUrl, posted.body.eventId);
    expect(routedTo.enrollments).toEqual([expect.objectContaining({ journeyId: 'first-gift-thank-you', action: 'enrolled' })]);
    const enrollmentId: string = routedTo.enrollments[0].enrollmentId;

    const [thankYou] = await eventually(async () => {
      const mail = await outboxMail();
      return mail.length > 0 ? mail : undefined;
    }, 'the thank-you .eml in the outbox');
    expect(thankYou!.subject).toBe('Thank you for your gift, Ada');
    expect(thankYou!.text).toContain('$25.00');
    // The worker skips the SDK's per-promise stack traces unless told to keep them: a stack-trace query says so.
    const temporalAddress = first.output.map((line) => /^\[steward\] Temporal\s+(\S+:\d+)$/.exec(line.trim())?.[1]).find(Boolean);
    expect(temporalAddress).toBeDefined();
    const connection = await Connection.connect({ address: temporalAddress! });
    try {
      const client = new Client({ connection });
      let workflowId: string | undefined;
      for await (const run of client.workflow.list({ query: 'WorkflowType = "enrollmentWorkflow"' })) workflowId ??= run.workflowId;
      const refusal = await client.workflow.getHandle(workflowId!).query('__stack_trace').then(
        () => undefined,
        (error: Error) => error,
      );
      expect(`${refusal?.message} ${String(refusal?.cause)}`).toMatch(/stack traces are not enabled on this worker/);
    } finally {
      await connection.close();
    }
    // Mail, database, Temporal's file and secrets: nothing in the data directory is anyone else's to read.
    expect(await openToOthers(dataDir)).toEqual([]);
    expect((await postEvent(first.apiUrl, firstGift)).body).toMatchObject({ duplicate: true });

    await stop(first.child);
    expect(first.output.join('\n')).toContain('[steward] stopped');

    const second = await npmStart();
    const before = await getJson(`${second.apiUrl}/enrollments/${enrollmentId}`);
    expect(before).toMatchObject({ status: 'active', currentState: 'thanked' });

    // The workflow left running by the first process reacts to a second gift now.
    const secondGift = await postEvent(second.apiUrl, { ...firstGift, id: 'e2e-gift-2', data: { amount: 40, currency: 'USD' } });
    const tookStep = await routedEvent(second.apiUrl, secondGift.body.eventId, (event) => event.enrollments.length > 0);
    expect(tookStep.enrollments).toEqual([expect.objectContaining({ enrollmentId, action: 'signalled' })]);
    const after = await eventually(async () => {
      const view = await getJson(`${second.apiUrl}/enrollments/${enrollmentId}`);
      return view.status === 'converted' ? view : undefined;
    }, 'the enrollment to convert');
    expect(after.transitions.map((step: { toState: string }) => step.toState)).toEqual(['thanked', 'goalReached']);
    expect(await outboxMail()).toHaveLength(1);

    await stop(second.child);
    expect(second.output.join('\n')).toContain('[steward] stopped');
    // A restart keeps the first key rather than making another.
    expect(second.output.join('\n')).not.toContain('made now');
  });
});
