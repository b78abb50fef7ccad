/**
 * Input no route should ever see: strings PostgreSQL cannot store (U+0000, half a
 * surrogate pair), bodies nested deeper than any Steward contract, query values
 * longer than any field they could fill. Checked once, on every route, after the
 * body is parsed and before the route's own schema, so each refusal is a 400
 * naming the field rather than a database error deep in a handler.
 */
import type { FastifyInstance } from 'fastify';
import type { ErrorIssue } from './errors.ts';

/** Objects and arrays a JSON body may nest, the body itself counted: event data has room to spare. */
export const MAX_DEPTH = 32;
/** Longest query value; every field a query can filter on is shorter. */
export const MAX_QUERY_VALUE_LENGTH = 2_000;
/** A request with many bad strings is told about the first few. */
const MAX_ISSUES = 20;

/** A refused request: the error handler answers 400 with these issues, in the route's own words. */
export class InputError extends Error {
  readonly statusCode = 400;
  constructor(readonly issues: ErrorIssue[]) {
    super('Invalid request');
  }
}

// PostgreSQL text and jsonb hold neither U+0000 nor a lone surrogate (UTF-8 has no encoding for it).
const UNSTORABLE = /\u0000|\p{Cs}/u;

/** What is wrong with a string Steward could not store, if anything. */
export function stringProblem(text: string): string | undefined {
  const found = UNSTORABLE.exec(text)?.[0];
  if (found === undefined) return undefined;
  return found === '\u0000' ? 'must not contain the NUL character (U+0000)' : 'must be valid Unicode: it holds half of a surrogate pair';
}

/** One value met on the walk; the path is rebuilt from its parents only when it is reported. */
interface Visit {
  value: unknown;
  key: string | number | undefined;
  parent: Visit | undefined;
  depth: number;
}

function pathOf(visit: Visit): string {
  const keys: (string | number)[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
}

/** Objects and arrays the walk goes into; bytes (a raw body a route asked for) are the route's to read. */
function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value);
}

/** What is wrong with one value met on the walk: its field name, its text, or its depth. */
function problemOf({ key, value, depth }: Visit, maxStringLength: number | undefined): string | undefined {
  const keyProblem = typeof key === 'string' ? stringProblem(key) : undefined;
  if (keyProblem) return `its name ${keyProblem}`;
  if (typeof value === 'string') return stringProblem(value) ?? (maxStringLength !== undefined && value.length > maxStringLength ? `is longer than ${maxStringLength} characters` : undefined);
  return isContainer(value) && depth >= MAX_DEPTH ? `nests more than ${MAX_DEPTH} levels deep` : undefined;
}

/**
 * Every unstorable string (names of fields too) and every value nested past
 * MAX_DEPTH in a parsed body, query or path. Walks with its own stack, so a
 * body nested 100,000 deep costs a loop, not the call stack.
 */
export function hostileParts(root: unknown, options: { maxStringLength?: number } = {}): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  const stack: Visit[] = [{ value: root, key: undefined, parent: undefined, depth: 0 }];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const visit = stack.pop()!;
    const problem = problemOf(visit, options.maxStringLength);
    if (problem) issues.push({ path: pathOf(visit), message: problem });
    if (problem || !isContainer(visit.value)) continue;
    const entries: [string | number, unknown][] = Array.isArray(visit.value) ? visit.value.map((item, index) => [index, item]) : Object.entries(visit.value);
    // Pushed last to first, so problems are reported in the order they were written.
    for (let index = entries.length - 1; index >= 0; index -= 1) {
      const [key, value] = entries[index]!;
      stack.push({ value, key, parent: visit, depth: visit.depth + 1 });
    }
  }
  return issues;
}

/** Refuses, before any route's schema or handler, a request carrying input Steward cannot store. */
export function registerInputHygiene(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const issues = [
      ...hostileParts(request.params),
      ...hostileParts(request.query, { maxStringLength: MAX_QUERY_VALUE_LENGTH }),
      ...hostileParts(request.body),
    ];
    if (issues.length > 0) throw new InputError(issues.slice(0, MAX_ISSUES));
  });
}
