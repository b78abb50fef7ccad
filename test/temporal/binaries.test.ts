/** Finding the Temporal binaries: configured path, then .tools, then PATH. */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalCli, findTemporalTestServer, testServerExecutable } from '../../src/temporal/binaries.ts';

const provisioned = fileURLToPath(new URL('../../.tools/venv/bin/', import.meta.url));
let dir: string;
let fakeCli: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'steward-bin-'));
  fakeCli = path.join(dir, 'my-temporal');
  await writeFile(fakeCli, '#!/bin/sh\nexit 0\n');
  await chmod(fakeCli, 0o755);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('Temporal binaries', () => {
  it('uses the path given in the configuration first', () => {
    expect(findTemporalCli({ STEWARD_TEMPORAL_CLI: fakeCli })).toBe(fakeCli);
    expect(testServerExecutable({ STEWARD_TEMPORAL_TEST_SERVER: fakeCli })).toEqual({ type: 'existing-path', path: fakeCli });
  });

  it('names the variable when the configured path is not an executable file', () => {
    expect(() => findTemporalCli({ STEWARD_TEMPORAL_CLI: path.join(dir, 'missing') })).toThrow(/STEWARD_TEMPORAL_CLI names .*missing/);
    expect(() => findTemporalTestServer({ STEWARD_TEMPORAL_TEST_SERVER: dir })).toThrow(/STEWARD_TEMPORAL_TEST_SERVER/);
  });

  it('finds the copies npm install provisioned into .tools', () => {
    expect(findTemporalCli({})).toBe(path.join(provisioned, 'temporal'));
    expect(testServerExecutable({})).toEqual({ type: 'existing-path', path: path.join(provisioned, 'temporal-test-server') });
  });
});
