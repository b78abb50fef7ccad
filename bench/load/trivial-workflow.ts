/** The baseline workflow for signalWithStart: started by a signal, done when it has it. Deterministic code only. */
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const poke = defineSignal('poke');

export async function trivialWorkflow(): Promise<void> {
  let poked = false;
  setHandler(poke, () => {
    poked = true;
  });
  await condition(() => poked);
}
