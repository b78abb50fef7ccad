/**
 * `steward <area> <command>`: the command line for people who work with journey
 * files, the staff task inbox and event imports. Each command returns its exit
 * code; nothing here calls process.exit, so commands can be run and tested in-process.
 */
import { ConfigError, loadConfig } from '../config.ts';
import { localApiKey } from '../auth/api-keys.ts';
import { ApiError, apiBaseUrl, createApiClient } from './api-client.ts';
import { CONNECTORS_USAGE, connectorsCommand } from './connectors.ts';
import { EVENTS_USAGE, eventsCommand, EventsUsageError } from './events.ts';
import { journeyCommand, JOURNEY_USAGE } from './journey.ts';
import type { Output } from './output.ts';
import { TASKS_USAGE, tasksCommand, TasksUsageError } from './tasks.ts';
import { templatesCommand, TEMPLATES_USAGE } from './templates.ts';

const USAGE = `Usage: steward <command>

${JOURNEY_USAGE}

${TEMPLATES_USAGE}

${TASKS_USAGE}

${EVENTS_USAGE}

${CONNECTORS_USAGE}

The tasks and events commands talk to a running Steward at STEWARD_API_URL
(default http://HOST:PORT, i.e. http://127.0.0.1:3000).
`;

const USAGE_OF: Record<string, string> = { journey: JOURNEY_USAGE, templates: TEMPLATES_USAGE, tasks: TASKS_USAGE, events: EVENTS_USAGE, connectors: CONNECTORS_USAGE };

export async function main(
  args: string[],
  output: Output = { out: process.stdout, err: process.stderr },
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const [area, ...rest] = args;
  // Help needs nothing else: no configuration, no running Steward, no valid arguments.
  const areaUsage = area === undefined ? undefined : USAGE_OF[area];
  if (areaUsage && (rest[0] === 'help' || rest.some((arg) => arg === '--help' || arg === '-h'))) {
    output.out.write(`${areaUsage}\n`);
    return 0;
  }
  if (area === 'journey') return journeyCommand(rest, output);
  if (area === 'templates') return templatesCommand(rest, output);
  if (area === 'connectors') return connectorsCommand(rest, output);
  if (area === 'tasks' || area === 'events') {
    try {
      const config = loadConfig(env);
      const api = createApiClient(apiBaseUrl(config), await localApiKey(config.dataDir, config.STEWARD_API_KEY));
      return await (area === 'tasks' ? tasksCommand(rest, output, api) : eventsCommand(rest, output, api));
    } catch (error) {
      if (error instanceof TasksUsageError || error instanceof EventsUsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        output.err.write(`steward ${area}: ${(error as Error).message}\n\n${area === 'tasks' ? TASKS_USAGE : EVENTS_USAGE}\n`);
        return 2;
      }
      if (error instanceof ConfigError) {
        output.err.write(`${error.message}\n`);
        return 2;
      }
      if (error instanceof ApiError) {
        output.err.write(`steward ${area}: ${error.message}\n${error.issues.map((issue) => `  ${issue.path}: ${issue.message}\n`).join('')}`);
        return 1;
      }
      throw error;
    }
  }
  if (area === undefined || area === '--help' || area === '-h' || area === 'help') {
    output.out.write(USAGE);
    return area === undefined ? 2 : 0;
  }
  output.err.write(`steward: unknown command "${area}"\n\n${USAGE}`);
  return 2;
}
