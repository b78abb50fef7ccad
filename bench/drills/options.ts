/** The drills' flags: which drills, full-size defaults or --quick, and overrides. */
export const DRILL_NAMES = ['kill-stack', 'kill-worker', 'kill-temporal', 'smtp-421', 'smtp-cut', 'postgres-down'] as const;
export type DrillName = (typeof DRILL_NAMES)[number];

export interface DrillOptions {
  quick: boolean;
  drills: DrillName[];
  /** Gifts offered per second, for this many seconds; the fault comes at faultAt of the way through. */
  rate: number;
  duration: number;
  faultAt: number;
  /** How long smtp-421 refuses, smtp-cut cuts, PostgreSQL refuses and a killed Temporal stays down. */
  outage: { smtp421: number; smtpCut: number; postgres: number; temporal: number };
  /** Longest wait, after recovery, for every accepted gift's thank-you. */
  deadline: number;
  /** Once all have arrived, how much longer to watch for a second copy (a lapsed send lease is 50 s). */
  settle: number;
  /** PostgreSQL server on which kill-worker and postgres-down create (and drop) their databases. */
  postgres: string;
}

const USAGE = `npm run drill -- [name ...] [--quick] [--rate=50] [--duration=20] [--fault-at=0.4]
    [--outage=SECONDS (all outages)] [--deadline=600] [--settle=60] [--postgres=postgresql://postgres@127.0.0.1:5432/postgres]

  kill-stack     (a) kill -9 of the whole npm start process group mid-burst; restart on the same data directory
  kill-worker    (b) separate worker and API processes on PostgreSQL and an external Temporal; kill -9 the worker, restart it
  kill-temporal  (c) kill -9 of the external Temporal dev server; restart it on the same SQLite file
  smtp-421       (d) the mail server answers 421 for a while, then accepts
  smtp-cut       (e) the mail server takes each message and cuts the connection before its reply, for a while
  postgres-down  (f) PostgreSQL refuses connections to Steward's database (ALLOW_CONNECTIONS false, backends terminated)`;

/** Parses argv (without node and the script); throws with the usage on a bad flag. */
export function parseDrillOptions(argv: string[]): DrillOptions {
  const flags = new Map<string, string>();
  const names: DrillName[] = [];
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (match) flags.set(match[1]!, match[2] ?? 'true');
    else if ((DRILL_NAMES as readonly string[]).includes(arg)) names.push(arg as DrillName);
    else throw new Error(`Unknown drill or argument "${arg}"\n\n${USAGE}`);
  }
  if (flags.has('help')) throw new Error(USAGE);
  const known = new Set(['quick', 'rate', 'duration', 'fault-at', 'outage', 'deadline', 'settle', 'postgres']);
  for (const name of flags.keys()) if (!known.has(name)) throw new Error(`Unknown flag --${name}\n\n${USAGE}`);
  const quick = flags.get('quick') === 'true';
  const defaults = quick
    ? { rate: 20, duration: 10, outage: { smtp421: 20, smtpCut: 8, postgres: 15, temporal: 10 }, deadline: 240, settle: 15 }
    : { rate: 50, duration: 20, outage: { smtp421: 120, smtpCut: 20, postgres: 30, temporal: 30 }, deadline: 600, settle: 60 };
  const positive = (name: string): number | undefined => {
    const raw = flags.get(name);
    if (raw !== undefined && !(Number(raw) > 0)) throw new Error(`--${name} must be a positive number, not "${raw}"`);
    return raw === undefined ? undefined : Number(raw);
  };
  const outage = positive('outage');
  const faultAt = positive('fault-at') ?? 0.4;
  if (faultAt >= 1) throw new Error('--fault-at is a fraction of the burst, between 0 and 1');
  return {
    quick,
    drills: names.length > 0 ? names : [...DRILL_NAMES],
    rate: positive('rate') ?? defaults.rate,
    duration: positive('duration') ?? defaults.duration,
    faultAt,
    outage: outage ? { smtp421: outage, smtpCut: outage, postgres: outage, temporal: outage } : defaults.outage,
    deadline: positive('deadline') ?? defaults.deadline,
    settle: positive('settle') ?? defaults.settle,
    postgres: flags.get('postgres') ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  };
}
