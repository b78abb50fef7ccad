import path from 'node:path';
import { z } from 'zod';
import { engagementTrackingModes } from './engagement/tracked-links.ts';

/** Optional string variable: unset and empty both mean "not given". */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const port = z.coerce.number().int().min(0).max(65_535);

/** A send rate in messages per second (`0.5`, `10`), or `none` for no limit (null). */
const perSecond = z
  .string()
  .trim()
  .refine((value) => value === 'none' || (/^\d+(\.\d+)?$/.test(value) && Number(value) > 0), 'must be messages per second, e.g. 10 or 0.5, or none')
  .transform((value) => (value === 'none' ? null : Number(value)));

/**
 * Every setting Steward reads from the environment. Unset values fall back to the
 * embedded single-machine mode: PGlite, a Temporal dev server, a local mail capture.
 */
export const ConfigSchema = z.object({
  STEWARD_DATA_DIR: z.string().min(1).default('./.steward'),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** PostgreSQL server; when unset Steward serves PGlite from the data directory. */
  DATABASE_URL: optional(z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgresql:// URL' })),
  /** Port of the embedded PostgreSQL (PGlite) listener; 0 picks a free one. */
  STEWARD_EMBEDDED_DB_PORT: port.default(0),
  /** Temporal frontend (host:port); when unset Steward runs a Temporal dev server. */
  TEMPORAL_ADDRESS: optional(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('steward'),
  /** Ports of the embedded Temporal dev server and its Web UI. */
  STEWARD_TEMPORAL_PORT: port.default(7233),
  STEWARD_TEMPORAL_UI_PORT: port.default(8233),
  STEWARD_TEMPORAL_CLI: optional(z.string()),
  STEWARD_TEMPORAL_TEST_SERVER: optional(z.string()),
  /** SMTP server for outgoing mail; when unset mail is captured as .eml files in <data dir>/outbox. */
  SMTP_URL: optional(z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' })),
  STEWARD_OUTBOX_SMTP_PORT: port.default(0),
  MAIL_FROM: z.string().min(3).default('Steward <hello@steward.localhost>'),
  /**
   * Outgoing SMTP: connections open at once (and so messages in flight), messages
   * sent on one connection before it is replaced, and messages per second; a burst
   * above these waits its turn instead of failing.
   */
  STEWARD_SMTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100).default(5),
  STEWARD_SMTP_MAX_MESSAGES: z.coerce.number().int().min(1).default(100),
  STEWARD_SMTP_RATE: perSecond.default(null),
  /**
   * Where each staff task queue is notified of new tasks: `queue=address` pairs,
   * comma-separated. A queue not listed is notified at <queue>@tasks.steward.localhost.
   */
  STEWARD_TASK_QUEUE_EMAILS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const pairs: Record<string, string> = {};
      for (const item of value.split(',').map((part) => part.trim()).filter(Boolean)) {
        const [queue, address] = item.split('=').map((part) => part.trim());
        if (!queue || !address || !/^[^@\s]+@[^@\s]+$/.test(address)) {
          ctx.addIssue({ code: 'custom', message: `"${item}" is not queue=address` });
          return z.NEVER;
        }
        pairs[queue] = address;
      }
      return pairs;
    }),
  /** Drop-off detection: a donor lapses after this many days without a gift. */
  STEWARD_LAPSED_AFTER_DAYS: z.coerce.number().int().min(1).default(365),
  /** Days a sent message's body is kept for the timeline before it is dropped (personal data kept no longer than useful). */
  STEWARD_MESSAGE_BODY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /**
   * Drop-off scans count only a silence that began at or after this moment (ISO
   * date): loading years of giving history flags no one at once. Default: when this
   * installation first started.
   */
  STEWARD_WATCH_FROM: optional(z.iso.datetime({ offset: true }).or(z.iso.date())),
  /** A constituent emailed, tracked, who neither opened nor clicked for this many days is unengaged. */
  STEWARD_UNENGAGED_AFTER_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /**
   * What Steward learns from sent email: `off`, `clicks` (links go through signed
   * redirects) or `clicks-and-opens` (also a 1×1 image, a weak signal: privacy
   * proxies fetch images on their own).
   */
  STEWARD_ENGAGEMENT_TRACKING: z.enum(engagementTrackingModes).default('clicks'),
  /** A monthly donor has missed a gift when the last one is this many days old. */
  STEWARD_RECURRING_GRACE_DAYS: z.coerce.number().int().min(1).default(35),
  /** Staff task queue that overdue tasks move to. */
  STEWARD_TASK_ESCALATION_QUEUE: z.string().min(1).default('stewardship'),
  /** Where the `steward` command reaches a running Steward (tasks, imports); default http://HOST:PORT. */
  STEWARD_API_URL: optional(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })),
  /** Where recipients reach Steward: unsubscribe links, Twilio webhooks. Default http://HOST:PORT. */
  STEWARD_PUBLIC_URL: optional(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })),
  /**
   * Key that signs unsubscribe links. Every API and worker process must share it;
   * when unset, one is generated once and kept in <data dir>/signing-secret.
   */
  STEWARD_SIGNING_SECRET: optional(z.string().min(32, 'must be at least 32 characters')),
  /** Who the messages come from: named in every email's footer with the postal address the law asks for. */
  STEWARD_ORG_NAME: z.string().min(1).default('Steward'),
  STEWARD_ORG_ADDRESS: z.string().min(1).default('1 Example Street, Springfield'),
  STEWARD_ORG_WEBSITE: z.string().default(''),
  /**
   * Gift receipts: the rules they follow (`us` written acknowledgment, `ca` official
   * donation receipt with a PDF, `uk` Gift Aid note; `none` issues none), the
   * organisation's legal name and its tax id (US EIN, Canadian charity registration
   * number such as 123456789RR0001, UK charity number).
   */
  STEWARD_RECEIPT_JURISDICTION: z.enum(['us', 'ca', 'uk', 'none']).default('none'),
  STEWARD_ORG_LEGAL_NAME: optional(z.string().trim().min(1).max(200)),
  STEWARD_ORG_TAX_ID: optional(z.string().trim().min(1).max(50)),
  /** Who signs Canadian official receipts: the authorised individual's name and title. */
  STEWARD_RECEIPT_SIGNATORY: optional(z.string().trim().min(1).max(200)),
  /** DKIM signing of outgoing mail: domain, selector and the private key (PEM text or a file path). */
  DKIM_DOMAIN: optional(z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain name')),
  DKIM_SELECTOR: optional(z.string().regex(/^[a-z0-9-]+$/i, 'must be a DNS label')),
  DKIM_PRIVATE_KEY: optional(z.string()),
  /** Twilio account for SMS; without it SMS steps are recorded as not sent. */
  TWILIO_ACCOUNT_SID: optional(z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits')),
  TWILIO_AUTH_TOKEN: optional(z.string().min(1)),
  /** Send from this number (E.164) or, preferably, through this messaging service. */
  TWILIO_FROM: optional(z.string().regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 number, e.g. +15551234567')),
  TWILIO_MESSAGING_SERVICE_SID: optional(z.string().regex(/^MG[0-9a-fA-F]{32}$/, 'must be MG followed by 32 hex digits')),
  /** Twilio's API; changed only to reach a stand-in. */
  TWILIO_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.twilio.com'),
  /** Twilio: requests in flight at once, and messages per second (`none` leaves pacing to Twilio's own queue). */
  STEWARD_SMS_MAX_CONCURRENT: z.coerce.number().int().min(1).max(100).default(4),
  STEWARD_SMS_RATE: perSecond.default(null),
  /** Country assumed for phone numbers written without +country code (ISO 3166 alpha-2). */
  STEWARD_PHONE_COUNTRY: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter country code, e.g. US').default('US'),
  /** Time zone for constituents whose own is unknown (send windows). */
  STEWARD_TIMEZONE: z
    .string()
    .refine((zone) => zone === 'UTC' || Intl.supportedValuesOf('timeZone').includes(zone), 'must be an IANA time zone, e.g. America/New_York')
    .default('UTC'),
  /** When messages may reach people, in their own time: `HH:MM-HH:MM` and days (`mon-fri`, `mon,wed,sat`). */
  STEWARD_SEND_WINDOW: z.string().default('09:00-20:00'),
  STEWARD_SEND_DAYS: z.string().default('mon-sun'),
  /** Frequency caps across all journeys: at most N per period, e.g. `3/7d`; `none` for no cap. */
  STEWARD_EMAIL_CAP: z.string().default('3/7d'),
  STEWARD_SMS_CAP: z.string().default('1/1d'),
  /** What happens to a message over the cap: wait for room (`defer`) or drop it (`skip`). Journeys may override. */
  STEWARD_CAP_POLICY: z.enum(['defer', 'skip']).default('defer'),
  /**
   * Whether transactional email (thank-yous, receipts, confirmations) needs the
   * constituent's email consent: `not-required` (receipts under CAN-SPAM and GDPR's
   * contract basis) or `required`. Suppressed addresses never receive either way.
   */
  STEWARD_TRANSACTIONAL_CONSENT: z.enum(['not-required', 'required']).default('not-required'),
  /**
   * Token the bounce and complaint intake requires. Every API process must share it;
   * when unset, one is generated once and kept in <data dir>/bounce-webhook-token.
   */
  STEWARD_BOUNCE_WEBHOOK_TOKEN: optional(z.string().min(16, 'must be at least 16 characters')),
  /**
   * How long a web app sign-in lasts: it ends after this many minutes unused, and this
   * many hours after signing in however busy, whichever comes first.
   */
  STEWARD_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(60 * 24 * 30).default(120),
  STEWARD_SESSION_LIFETIME_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(12),
  /**
   * Stripe: the signing secret of the webhook endpoint that sends gifts to
   * POST /connectors/stripe/webhook (`whsec_…`, from the Stripe dashboard). Unset, the
   * endpoint refuses every delivery.
   */
  STEWARD_STRIPE_WEBHOOK_SECRET: optional(z.string().regex(/^whsec_[A-Za-z0-9+/=_-]{8,}$/, 'must be a Stripe webhook signing secret, whsec_…')),
  /** Mapped connectors (forms, registration tools): the folder of their mapping files. */
  STEWARD_CONNECTORS_DIR: z.string().min(1).default('./connectors'),
  /**
   * The HMAC secret of each mapped connector: `name=secret` pairs, comma-separated.
   * A connector without one refuses every delivery.
   */
  STEWARD_CONNECTOR_SECRETS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const secrets: Record<string, string> = {};
      for (const item of value.split(',').map((part) => part.trim()).filter(Boolean)) {
        const equals = item.indexOf('=');
        const name = item.slice(0, equals).trim();
        const secret = item.slice(equals + 1).trim();
        if (equals <= 0 || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(name) || secret.length < 16) {
          ctx.addIssue({ code: 'custom', message: `"${name || item.slice(0, 20)}=…" is not name=secret (a connector name, then a secret of 16 or more characters)` });
          return z.NEVER;
        }
        secrets[name] = secret;
      }
      return secrets;
    }),
  /** How long an invitation's link works. */
  STEWARD_INVITATION_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(72),
  /** Failed sign-ins for one address before further tries are refused for STEWARD_SIGN_IN_LOCKOUT_MINUTES. */
  STEWARD_SIGN_IN_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  STEWARD_SIGN_IN_LOCKOUT_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  /**
   * Sign-in through the organisation's identity provider (OpenID Connect): its issuer URL
   * (https; plain http only on this machine, for trying it out), and the client Steward is
   * registered as there. Without a secret Steward signs in as a public client (PKCE alone).
   * The provider must allow the redirect URL <STEWARD_PUBLIC_URL>/app/sign-in/oidc/callback.
   */
  STEWARD_OIDC_ISSUER: optional(
    z.url({ protocol: /^https?$/, error: 'must be an https:// URL', abort: true }).refine((value) => {
      const url = new URL(value);
      return url.protocol === 'https:' || ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    }, 'must be an https:// URL (http only for 127.0.0.1, localhost or [::1])'),
  ),
  STEWARD_OIDC_CLIENT_ID: optional(z.string().trim().min(1).max(300)),
  STEWARD_OIDC_CLIENT_SECRET: optional(z.string().min(1).max(1_000)),
  /** The provider's name on the sign-in page's button: "Sign in with <name>". Default: the issuer's host name. */
  STEWARD_OIDC_PROVIDER_NAME: optional(z.string().trim().min(1).max(60)),
  /**
   * `true` takes the provider's email as verified when the provider says nothing about it
   * (no `email_verified` claim, as some never send one): only for a provider whose
   * addresses the organisation itself assigns. An explicit `email_verified: false` is
   * refused either way.
   */
  STEWARD_OIDC_TRUST_EMAIL: z.enum(['true', 'false'], 'must be true or false').default('false').transform((value) => value === 'true'),
  /** Key the `steward` command sends to the API; default: the first admin key in <data dir>/api-key. */
  STEWARD_API_KEY: optional(z.string().min(1)),
  /** Requests one API key (or, without a key, one address) may make per minute, across every API process. */
  STEWARD_RATE_LIMIT: z.coerce.number().int().min(1).default(1_200),
  /**
   * Which proxies in front of the API to believe about the client's address
   * (X-Forwarded-For), so rate limits count people, not the load balancer:
   * `true` (all), a number of hops, or addresses and CIDR ranges separated by commas.
   */
  STEWARD_TRUST_PROXY: optional(
    z
      .string()
      .trim()
      .transform((value): boolean | number | string => (value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value)),
  ),
  /**
   * Outbound webhooks go to https endpoints only; `true` also allows plain http to this
   * machine (127.0.0.1, localhost, [::1]), for trying a receiver out locally.
   */
  STEWARD_WEBHOOK_ALLOW_LOOPBACK_HTTP: z.enum(['true', 'false'], 'must be true or false').default('false').transform((value) => value === 'true'),
  /**
   * Outbound webhooks connect to public addresses only, checked when an endpoint is
   * saved and again before every request; `true` also allows private networks (RFC 1918,
   * loopback, unique-local IPv6, carrier-grade NAT), for a receiver inside the
   * organisation's own network. Link-local and cloud metadata addresses are refused
   * either way. Off in the embedded single-machine mode too (see README).
   */
  STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS: z.enum(['true', 'false'], 'must be true or false').default('false').transform((value) => value === 'true'),
  /** The longest an endpoint may take to answer one webhook request before the attempt counts as failed. */
  STEWARD_WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(60).default(15),
  /**
   * Constituents whose events the router hands on at once (each one's events stay in
   * order). A lane mostly waits (for Temporal's signal-with-start, for its turn on the
   * database), so many lanes cost little: in a burst 64 enrolled 52 a second where 16
   * enrolled 38, and 128 no more than 64.
   */
  STEWARD_ROUTING_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(64),
  /**
   * Enrollments a worker keeps in memory between their steps. A sleeping enrollment
   * beyond this is evicted and replays its (short) history when it wakes, so the
   * worker's memory stays flat however many enrollments sleep.
   */
  STEWARD_WORKER_CACHED_WORKFLOWS: z.coerce.number().int().min(2).max(100_000).default(100),
  /** Workflow tasks, activities and local activities (database reads and records) a worker runs at once. */
  STEWARD_WORKER_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1_000).default(40),
  STEWARD_WORKER_ACTIVITIES: z.coerce.number().int().min(1).max(1_000).default(50),
  STEWARD_WORKER_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).max(1_000).default(50),
  /**
   * MB of heap the worker's workflow thread may grow to. Unset: sized from the cache
   * (128 MB and 1.5 MB per cached workflow, at least 256 MB); V8 would otherwise let
   * it grow to several times what it holds.
   */
  STEWARD_WORKER_WORKFLOW_HEAP_MB: optional(z.coerce.number().int().min(128).max(65_536)),
  /**
   * Record where each promise in workflow code was made, so that a `__stack_trace`
   * query can say where an enrollment waits. The Temporal SDK does this
   * on every step of every workflow: a replayed enrollment took 11–24 % more
   * processor with it (`bench/workflow-replay.ts`). Off, a stack-trace query answers
   * that stack traces are not enabled; turn it on to debug a stuck enrollment.
   */
  STEWARD_WORKFLOW_STACK_TRACES: z.enum(['true', 'false'], 'must be true or false').default('false').transform((value) => value === 'true'),
  /**
   * Bound each call into the workflow sandbox to 5 s, so that workflow code that
   * never returns fails its task instead of holding the workflow thread. Node keeps
   * that bound by starting a thread for every call: without it a replayed
   * enrollment took a fifth less processor (`bench/workflow-replay.ts`).
   */
  STEWARD_WORKFLOW_CALL_TIMEOUT: z.enum(['true', 'false'], 'must be true or false').default('true').transform((value) => value === 'true'),
  /**
   * The nice value (0–19, Linux) of the worker's workflow thread, which runs every
   * enrollment's steps: above 0, a machine short of processor serves the API, the
   * router and the activities before it. 0 runs it as the rest of the process.
   */
  STEWARD_WORKFLOW_THREAD_NICE: z.coerce.number().int().min(0).max(19).default(0),
  /**
   * How far, in percent, V8 lets each heap of a process running the worker grow past
   * what it held after its last full collection; 0 leaves V8's own factor (less
   * collecting, more memory). Applies to the whole process, API included.
   */
  STEWARD_WORKER_HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(400).default(15),
  /** How much the HTTP API logs: one JSON line per request on standard output at `info`; `silent` for none. */
  STEWARD_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Which processes this instance runs; a scaled deployment runs workers and API separately. */
  STEWARD_ROLES: z
    .string()
    .default('api,worker')
    .transform((value) => value.split(',').map((role) => role.trim()).filter(Boolean))
    .pipe(z.array(z.enum(['api', 'worker'])).min(1)),
}).superRefine((config, ctx) => {
  // Half a provider configuration is a mistake to name at start-up, not a button that fails later.
  if (Boolean(config.STEWARD_OIDC_ISSUER) !== Boolean(config.STEWARD_OIDC_CLIENT_ID)) {
    const missing = config.STEWARD_OIDC_ISSUER ? 'STEWARD_OIDC_CLIENT_ID' : 'STEWARD_OIDC_ISSUER';
    ctx.addIssue({ code: 'custom', path: [missing], message: `is required when ${missing === 'STEWARD_OIDC_ISSUER' ? 'STEWARD_OIDC_CLIENT_ID' : 'STEWARD_OIDC_ISSUER'} is set` });
  }
  for (const variable of ['STEWARD_OIDC_CLIENT_SECRET', 'STEWARD_OIDC_TRUST_EMAIL'] as const) {
    if (config[variable] && !config.STEWARD_OIDC_ISSUER) ctx.addIssue({ code: 'custom', path: ['STEWARD_OIDC_ISSUER'], message: `is required when ${variable} is set` });
  }
  // Plain http is allowed only to loopback, which the address check refuses unless private networks are allowed.
  if (config.STEWARD_WEBHOOK_ALLOW_LOOPBACK_HTTP && !config.STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS) {
    ctx.addIssue({
      code: 'custom',
      path: ['STEWARD_WEBHOOK_ALLOW_LOOPBACK_HTTP'],
      message: 'needs STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true as well: plain http goes only to this machine, a loopback address, which is refused without it',
    });
  }
  // A receipt without the organisation's tax id is no receipt in any jurisdiction that asks for one.
  if (config.STEWARD_RECEIPT_JURISDICTION !== 'none' && !config.STEWARD_ORG_TAX_ID) {
    ctx.addIssue({ code: 'custom', path: ['STEWARD_ORG_TAX_ID'], message: `is required when STEWARD_RECEIPT_JURISDICTION is ${config.STEWARD_RECEIPT_JURISDICTION}` });
  }
  if (config.STEWARD_RECEIPT_JURISDICTION === 'ca' && config.STEWARD_ORG_TAX_ID && !/^\d{9}RR\d{4}$/.test(config.STEWARD_ORG_TAX_ID)) {
    ctx.addIssue({ code: 'custom', path: ['STEWARD_ORG_TAX_ID'], message: 'must be a CRA charity registration number, e.g. 123456789RR0001' });
  }
});

export type Config = z.infer<typeof ConfigSchema> & { dataDir: string };

/** Raised when the environment holds an invalid setting; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' +
        problems.map(({ variable, message }) => `  ${variable}: ${message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Parses configuration once from an environment (process.env by default). */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        variable: issue.path.length > 0 ? String(issue.path[0]) : '(environment)',
        message: issue.message,
      })),
    );
  }
  return { ...result.data, dataDir: path.resolve(result.data.STEWARD_DATA_DIR) };
}
