import { describe, expect, it } from 'vitest';
import { asInteractive, currentPriority, type Priority } from '../../src/db/priority-pool.ts';
import { createRoutingPump } from '../../src/events/routing-pump.ts';

describe('the routing pump', () => {
  it('routes at prompt priority, after requests, also when a request kicked it', async () => {
    const seen: Priority[] = [];
    const pump = createRoutingPump({
      router: {
        routePending: async () => {
          seen.push(currentPriority());
          await new Promise((resolve) => setImmediate(resolve));
          seen.push(currentPriority());
          return 0;
        },
      },
    });
    asInteractive(() => pump.kick());
    await pump.idle();
    pump.kick();
    await pump.idle();
    expect(seen).toEqual(['prompt', 'prompt', 'prompt', 'prompt']);
    await pump.stop();
  });

  it('runs one more pass for a kick that came while a pass was under way, and stops when a pass finds less than a batch', async () => {
    let passes = 0;
    let kickDuringFirst: (() => void) | undefined;
    const pump = createRoutingPump({
      batchSize: 10,
      router: {
        routePending: async () => {
          passes += 1;
          if (passes === 1) kickDuringFirst?.();
          return 3;
        },
      },
    });
    kickDuringFirst = () => pump.kick();
    pump.kick();
    await pump.idle();
    expect(passes).toBe(2);
    await pump.stop();
  });
});
