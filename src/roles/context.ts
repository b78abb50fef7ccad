/**
 * What every role of a Steward process starts from: the parts `startStack` has
 * already brought up (database, Temporal, mail) and the settings they share. Each
 * role lives in a module of its own, loaded only by a process that runs it, so a
 * worker process does not carry the API's code (Fastify, the web app, OpenAPI) in
 * its memory, nor an API process the worker's.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { MessagingSettings } from '../delivery/settings.ts';
import type { DropOffSettings } from '../events/drop-offs.ts';
import type { MailTransport } from '../mail/transport.ts';

export interface RoleContext {
  config: Config;
  db: Database;
  temporal: Client;
  temporalAddress: string;
  mailer: MailTransport;
  messaging: MessagingSettings;
  signingSecret: string;
  /** Where people reach Steward, without a trailing slash. */
  publicUrl: string;
  log: (line: string) => void;
  /** Called when a part fails after start-up (the worker stopping on its own). */
  onFatal: (error: unknown) => void;
  /** Each part started registers how to stop it; the stack stops them in reverse. */
  stops: (() => Promise<void>)[];
}

/** What counts as a drop-off, from the configuration. */
export function dropOffSettings(config: Config): DropOffSettings {
  return {
    lapsedAfterDays: config.STEWARD_LAPSED_AFTER_DAYS,
    recurringGraceDays: config.STEWARD_RECURRING_GRACE_DAYS,
    noShowAfterDays: 1,
    unengagedAfterDays: config.STEWARD_UNENGAGED_AFTER_DAYS,
  };
}
