/** The check every request's body, query and path pass before any route sees them. */
import { describe, expect, it } from 'vitest';
import { hostileParts, MAX_DEPTH, stringProblem } from '../../src/api/input-hygiene.ts';

describe('stringProblem', () => {
  it.each([
    ['a\u0000b', /NUL/],
    ['\ud800', /surrogate/],
    ['x\udfff', /surrogate/],
    ['\udc00\ud800', /surrogate/],
  ])('names what PostgreSQL cannot store in %j', (text, problem) => {
    expect(stringProblem(text)).toMatch(problem);
  });

  it.each(['', 'Grace Hopper', 'Zoë 😀 日本', '\u0001\u001f\ufffd', '\ud83d\ude00'])('passes %j', (text) => {
    expect(stringProblem(text)).toBeUndefined();
  });
});

describe('hostileParts', () => {
  it('names every bad string and field name by its path, in the order they were written', () => {
    const body = { id: 'a\u0000', events: [{ data: { ok: 'fine', note: '\ud800' } }], ['k\u0000']: 1 };
    expect(hostileParts(body)).toEqual([
      { path: 'id', message: expect.stringMatching(/NUL/) },
      { path: 'events.0.data.note', message: expect.stringMatching(/surrogate/) },
      { path: 'k\u0000', message: expect.stringMatching(/^its name must not contain the NUL/) },
    ]);
  });

  it(`takes ${MAX_DEPTH} levels, the value itself counted, and names the first past them`, () => {
    const nested = (depth: number) => {
      let value: unknown = 1;
      for (let level = 0; level < depth; level += 1) value = [value];
      return value;
    };
    expect(hostileParts(nested(MAX_DEPTH))).toEqual([]);
    expect(hostileParts(nested(MAX_DEPTH + 1))).toEqual([{ path: Array(MAX_DEPTH).fill(0).join('.'), message: `nests more than ${MAX_DEPTH} levels deep` }]);
  });

  it('walks a value nested 200,000 deep without running out of stack', () => {
    const text = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(hostileParts(JSON.parse(text))).toHaveLength(1);
  });

  it('refuses a string past the given length, and only where a length is given', () => {
    expect(hostileParts({ q: 'x'.repeat(11) }, { maxStringLength: 10 })).toEqual([{ path: 'q', message: 'is longer than 10 characters' }]);
    expect(hostileParts({ q: 'x'.repeat(11) })).toEqual([]);
  });

  it('leaves bytes to the route that asked for them', () => {
    expect(hostileParts(Buffer.from([0, 0xed, 0xa0, 0x80]))).toEqual([]);
  });
});
