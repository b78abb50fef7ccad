/**
 * A migrated database filled to the size of a large nonprofit (100,000 constituents,
 * a million interactions over three years), for checking query plans and timing the
 * pages. Every table is filled by one INSERT … SELECT over generate_series, so the
 * seed costs what PostgreSQL takes to write the rows, not a round trip per row.
 * The data is deterministic: the same options give the same rows.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { Prisma, type Database } from '../../src/db/client.ts';
import { JourneyDefinition, RESERVED_STATES } from '../../src/journeys/definition.ts';

export interface VolumeOptions {
  constituents?: number;
  /** Interaction events in all, trigger and goal gifts of the enrollments included. */
  events?: number;
  /**
   * Journeys sharing the enrollments equally (default 10): the shipped journeys, repeated
   * with a numbered id past four. A query about one journey should cost what that
   * journey holds; with only two, each would hold half of every table, and reading a
   * table whole would rightly be PostgreSQL's cheapest plan, so nothing would be shown.
   */
  journeys?: number;
  /** Share of constituents enrolled in a journey, once each. */
  enrolledShare?: number;
  /** The moment the data leads up to; events fall in the three years before it. */
  now?: Date;
  /** Receives one line per table filled, with the seconds it took. */
  log?: (line: string) => void;
}

export interface SeededVolume {
  now: Date;
  /** The first journey, with its one version and the states of its definition in order. */
  journeyId: string;
  journeyVersionIds: string[];
  definitionStates: string[];
  /** A constituent with far more events than most (one event in 5,000 is theirs). */
  constituentId: string;
  /** An enrollment of the first journey that has messages. */
  enrollmentId: string;
  /** A staff task queue with tasks in every status. */
  queue: string;
  rows: Record<string, number>;
}

/** A shipped journey and the route most of its enrollments take through it. */
interface SeedJourney {
  file: string;
  /** States in the order enrollments pass them; the last is final and ends the enrollment as completed. */
  route: string[];
  /** Where a converted enrollment ends: the goal, or a final state with outcome converted. */
  converts: string;
}

const shippedJourneys: SeedJourney[] = [
  { file: 'new-donor-welcome.yaml', route: ['thanked', 'impact', 'secondAsk', 'completed'], converts: RESERVED_STATES.goal },
  { file: 'lapsed-donor-winback.yaml', route: ['weMissYou', 'waitingForGift', 'staffCall', 'lastChance', 'stillLapsed'], converts: RESERVED_STATES.goal },
  { file: 'recurring-gift-recovery.yaml', route: ['notified', 'reminded', 'waiting', 'donorCare', 'lost'], converts: RESERVED_STATES.goal },
  { file: 'major-gift-prospect.yaml', route: ['thanked', 'followUp', 'stewarded'], converts: 'cultivation' },
];

/** One journey as the seed writes it: its definition and, per route state, what entering it sends or asks for. */
interface JourneyPlan {
  index: number;
  id: string;
  versionId: string;
  definition: JourneyDefinition;
  /** The interaction_type value, as stored. */
  trigger: 'donation' | 'drop-off' | 'registration' | 'custom' | 'refund';
  route: string[];
  converts: string;
  channels: (string | null)[];
  templates: (string | null)[];
  queues: (string | null)[];
  titles: (string | null)[];
}

