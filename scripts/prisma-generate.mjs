// Generates the Prisma client into src/db/generated during `npm install`.
//
// `prisma generate` needs no database and no native engine, but the CLI looks for
// its Rust schema engine at start and would download it. Pointing
// PRISMA_SCHEMA_ENGINE_BINARY at a stub keeps generation offline; the generated
// client itself runs on WebAssembly with the pg driver adapter.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const stubDir = path.join(root, '.tools');
const stub = path.join(stubDir, 'schema-engine-unused');
mkdirSync(stubDir, { recursive: true });
writeFileSync(stub, '#!/bin/sh\necho "Steward applies migrations itself; the schema engine is not used" >&2\nexit 1\n');
chmodSync(stub, 0o755);

const cli = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
const result = spawnSync(process.execPath, [cli, 'generate'], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? stub,
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  },
});
if (result.status !== 0) {
  console.error('steward: generating the Prisma client failed');
  process.exit(result.status ?? 1);
}
