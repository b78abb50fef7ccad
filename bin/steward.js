#!/usr/bin/env node
// The `steward` command. Steward is written in TypeScript and run without a
// build step: tsx's loader is registered first, then the command runs.
import { register } from 'tsx/esm/api';

register();
// Output piped into `head` and closed early is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
