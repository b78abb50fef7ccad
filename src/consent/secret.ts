/**
 * The secrets that guard Steward's edges with recipients and mail providers: the key
 * that signs unsubscribe links, and the token the bounce and complaint webhook wants.
 * A deployment sets each in the environment (every process must share it); on one
 * machine Steward makes each the first time and keeps it in the data directory, so
 * links in sent mail and providers' webhook settings keep working across restarts.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PRIVATE_FILE_MODE } from '../data-dir.ts';

/** A secret and where it came from: the file it is kept in, or the environment (no file). */
export interface ResolvedSecret {
  value: string;
  file?: string;
}

export const signingSecretFile = (dataDir: string) => path.join(dataDir, 'signing-secret');
export const feedbackTokenFile = (dataDir: string) => path.join(dataDir, 'bounce-webhook-token');

export async function resolveSigningSecret(configured: string | undefined, dataDir: string): Promise<string> {
  return (await resolveSecret(configured, signingSecretFile(dataDir))).value;
}

/** The token POST /webhooks/email/feedback requires: STEWARD_BOUNCE_WEBHOOK_TOKEN, else one kept in the data directory. */
export async function resolveFeedbackToken(configured: string | undefined, dataDir: string): Promise<ResolvedSecret> {
  return resolveSecret(configured, feedbackTokenFile(dataDir));
}

async function resolveSecret(configured: string | undefined, file: string): Promise<ResolvedSecret> {
  if (configured) return { value: configured };
  try {
    return { value: (await readFile(file, 'utf8')).trim(), file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32).toString('base64url');
  // `wx`: two processes starting at once keep the first one's secret.
  await writeFile(file, `${secret}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return { value: (await readFile(file, 'utf8')).trim(), file };
}
