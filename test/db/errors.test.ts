import { describe, expect, it } from 'vitest';
import { isUniqueViolation } from '../../src/db/errors.ts';

describe('isUniqueViolation', () => {
  it('knows a unique violation from the query builder and from a raw query', () => {
    expect(isUniqueViolation({ code: 'P2002', meta: { target: ['email'] } })).toBe(true);
    expect(isUniqueViolation({ code: 'P2010', meta: { code: '23505' } })).toBe(true);
  });

  it('takes nothing else for one', () => {
    expect(isUniqueViolation({ code: 'P2010', meta: { code: '40001' } })).toBe(false);
    expect(isUniqueViolation({ code: 'P2025' })).toBe(false);
    expect(isUniqueViolation(new Error('duplicate key value violates unique constraint'))).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
    expect(isUniqueViolation('P2002')).toBe(false);
  });
});
