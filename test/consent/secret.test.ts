/** The secrets Steward keeps in the data directory: made once, its owner's alone, the environment's when given. */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { feedbackTokenFile, resolveFeedbackToken, resolveSigningSecret, signingSecretFile } from '../../src/consent/secret.ts';

let dataDir: string | undefined;
afterAll(() => (dataDir ? rm(dataDir, { recursive: true, force: true }) : undefined));

describe('resolveFeedbackToken', () => {
  it('makes one token for the bounce webhook, 0600, kept for every later start and every process starting together', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'steward-secrets-'));
    const [first, together] = await Promise.all([resolveFeedbackToken(undefined, dataDir), resolveFeedbackToken(undefined, dataDir)]);
    expect(first).toEqual({ value: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), file: feedbackTokenFile(dataDir) });
    expect(together).toEqual(first);
    expect((await stat(first.file!)).mode & 0o777).toBe(0o600);
    expect(await resolveFeedbackToken(undefined, dataDir)).toEqual(first);
    // Not the signing secret: each secret has its own file.
    expect(await resolveSigningSecret(undefined, dataDir)).not.toBe(first.value);
    expect((await readFile(signingSecretFile(dataDir), 'utf8')).trim()).not.toBe(first.value);
  });

  it('takes STEWARD_BOUNCE_WEBHOOK_TOKEN over the file, naming no file', async () => {
    dataDir ??= await mkdtemp(path.join(tmpdir(), 'steward-secrets-'));
    expect(await resolveFeedbackToken('a-token-set-by-the-deployment', dataDir)).toEqual({ value: 'a-token-set-by-the-deployment' });
  });
});
