/**
 * `steward <area> <command>`: the command line for people who work with journey
 * files. Each command returns its exit code; nothing here calls process.exit, so
 * commands can be run and tested in-process.
 */
import { journeyCommand, JOURNEY_USAGE } from './journey.ts';
import type { Output } from './output.ts';

const USAGE = `Usage: steward <command>

${JOURNEY_USAGE}
`;

export async function main(args: string[], output: Output = { out: process.stdout, err: process.stderr }): Promise<number> {
  const [area, ...rest] = args;
  if (area === 'journey') return journeyCommand(rest, output);
  if (area === undefined || area === '--help' || area === '-h' || area === 'help') {
    output.out.write(USAGE);
    return area === undefined ? 2 : 0;
  }
  output.err.write(`steward: unknown command "${area}"\n\n${USAGE}`);
  return 2;
}
