/**
 * The workflow code is evaluated afresh, module by module, for every enrollment the
 * worker starts or replays (the SDK keeps workflows apart that way, even in one
 * shared V8 context). What it imports is paid for on each: the zod schemas of the
 * journey format once cost a third of the workflow thread's time. Definitions come
 * parsed from the loadJourney activity, so the workflow code loads no zod.
 */
import { describe, expect, it } from 'vitest';
import { packagesReachedFrom } from '../support/import-graph.ts';

describe('what the workflow code loads', () => {
  it('is the SDK and XState, without the schemas of the journey format', () => {
    const reached = packagesReachedFrom('workflows/index.ts');
    expect(reached).toContain('@temporalio/workflow');
    expect(reached).toContain('xstate');
    expect(reached).not.toContain('zod');
  });
});
