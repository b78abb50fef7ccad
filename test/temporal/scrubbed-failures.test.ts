import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { scrubError } from '../../src/temporal/scrubbed-failures.ts';

describe('an activity failure kept in history', () => {
  it('loses the addresses and numbers it quoted, in its message, its stack and its causes', () => {
    const refusal = new Error('Message failed: 450 4.2.0 <ada@example.org>: Recipient address rejected');
    const failure = new Error("The 'To' number +1 415 555 2671 is not a valid phone number", { cause: refusal });
    expect(scrubError(failure)).toBe(failure);
    expect(failure.message).toBe("The 'To' number [phone] is not a valid phone number");
    expect(failure.stack).not.toContain('555 2671');
    expect(refusal.message).toBe('Message failed: 450 4.2.0 <[email]>: Recipient address rejected');
    expect(refusal.stack).not.toContain('ada@example.org');
  });

  it('keeps what Temporal acts on: the failure type, its details and whether to retry', () => {
    const failure = ApplicationFailure.create({ type: 'SendInProgress', message: 'sending to ada@example.org', details: [{ messageId: 'm1' }], nonRetryable: false, nextRetryDelay: '5s' });
    const scrubbed = scrubError(failure);
    expect(scrubbed).toBeInstanceOf(ApplicationFailure);
    expect(scrubbed).toMatchObject({ type: 'SendInProgress', message: 'sending to [email]', details: [{ messageId: 'm1' }], nonRetryable: false, nextRetryDelay: '5s' });
  });

  it('drops causes past five deep rather than keep what it did not read', () => {
    let error: Error = new Error('deepest ada@example.org');
    for (let depth = 0; depth < 7; depth += 1) error = new Error(`level ${depth}`, { cause: error });
    scrubError(error);
    let depth = 0;
    for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) depth += 1;
    expect(depth).toBe(6);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('ada@');
  });
});
