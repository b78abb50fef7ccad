/** Baseline workflows: a trivial one for signalWithStart, and a sleeper for the worker's memory. Deterministic code only. */
import { condition, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

export const poke = defineSignal('poke');

export async function trivialWorkflow(): Promise<void> {
  let poked = false;
  setHandler(poke, () => {
    poked = true;
  });
  await condition(() => poked);
}

/** What a baseline sleeper reports once it is asleep (an activity of the bare worker). */
export interface SleeperActivities {
  asleep(): Promise<void>;
}

const { asleep } = proxyActivities<SleeperActivities>({ startToCloseTimeout: '1 minute' });

/** The baseline for a sleeping enrollment: started by a signal, it says so once and sleeps 30 days. */
export async function sleepingWorkflow(): Promise<void> {
  let poked = false;
  setHandler(poke, () => {
    poked = true;
  });
  await condition(() => poked);
  await asleep();
  await sleep('30 days');
}
