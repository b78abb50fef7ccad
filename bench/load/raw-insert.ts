/**
 * Baseline for intake: the bare durable write of one event, `INSERT … ON CONFLICT
 * DO NOTHING` of a row shaped like interaction_event, into a scratch table the
 * benchmark creates and drops, on the same database as Steward.
 */
import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { runId } from './gifts.ts';
import type { Operation } from './load.ts';

export interface ScratchTable {
  insert(phase: string): Operation;
  drop(): Promise<void>;
}

export async function createScratchTable(db: pg.Pool): Promise<ScratchTable> {
  const table = `bench_load_event_${runId}`;
  await db.query(`CREATE TABLE ${table} (
    id text PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    payload_hash char(64),
    type text NOT NULL,
    constituent_id text NOT NULL,
    data jsonb NOT NULL,
    amount numeric(14, 2),
    currency char(3),
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    routed_at timestamptz
  )`);
  const sql = `INSERT INTO ${table} (id, idempotency_key, payload_hash, type, constituent_id, data, amount, currency, occurred_at)
    VALUES ($1, $2, $3, 'donation', $4, $5, $6, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING`;
  return {
    insert: (phase) => async (n) => {
      const key = `raw-${phase}-${n}`;
      const data = JSON.stringify({ amount: 25, currency: 'USD' });
      await db.query(sql, [randomUUID(), key, createHash('sha256').update(key + data).digest('hex'), randomUUID(), data, 25, 'USD', new Date()]);
      return 200;
    },
    async drop() {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
    },
  };
}
