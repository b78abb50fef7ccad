/**
 * No personal data in workflow histories, for failures too. Temporal keeps an
 * activity's failure in the workflow's history (a local activity's in its marker,
 * an ordinary activity's last failure when it ends or is retried), message and
 * stack as the error had them. Providers quote what they refused, address or
 * number included, so every activity's error leaves the worker scrubbed
 * (`src/privacy/scrub.ts`), its causes too. Type, details and retry settings are
 * kept: the error is changed in place, not replaced.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { scrub } from '../privacy/scrub.ts';

/** How deep an error's causes are scrubbed: past it, causes are dropped. */
const MAX_CAUSES = 5;

/** The error, its message, stack and causes scrubbed in place; returns it. */
export function scrubError<T>(error: T, depth = 0): T {
  if (!(error instanceof Error)) return error;
  error.message = scrub(error.message);
  if (error.stack) error.stack = scrub(error.stack);
  if (error.cause !== undefined) {
    if (depth < MAX_CAUSES) scrubError(error.cause, depth + 1);
    else error.cause = undefined;
  }
  return error;
}

/** For the worker's `interceptors.activity`: every activity's failure scrubbed before the SDK reports it. */
export const scrubActivityFailures: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (error) {
        throw scrubError(error);
      }
    },
  },
});
