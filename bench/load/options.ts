/** The load benchmark's flags: full-size defaults, a CI-sized --quick, and overrides. */
import { ConfigSchema } from '../../src/config.ts';

/** Every row; a bare run measures those that suit its database (h needs DATABASE_URL). */
export const ROW_IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] as const;
export type RowId = (typeof ROW_IDS)[number];

export interface LoadOptions {
  quick: boolean;
  rows: Set<RowId>;
  /** Closed-loop concurrencies for intake and the raw baselines (rows a, b). */
  concurrencies: number[];
  /** Seconds each closed-loop run lasts, and how many alternated rounds of each. */
  closedSeconds: number;
  rounds: number;
  /** Open-loop intake (row a): offered gifts per second, for this many seconds. */
  intakeRate: number;
  intakeSeconds: number;
  /** Longest wait, after a run, for its enrollments and thank-yous before the next run starts. */
  settleSeconds: number;
  /** Batch intake (row a): how many batches of each size. */
  batches: { size: number; count: number }[];
  /** Gift to SMTP (row c): offered gifts per second, for this many seconds. */
  rate: number;
  duration: number;
  /** Enrollments whose workflow history is read (row d). */
  histories: number;
  /** Sleeping enrollments at which the worker's RSS is read (row e). */
  sleepers: number[];
  /** Rows of the CSV that `steward events import` loads (row f). */
  importRows: number;
  /** Constituents each journey's forecast simulates over 365 days (row g). */
  forecastConstituents: number;
  /** Steward settings every stack of the run starts with, on top of the benchmark's own (--set). */
  settings: Record<string, string>;
}

const USAGE = `npm run bench:load -- [--quick] [--only=a,b,c,d,e,f,g,h] [--rate=10] [--duration=300]
    [--intake-rate=100] [--intake-duration=60] [--concurrency=1,8,32] [--seconds=10] [--rounds=2]
    [--sleepers=1000,10000,20000] [--histories=5] [--settle=90] [--import-rows=50000]
    [--forecast-constituents=100000] [--set=STEWARD_SETTING=value,…]

  a  intake: POST /events closed loop at each concurrency, open loop at --intake-rate, /events/batch
  b  raw baselines: INSERT … ON CONFLICT DO NOTHING and signalWithStart, alternated with a
  c  gift → email accepted by SMTP at --rate gifts/s for --duration seconds
  d  Temporal history events and workflow tasks per enrollment
  e  worker RSS with --sleepers sleeping enrollments
  f  steward events import of a CSV of --import-rows past gifts: stored, routed, the command's peak RSS
  g  forecast of --forecast-constituents × 365 days per journey, against one-by-one simulation
  h  the open loop of a against an API-only process with a worker process beside it, against
     a raw INSERT open loop at the same rate (DATABASE_URL only)

  --set gives every Steward the run starts a setting of its own, e.g.
  --set=STEWARD_WORKFLOW_THREAD_NICE=10, to set one build against itself.`;

/**
 * Parses argv (without node and the script); throws with the usage on a bad flag.
 * Without --only every row is run that the database can serve: h only on a server.
 */
export function parseOptions(argv: string[], databaseServer = Boolean(process.env.DATABASE_URL)): LoadOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`Unknown argument ${arg}\n\n${USAGE}`);
    flags.set(match[1]!, match[2] ?? 'true');
  }
  if (flags.has('help')) throw new Error(USAGE);
  const quick = flags.get('quick') === 'true';
  const defaults: Omit<LoadOptions, 'rows' | 'settings'> = quick
    ? {
        quick,
        concurrencies: [1, 8, 32],
        closedSeconds: 3,
        rounds: 1,
        intakeRate: 20,
        intakeSeconds: 10,
        settleSeconds: 10,
        batches: [{ size: 100, count: 2 }, { size: 1000, count: 1 }],
        rate: 5,
        duration: 15,
        histories: 3,
        sleepers: [50, 200],
        importRows: 2_000,
        forecastConstituents: 10_000,
      }
    : {
        quick,
        concurrencies: [1, 8, 32],
        closedSeconds: 10,
        rounds: 2,
        intakeRate: 100,
        intakeSeconds: 60,
        settleSeconds: 90,
        batches: [{ size: 100, count: 20 }, { size: 1000, count: 3 }],
        rate: 10,
        duration: 300,
        histories: 5,
        sleepers: [1_000, 10_000, 20_000],
        importRows: 50_000,
        forecastConstituents: 100_000,
      };
  const known = new Set(['quick', 'only', 'rate', 'duration', 'intake-rate', 'intake-duration', 'concurrency', 'seconds', 'rounds', 'sleepers', 'histories', 'settle', 'import-rows', 'forecast-constituents', 'set']);
  for (const name of flags.keys()) if (!known.has(name)) throw new Error(`Unknown flag --${name}\n\n${USAGE}`);

  const rows = new Set<RowId>();
  const defaultRows = ROW_IDS.filter((id) => id !== 'h' || databaseServer);
  for (const id of (flags.get('only') ?? defaultRows.join(',')).split(',').map((part) => part.trim().toLowerCase())) {
    if (!(ROW_IDS as readonly string[]).includes(id)) throw new Error(`--only: unknown row "${id}" (rows: ${ROW_IDS.join(', ')})`);
    rows.add(id as RowId);
  }
  return {
    ...defaults,
    rows,
    concurrencies: list(flags, 'concurrency') ?? defaults.concurrencies,
    closedSeconds: number(flags, 'seconds') ?? defaults.closedSeconds,
    rounds: number(flags, 'rounds') ?? defaults.rounds,
    intakeRate: number(flags, 'intake-rate') ?? defaults.intakeRate,
    intakeSeconds: number(flags, 'intake-duration') ?? defaults.intakeSeconds,
    rate: number(flags, 'rate') ?? defaults.rate,
    duration: number(flags, 'duration') ?? defaults.duration,
    histories: number(flags, 'histories') ?? defaults.histories,
    settleSeconds: number(flags, 'settle') ?? defaults.settleSeconds,
    sleepers: (list(flags, 'sleepers') ?? defaults.sleepers).sort((a, b) => a - b),
    importRows: whole(flags, 'import-rows') ?? defaults.importRows,
    forecastConstituents: whole(flags, 'forecast-constituents') ?? defaults.forecastConstituents,
    settings: settings(flags.get('set')),
  };
}

/** `KEY=value,KEY=value`: Steward settings only (each is checked against Steward's schema when a stack starts). */
function settings(raw: string | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',').filter(Boolean)) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match || !(match[1]! in ConfigSchema.shape)) throw new Error(`--set: "${pair}" is not SETTING=value for a Steward setting`);
    result[match[1]!] = match[2]!;
  }
  return result;
}

function number(flags: Map<string, string>, name: string): number | undefined {
  const raw = flags.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, not "${raw}"`);
  return value;
}

function whole(flags: Map<string, string>, name: string): number | undefined {
  const value = number(flags, name);
  if (value !== undefined && !Number.isInteger(value)) throw new Error(`--${name} must be a whole number, not "${flags.get(name)}"`);
  return value;
}

function list(flags: Map<string, string>, name: string): number[] | undefined {
  const raw = flags.get(name);
  if (raw === undefined) return undefined;
  const values = raw.split(',').map(Number);
  if (values.some((value) => !Number.isInteger(value) || value <= 0)) throw new Error(`--${name} must be positive whole numbers separated by commas, not "${raw}"`);
  return values;
}

/** The command line that repeats this run. */
export function reproduceCommand(argv: string[]): string {
  return ['npm run bench:load', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');
}
