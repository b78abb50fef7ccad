/**
 * Group commit for single events: while one store is under way, the events that
 * arrive meanwhile wait and are then stored together, in one transaction of a few
 * set-based statements (`storeEvents`), instead of one transaction each. One
 * caller alone waits for nothing; a burst pays per group, not per gift.
 *
 * Each caller keeps its own answer. A group refused as a whole because of one of
 * its events (an id used for other content, a refund of an unknown gift) or any
 * other failure is stored again one event at a time, in arrival order, so each
 * caller gets what storing its event alone would have given.
 */
import type { InteractionEventInput } from './schema.ts';
import type { StoredEvent, StoreOptions } from './store.ts';

export type StoreMany = (inputs: readonly InteractionEventInput[], options?: StoreOptions) => Promise<StoredEvent[]>;

export interface GroupCommitOptions {
  /** Most events stored in one transaction. */
  maxGroup?: number;
  /** Groups being stored at once: 1 where the database has one connection, a few on a server. */
  maxInFlight?: number;
}

interface Pending {
  input: InteractionEventInput;
  resolve(stored: StoredEvent): void;
  reject(error: unknown): void;
}

export type GroupCommit = ReturnType<typeof createGroupCommit>;

export function createGroupCommit(storeMany: StoreMany, options: GroupCommitOptions = {}) {
  const maxGroup = options.maxGroup ?? 500;
  const maxInFlight = options.maxInFlight ?? 1;
  const queue: Pending[] = [];
  let inFlight = 0;

  function startGroups(): void {
    while (inFlight < maxInFlight && queue.length > 0) {
      const group = queue.splice(0, maxGroup);
      inFlight += 1;
      void storeGroup(group).finally(() => {
        inFlight -= 1;
        startGroups();
      });
    }
  }

  async function storeGroup(group: readonly Pending[]): Promise<void> {
    try {
      const stored = await storeMany(group.map(({ input }) => input));
      group.forEach((pending, index) => pending.resolve(stored[index]!));
      return;
    } catch (error) {
      if (group.length === 1) return group[0]!.reject(error);
    }
    for (const pending of group) {
      await storeMany([pending.input]).then(([stored]) => pending.resolve(stored!), pending.reject);
    }
  }

  return {
    /** Stores one event (with whatever else arrives meanwhile); resolves once it is durable. */
    store(input: InteractionEventInput): Promise<StoredEvent> {
      return new Promise<StoredEvent>((resolve, reject) => {
        queue.push({ input, resolve, reject });
        startGroups();
      });
    },
  };
}
