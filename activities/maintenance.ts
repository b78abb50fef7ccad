/**
 * Activities of Steward's scheduled upkeep: detecting drop-offs and escalating
 * overdue tasks. Detected events are stored first and then routed; if routing
 * fails they wait, stored, for the router's background pass.
 */
import type { Database } from '../src/db/client.ts';
import { detectDropOffs, type DropOffKind, type DropOffSettings } from '../src/events/drop-offs.ts';
import type { EventRouter } from '../src/events/router.ts';
import { escalateOverdueTasks } from '../src/tasks/escalation.ts';

export function createMaintenance(deps: { db: Database; router?: EventRouter | undefined }) {
  const { db, router } = deps;
  return {
    async detectDropOffs(input: { kind: DropOffKind; asOf: string; settings: DropOffSettings }): Promise<{ stored: number; routed: number }> {
      const ids = await detectDropOffs(db, input.kind, new Date(input.asOf), input.settings);
      let routed = 0;
      if (router) {
        for (const id of ids) {
          const event = await db.interactionEvent.findUniqueOrThrow({ where: { id } });
          try {
            await router.routeEvent(event);
            routed += 1;
          } catch {
            // Stored is enough: the router's background pass delivers it later.
          }
        }
      }
      return { stored: ids.length, routed };
    },

    async escalateOverdueTasks(input: { asOf: string; fallbackQueue: string }): Promise<string[]> {
      return escalateOverdueTasks(db, new Date(input.asOf), input.fallbackQueue);
    },
  };
}
