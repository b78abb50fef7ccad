/**
 * Hands outbox rows to Temporal: each delivery not yet dispatched (new, or asked to
 * be replayed) gets its delivery workflow, under an id derived from the delivery
 * and its replay count, so a row dispatched twice (two processes, a crash between
 * start and mark) still starts one workflow. Runs when kicked and every few
 * seconds, for rows other processes wrote.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { unavailablePart } from '../api/unavailable.ts';
import type { Database } from '../db/client.ts';
import { webhookWorkflowId } from './workflow-ids.ts';

export interface WebhookDispatcherOptions {
  db: Database;
  temporal: Client;
  taskQueue: string;
  /** Deliveries started per pass. */
  batchSize?: number;
  log?: (line: string) => void;
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;

export function createWebhookDispatcher(options: WebhookDispatcherOptions) {
  const { db, temporal, taskQueue } = options;
  const batchSize = options.batchSize ?? 100;
  const log = options.log ?? (() => {});
  let running: Promise<void> | undefined;
  let kicked = false;
  let stopped = false;
  let interval: NodeJS.Timeout | undefined;

  /** Starts the workflow of every delivery waiting in the outbox (one batch); returns how many. */
  async function dispatchPending(): Promise<number> {
    const waiting = await db.webhookDelivery.findMany({
      where: { dispatchedAt: null },
      select: { id: true, replays: true },
      orderBy: { createdAt: 'asc' },
      take: batchSize,
    });
    for (const delivery of waiting) {
      try {
        await temporal.workflow.start('deliverWebhookWorkflow', {
          workflowId: webhookWorkflowId(delivery),
          taskQueue,
          args: [{ deliveryId: delivery.id }],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      // Only this replay is marked: a replay asked for meanwhile stays waiting.
      await db.webhookDelivery.updateMany({ where: { id: delivery.id, replays: delivery.replays }, data: { dispatchedAt: new Date() } });
    }
    return waiting.length;
  }

  async function drain(): Promise<void> {
    for (let pass = 0; !stopped; pass += 1) {
      kicked = false;
      let started: number;
      try {
        started = await dispatchPending();
      } catch (error) {
        const part = unavailablePart(error);
        log(`webhooks wait to be dispatched${part ? ` for ${part === 'database' ? 'the database' : 'Temporal'}` : ''}: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      if (started < batchSize && !kicked) return;
    }
  }

  function kick(): void {
    kicked = true;
    if (running || stopped) return;
    running = drain().finally(() => (running = undefined));
  }

  return {
    dispatchPending,
    /** Something was written to the outbox: dispatch it soon. */
    kick,
    /** Also look every `intervalMs` for rows nobody kicked about. */
    start(intervalMs = 2_000): void {
      interval ??= setInterval(kick, intervalMs);
      interval.unref();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (interval) clearInterval(interval);
      await running;
    },
  };
}