function planJourneys(count: number): JourneyPlan[] {
  return Array.from({ length: count }, (_, index) => {
    const shipped = shippedJourneys[index % shippedJourneys.length]!;
    const source = YAML.parse(readFileSync(new URL(`../../journeys/${shipped.file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
    const round = Math.floor(index / shippedJourneys.length);
    const id = round === 0 ? String(source.id) : `${String(source.id)}-${round + 1}`;
    const definition = JourneyDefinition.parse({ ...source, id });
    const entries = shipped.route.map((state) => definition.states[state]?.entry ?? []);
    const message = entries.map((entry) => entry.find((action) => action.do === 'email' || action.do === 'sms'));
    const task = entries.map((entry) => entry.find((action) => action.do === 'task'));
    const event = definition.trigger.event;
    return {
      index,
      id,
      versionId: `${id}:v1`,
      definition,
      trigger: event,
      route: shipped.route,
      converts: shipped.converts,
      channels: message.map((action) => action?.do ?? null),
      templates: message.map((action) => (action && 'template' in action ? action.template : null)),
      queues: task.map((action) => (action && 'queue' in action ? action.queue : null)),
      titles: task.map((action) => (action && 'title' in action ? action.title : null)),
    };
  });
}

/** A pseudo-random fraction in [0, 1) from an integer and a salt; the same inputs always give the same value. */
const fraction = (value: string, salt: number) => Prisma.raw(`((hashint8((${value})::bigint * 64 + ${salt}) & 2147483647)::float8 / 2147483648)`);
const constituentId = (ordinal: string) => Prisma.raw(`md5('constituent:' || (${ordinal}))::uuid::text`);
const textArray = (values: (string | null)[]) => Prisma.sql`ARRAY[${Prisma.join(values)}]::text[]`;

export async function seedVolume(db: Database, options: VolumeOptions = {}): Promise<SeededVolume> {
  const constituents = options.constituents ?? 100_000;
  const totalEvents = options.events ?? 1_000_000;
  const now = options.now ?? new Date();
  const journeys = planJourneys(options.journeys ?? 10);
  // Every `stride`-th constituent is enrolled, so enrollments spread over the whole table.
  const stride = Math.max(1, Math.round(1 / (options.enrolledShare ?? 0.2)));
  const enrollments = Math.floor(constituents / stride);
  const rows: Record<string, number> = {};

  async function fill(table: string, statement: Prisma.Sql, client: Prisma.TransactionClient = db): Promise<void> {
    const started = performance.now();
    const count = await client.$executeRaw(statement);
    rows[table] = (rows[table] ?? 0) + count;
    options.log?.(`${table}: ${count.toLocaleString('en-US')} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  await fill(
    'constituent',
    Prisma.sql`
      INSERT INTO constituent (id, email, first_name, last_name, phone, timezone, locale, attributes, created_at, updated_at)
      SELECT ${constituentId('i')}, 'donor' || i || '@example.org',
             (ARRAY['Ana','Ben','Chloe','Dev','Eve','Femi','Gus','Hana'])[1 + i % 8],
             (ARRAY['Ng','Okafor','Patel','Quinn','Rossi','Silva','Tanaka','Usman'])[1 + (i / 8) % 8],
             CASE WHEN i % 3 = 0 THEN '+1555' || lpad(i::text, 7, '0') END,
             (ARRAY['America/Chicago','America/New_York','America/Los_Angeles','Europe/London'])[1 + i % 4], 'en-US', '{}',
             ${now}::timestamp - interval '1 day' * (1095 + 1000 * ${fraction('i', 1)}), ${now}::timestamp
        FROM generate_series(1, ${constituents}::int) AS i`,
  );

  const started = performance.now();
  await db.journey.createMany({ data: journeys.map((journey) => ({ id: journey.id, name: journey.definition.name, description: journey.definition.description ?? '' })) });
  await db.journeyVersion.createMany({
    data: journeys.map((journey) => ({
      id: journey.versionId,
      journeyId: journey.id,
      version: 1,
      definition: journey.definition as unknown as Prisma.InputJsonValue,
      status: 'published' as const,
      publishedAt: new Date(now.getTime() - 3 * 365 * 86_400_000),
    })),
  });
  rows.journey = journeys.length;
  options.log?.(`journey, journey_version: ${journeys.length} each in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // Enrollment n (1…enrollments): which journey, how it ends, how far along the route it
  // got (`reached`, 0-based) and when. Each statement below reads its rows from here.
  const plans = Prisma.join(
    journeys.map(
      (journey) => Prisma.sql`(${journey.index}::int, ${journey.versionId}, ${journey.trigger}::interaction_type, ${textArray(journey.route)},
        ${journey.converts}, ${textArray(journey.channels)}, ${textArray(journey.templates)}, ${textArray(journey.queues)}, ${textArray(journey.titles)})`,
    ),
  );
  const plan = Prisma.sql`
    WITH journey_plan (k, version_id, trigger_type, route, converts, channels, templates, queues, titles) AS (VALUES ${plans}),
    drawn AS (
      SELECT n, p.*, cardinality(p.route) AS route_length,
             CASE WHEN ${fraction('n', 2)} < 0.25 THEN 'active' WHEN ${fraction('n', 2)} < 0.5 THEN 'converted'
                  WHEN ${fraction('n', 2)} < 0.65 THEN 'exited' ELSE 'completed' END AS outcome,
             ${fraction('n', 3)} AS f_reached, ${fraction('n', 4)} AS f_entered
        FROM generate_series(1, ${enrollments}::int) AS n
        JOIN journey_plan p ON p.k = n % ${journeys.length}::int
    ),
    placed AS (
      SELECT d.*,
             CASE WHEN outcome = 'completed' THEN route_length - 1 ELSE floor(f_reached * (route_length - 1))::int END AS reached,
             -- Active enrollments are recent; finished ones entered any time in the last two years.
             ${now}::timestamp - interval '1 day' * CASE WHEN outcome = 'active' THEN 1 + 59 * f_entered ELSE 1 + 729 * f_entered END AS entered_at
        FROM drawn d
    ),
    plan AS (
      SELECT p.*,
             md5('enrollment:' || n)::uuid::text AS enrollment_id,
             ${constituentId(`n * ${stride}`)} AS constituent_id,
             n * ${stride} AS constituent_ordinal,
             md5('trigger:' || n)::uuid::text AS trigger_event_id,
             -- A week between steps, squeezed so that everything has happened by now.
             interval '1 second' * least(604800, extract(epoch FROM ${now}::timestamp - p.entered_at) / (p.reached + 2)) AS gap
        FROM placed p
    )`;

  await fill(
    'enrollment',
    Prisma.sql`${plan}
      INSERT INTO enrollment (id, workflow_id, constituent_id, journey_version_id, status, current_state, snapshot, trigger_event_id,
                              entered_at, exited_at, exit_reason, goal_name, goal_reached_at, updated_at)
      SELECT enrollment_id, 'enrollment-seed-' || n, constituent_id, version_id, outcome::enrollment_status, state,
             jsonb_build_object('value', state), trigger_event_id, entered_at, ended_at,
             CASE WHEN outcome = 'exited' THEN 'unsubscribed' END,
             CASE WHEN outcome = 'converted' THEN 'seeded-goal' END,
             CASE WHEN outcome = 'converted' THEN ended_at END,
             coalesce(ended_at, entered_at + gap * reached)
        FROM plan
        CROSS JOIN LATERAL (SELECT
          CASE outcome WHEN 'active' THEN route[reached + 1] WHEN 'converted' THEN converts WHEN 'exited' THEN ${RESERVED_STATES.exit}
                       ELSE route[route_length] END AS state,
          CASE outcome WHEN 'active' THEN NULL WHEN 'completed' THEN entered_at + gap * reached ELSE entered_at + gap * (reached + 1) END AS ended_at
        ) AS ending`,
  );

  // Steps along the route (sequence 0 is the enrollment), then the step that ended a
  // converted or exited enrollment, as the workflow records them.
  await fill(
    'enrollment_transition',
    Prisma.sql`${plan}
      INSERT INTO enrollment_transition (id, enrollment_id, sequence, from_state, to_state, cause, event_id, at)
      SELECT md5(enrollment_id || ':' || step)::uuid::text, enrollment_id, step,
             CASE WHEN step = 0 THEN NULL ELSE route[step] END,
             CASE WHEN step <= reached THEN route[step + 1] WHEN outcome = 'converted' THEN converts ELSE ${RESERVED_STATES.exit} END,
             CASE WHEN step = 0 THEN 'enrolled' WHEN step <= reached THEN 'timer' WHEN outcome = 'exited' THEN 'unsubscribed'
                  WHEN converts = ${RESERVED_STATES.goal} THEN 'donation' ELSE 'task-completed' END,
             CASE WHEN step = 0 THEN trigger_event_id WHEN step > reached AND outcome = 'converted' AND converts = ${RESERVED_STATES.goal}
                  THEN md5('goal:' || n)::uuid::text END,
             entered_at + gap * step
        FROM plan
        CROSS JOIN LATERAL generate_series(0, reached + CASE WHEN outcome IN ('converted', 'exited') THEN 1 ELSE 0 END) AS step`,
  );

  // A million rows go in far faster without their indexes and foreign key, which are
  // built again afterwards in one pass each, exactly as they were.
  await withIndexesRebuilt(db, 'interaction_event', options.log, async (tx) => {
    // The event that enrolled each constituent, and the gift that converted them.
    await fill(
      'interaction_event',
      Prisma.sql`${plan}
        INSERT INTO interaction_event (id, idempotency_key, type, constituent_id, data, amount, currency, occurred_at, received_at, routed_at)
        SELECT id, key, type, constituent_id, data, CASE WHEN type = 'donation' THEN amount END, CASE WHEN type = 'donation' THEN 'USD' END, at, at, at
          FROM plan
          CROSS JOIN LATERAL (VALUES
            (trigger_event_id, 'seed:trigger:' || n, trigger_type,
             CASE trigger_type WHEN 'drop-off' THEN jsonb_build_object('kind', CASE WHEN route[1] = 'notified' THEN 'recurring-failed' ELSE 'lapsed' END)
                               ELSE jsonb_build_object('source', 'seed') END,
             round((20 + 1000 * ${fraction('n', 5)} ^ 3)::numeric, 2), entered_at),
            (CASE WHEN outcome = 'converted' THEN md5('goal:' || n)::uuid::text END, 'seed:goal:' || n, 'donation'::interaction_type,
             jsonb_build_object('source', 'seed', 'recurring', true), round((20 + 200 * ${fraction('n', 6)})::numeric, 2), entered_at + gap * (reached + 1))
          ) AS event (id, key, type, data, amount, at)
         WHERE id IS NOT NULL`,
      tx,
    );

    // Everything else constituents did over three years: mostly gifts, then registrations.
    // One event in 5,000 belongs to constituent 1, whose timeline is therefore long.
    const remaining = Math.max(0, totalEvents - (rows.interaction_event ?? 0));
    await fill(
      'interaction_event',
      Prisma.sql`
        INSERT INTO interaction_event (id, idempotency_key, type, constituent_id, data, amount, currency, occurred_at, received_at, routed_at)
        SELECT md5('event:' || g)::uuid::text, 'seed:event:' || g, type, ${constituentId(`CASE WHEN g % 5000 = 0 THEN 1 ELSE 1 + floor(${fraction('g', 7).sql} * ${constituents})::int END`)},
               CASE type WHEN 'registration' THEN jsonb_build_object('program', 'gala', 'startsAt', to_char(at + interval '30 days', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
                         WHEN 'drop-off' THEN jsonb_build_object('kind', 'lapsed') WHEN 'custom' THEN jsonb_build_object('name', 'newsletter-open')
                         ELSE jsonb_build_object('source', 'seed') END,
               CASE WHEN type = 'donation' THEN round((5 + 495 * ${fraction('g', 8)} ^ 2)::numeric, 2) END,
               CASE WHEN type = 'donation' THEN CASE WHEN g % 10 = 0 THEN 'CAD' ELSE 'USD' END END,
               at, at, at
          FROM generate_series(1, ${remaining}::int) AS g
          CROSS JOIN LATERAL (SELECT
            CASE WHEN ${fraction('g', 9)} < 0.6 THEN 'donation' WHEN ${fraction('g', 9)} < 0.85 THEN 'registration'
                 WHEN ${fraction('g', 9)} < 0.95 THEN 'drop-off' ELSE 'custom' END::interaction_type AS type,
            ${now}::timestamp - interval '1 second' * floor(3 * 365 * 86400 * ${fraction('g', 10)}) AS at
          ) AS drawn`,
      tx,
    );
  });

  // The email or text each route state sends on entry, in the mix of outcomes delivery gives.
  await fill(
    'message',
    Prisma.sql`${plan}
      INSERT INTO message (id, idempotency_key, enrollment_id, constituent_id, channel, template, recipient, status, created_at, sent_at, delivered_at)
      SELECT md5('message:' || enrollment_id || ':' || step)::uuid::text, enrollment_id || ':' || step || ':0', enrollment_id, constituent_id,
             channels[step + 1]::channel, templates[step + 1],
             CASE WHEN channels[step + 1] = 'sms' THEN '+1555' || lpad(constituent_ordinal::text, 7, '0') ELSE 'donor' || constituent_ordinal || '@example.org' END,
             status::message_status, at,
             CASE WHEN status IN ('sent', 'delivered', 'bounced', 'complained') THEN at + interval '1 minute' END,
             CASE WHEN status = 'delivered' THEN at + interval '2 minutes' END
        FROM plan
        CROSS JOIN LATERAL generate_series(0, reached) AS step
        CROSS JOIN LATERAL (SELECT entered_at + gap * step AS at, ${fraction('n * 16 + step', 11)} AS f) AS sent
        CROSS JOIN LATERAL (SELECT CASE WHEN f < 0.6 THEN 'delivered' WHEN f < 0.75 THEN 'sent' WHEN f < 0.85 THEN 'suppressed' WHEN f < 0.9 THEN 'skipped'
                                        WHEN f < 0.95 THEN 'failed' WHEN f < 0.98 THEN 'bounced' ELSE 'cancelled' END AS status) AS outcome
       WHERE templates[step + 1] IS NOT NULL`,
  );

  // The task a route state asks staff for: done or cancelled once the enrollment moved
  // on, open or claimed (some overdue) while it is still there.
  await fill(
    'staff_task',
    Prisma.sql`${plan}
      INSERT INTO staff_task (id, idempotency_key, enrollment_id, constituent_id, queue, title, due_at, status, assignee, outcome,
                              created_at, claimed_at, completed_at, completed_by)
      SELECT md5('task:' || enrollment_id || ':' || step)::uuid::text, enrollment_id || ':' || step || ':0', enrollment_id, constituent_id,
             queues[step + 1], titles[step + 1], at + interval '5 days', status::task_status,
             CASE WHEN status <> 'open' THEN 'staff-' || (n % 7) END,
             CASE WHEN status = 'completed' THEN 'reached' END,
             at,
             CASE WHEN status IN ('claimed', 'completed') THEN at + interval '1 hour' * (1 + 72 * f) END,
             CASE WHEN status = 'completed' THEN at + interval '1 hour' * (2 + 150 * f) END,
             CASE WHEN status = 'completed' THEN 'staff-' || (n % 7) END
        FROM plan
        CROSS JOIN LATERAL generate_series(0, reached) AS step
        CROSS JOIN LATERAL (SELECT entered_at + gap * step AS at, ${fraction('n * 16 + step', 12)} AS f) AS drawn
        CROSS JOIN LATERAL (SELECT CASE WHEN outcome = 'active' AND step = reached THEN CASE WHEN f < 0.5 THEN 'open' ELSE 'claimed' END
                                        WHEN f < 0.7 THEN 'completed' ELSE 'cancelled' END AS status) AS decided
       WHERE queues[step + 1] IS NOT NULL`,
  );

  // Statistics for the planner, and the visibility map a long-lived database has from
  // autovacuum (without it no plan can be answered from an index alone).
  const analyzed = performance.now();
  await db.$executeRawUnsafe('VACUUM ANALYZE');
  options.log?.(`vacuum analyze: ${((performance.now() - analyzed) / 1000).toFixed(1)} s`);

  const first = journeys[0]!;
  const [enrollment] = await db.$queryRaw<{ id: string }[]>`
    SELECT e.id FROM enrollment e WHERE e.journey_version_id = ${first.versionId}
       AND EXISTS (SELECT 1 FROM message m WHERE m.enrollment_id = e.id) ORDER BY e.entered_at DESC LIMIT 1`;
  const [queue] = await db.$queryRaw<{ queue: string }[]>`SELECT queue FROM staff_task GROUP BY queue ORDER BY count(*) DESC LIMIT 1`;
  const [heavy] = await db.$queryRaw<{ id: string }[]>`SELECT ${constituentId('1')} AS id`;
  return {
    now,
    journeyId: first.id,
    journeyVersionIds: [first.versionId],
    definitionStates: Object.keys(first.definition.states),
    constituentId: heavy!.id,
    enrollmentId: enrollment?.id ?? '',
    queue: queue?.queue ?? '',
    rows,
  };
}

/**
 * Runs a bulk load into `table` with its indexes and constraints dropped, then
 * creates each again from the definition PostgreSQL reports for it, all in one
 * transaction: a sort per index instead of a million random index insertions.
 */
async function withIndexesRebuilt(
  db: Database,
  table: string,
  log: ((line: string) => void) | undefined,
  load: (tx: Prisma.TransactionClient) => Promise<void>,
): Promise<void> {
  await db.$transaction(
    async (tx) => {
      const constraints = await tx.$queryRaw<{ name: string; definition: string }[]>`
        SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
         WHERE conrelid = ${table}::regclass AND contype IN ('p', 'u', 'f') ORDER BY contype, conname`;
      const indexes = await tx.$queryRaw<{ name: string; definition: string }[]>`
        SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         WHERE x.indrelid = ${table}::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)`;
      for (const { name } of constraints) await tx.$executeRawUnsafe(`ALTER TABLE "${table}" DROP CONSTRAINT "${name}"`);
      for (const { name } of indexes) await tx.$executeRawUnsafe(`DROP INDEX "${name}"`);
      await load(tx);
      const started = performance.now();
      await tx.$executeRawUnsafe(`SET LOCAL maintenance_work_mem = '256MB'`);
      for (const { definition } of indexes) await tx.$executeRawUnsafe(definition);
      for (const { name, definition } of constraints) await tx.$executeRawUnsafe(`ALTER TABLE "${table}" ADD CONSTRAINT "${name}" ${definition}`);
      log?.(`${table}: ${indexes.length} indexes and ${constraints.length} constraints built again in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    },
    { timeout: 30 * 60_000, maxWait: 60_000 },
  );
}

/**
 * The list queries the pages run besides the analytics, written as the API writes
 * them with Prisma, a page of 50 (plus one to tell whether there is a next page).
 */
export function pageQueries(db: Database, seeded: SeededVolume): Record<string, () => Promise<unknown>> {
  const take = 51;
  const { journeyId, constituentId, enrollmentId, queue, now } = seeded;
  const page = { at: new Date(now.getTime() - 90 * 86_400_000), id: 'ffffffff' };
  return {
    "a journey's enrollments, newest first": () =>
      db.enrollment.findMany({
        where: { journeyVersion: { journeyId } },
        orderBy: [{ enteredAt: 'desc' }, { id: 'desc' }],
        take,
        select: { id: true, status: true, currentState: true, enteredAt: true, journeyVersion: { select: { journeyId: true, version: true } } },
      }),
    "a journey's enrollments, a later page": () =>
      db.enrollment.findMany({
        where: { journeyVersionId: { in: seeded.journeyVersionIds }, OR: [{ enteredAt: { lt: page.at } }, { enteredAt: page.at, id: { lt: page.id } }] },
        orderBy: [{ enteredAt: 'desc' }, { id: 'desc' }],
        take,
      }),
    "a journey's active enrollments, newest first": () =>
      db.enrollment.findMany({ where: { journeyVersion: { journeyId }, status: 'active' }, orderBy: [{ enteredAt: 'desc' }, { id: 'desc' }], take }),
    "a constituent's events, newest first": () =>
      db.interactionEvent.findMany({ where: { constituentId }, orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }], take }),
    "a constituent's events, a later page": () =>
      db.interactionEvent.findMany({
        where: { constituentId, OR: [{ occurredAt: { lt: page.at } }, { occurredAt: page.at, id: { lt: page.id } }] },
        orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
        take,
      }),
    "a constituent's enrollments": () =>
      db.enrollment.findMany({ where: { constituentId }, orderBy: { enteredAt: 'desc' }, include: { journeyVersion: { select: { journeyId: true } } } }),
    "a constituent's journey steps, newest first": () =>
      db.enrollmentTransition.findMany({ where: { enrollment: { constituentId } }, orderBy: [{ at: 'desc' }, { id: 'desc' }], take }),
    "a constituent's messages, newest first": () =>
      db.message.findMany({ where: { constituentId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take }),
    "a constituent's tasks, newest first": () =>
      db.staffTask.findMany({ where: { constituentId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take }),
    "an enrollment's messages and tasks": () =>
      db.enrollment.findUnique({
        where: { id: enrollmentId },
        include: { transitions: { orderBy: { sequence: 'asc' } }, messages: { orderBy: { createdAt: 'asc' } }, tasks: { orderBy: { createdAt: 'asc' } } },
      }),
    "a queue's waiting tasks, soonest due first": () =>
      db.staffTask.findMany({
        where: { queue, status: { in: ['open', 'claimed'] } },
        orderBy: [{ dueAt: { sort: 'asc', nulls: 'last' } }, { createdAt: 'asc' }],
        take: 50,
      }),
    "a queue's overdue tasks": () =>
      db.staffTask.findMany({ where: { queue, status: { in: ['open', 'claimed'] }, dueAt: { lt: now } }, orderBy: { dueAt: 'asc' }, take: 50 }),
  };
}
