/** Workflows for the workflow-thread tests: one that waits to be told to finish, one that computes for a while in one step. */
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const finish = defineSignal('finish');

export async function waitsToBeTold(): Promise<string> {
  let told = false;
  setHandler(finish, () => void (told = true));
  await condition(() => told);
  return 'finished';
}

/** Counts to `iterations` without yielding: one long step. */
export async function countsInOneStep(iterations: number): Promise<number> {
  let sum = 0;
  for (let index = 0; index < iterations; index += 1) sum = (sum + index) % 1_000_003;
  return sum;
}
