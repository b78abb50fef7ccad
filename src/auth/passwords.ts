/**
 * Passwords, hashed with argon2id (@node-rs/argon2). The parameters follow OWASP's
 * password storage guidance for argon2id: 19 MiB of memory, two passes, one lane.
 * The hash is stored in its PHC string form, which carries its own parameters, so
 * raising them later still verifies older hashes.
 */
import { hash, verify } from '@node-rs/argon2';
import { z } from 'zod';

/** `algorithm: 2` is argon2id in @node-rs/argon2's `Algorithm` (a const enum, which this build cannot import by name). */
export const ARGON2ID_PARAMETERS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;

/** A new password: long enough to resist guessing, short enough to hash in bounded time. */
export const NewPassword = z.string().min(12, 'must be at least 12 characters').max(200, 'must be at most 200 characters');

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2ID_PARAMETERS);
}

/** Whether a password matches a stored hash; a malformed hash matches nothing. */
export async function passwordMatches(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/**
 * A hash of no one's password, verified when the email is unknown so that a
 * sign-in takes as long whether or not the address has an account.
 */
let decoy: Promise<string> | undefined;
export async function verifyDecoy(password: string): Promise<void> {
  decoy ??= hashPassword('no account has this password');
  await passwordMatches(await decoy, password);
}
