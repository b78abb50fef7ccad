/**
 * Hostile variations of a request: one thing changed, in the body, the query, the
 * path or on the wire, the way a buggy integration or an attacker would change it.
 * Each mutation is plain data, so fast-check can shrink a failing one and print it.
 */
import fc from 'fast-check';
import { percentEncode, type WireRequest } from './wire.ts';

export interface ApiRequest {
  method: string;
  /** Fastify's route, e.g. `/journeys/:id/versions/:version`. */
  route: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body?: unknown;
  /** Path parameters already %-escaped, bytes a mutation chose (`%00`, `%ED%A0%80`). */
  rawParams?: Record<string, string>;
  /** How the body goes on the wire when not as well-formed JSON. */
  wire?: WireForm;
}

export type WireForm = 'truncated-json' | 'text/plain' | 'no-content-type' | 'empty-json' | 'form-urlencoded' | 'content-length-not-a-number' | 'content-length-short' | 'length-and-chunked';

export type Mutation =
  | { kind: 'none' }
  | { kind: 'set'; pick: number; value: unknown }
  | { kind: 'insert'; pick: number; text: string; at: number }
  | { kind: 'deepen'; pick: number; depth: number }
  | { kind: 'drop'; pick: number }
  | { kind: 'extra'; pick: number; key: string; value: unknown }
  | { kind: 'raw-param'; pick: number; raw: string }
  | { kind: 'yaml'; text: string }
  | { kind: 'wire'; form: WireForm };

const BROKEN_TEXT = ['\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\udbff', '\ud83d'];
const OUT_OF_RANGE_DATES = [
  '0000-01-01T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '1899-12-31T23:59:59Z',
  '1900-01-01T00:30:00+01:00',
  '2201-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00Z',
  '2024-02-30T00:00:00Z',
];
const ODD_NUMBERS = [0, -0, -1, 0.5, 1e-320, 2 ** 31, 2 ** 31 - 1, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308];
const RAW_PARAMS = ['%00', '%ED%A0%80', '%E0%A4%A', '%C0%AF', '%ZZ', '%', '..', '%2F', '%25', 'a'.repeat(501), '%F0%9F%98%80'.repeat(150), '%20'];

function nestedYaml(depth: number): string {
  return `id: deep\nname: Deep\ntrigger:\n  event: donation\ninitial: a\nstates:\n  a:\n    entry: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
}
const laughs = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...'bcdefghi'.split('').map((name, index) => `${name}: &${name} [${Array(9).fill(`*${'abcdefghi'[index]}`).join(', ')}]`)].join('\n');
const YAML_TEXTS = [laughs, 'id: &a\n  - *a\n', `id: x\nname: &n N\ndescription: ${Array(60).fill('*n').join(' ')}\n`, 'id: *nowhere\n', nestedYaml(40), nestedYaml(2_000), '{'.repeat(10_000), '- '.repeat(3_000)];

/** One hostile change to a request; `pick` chooses the field it lands on. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      pick: fc.nat(),
      value: fc.oneof(fc.constantFrom(...BROKEN_TEXT, ...OUT_OF_RANGE_DATES, ...ODD_NUMBERS), fc.integer({ min: 150, max: 6_000 }).map((length) => 'x'.repeat(length)), fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary' })),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('insert' as const), pick: fc.nat(), text: fc.constantFrom(...BROKEN_TEXT), at: fc.nat() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('deepen' as const), pick: fc.nat(), depth: fc.oneof(fc.integer({ min: 28, max: 40 }), fc.integer({ min: 1_000, max: 20_000 })) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('extra' as const), pick: fc.nat(), key: fc.oneof(fc.string(), fc.constantFrom(...BROKEN_TEXT, '__proto__', 'constructor')), value: fc.jsonValue({ maxDepth: 2 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('raw-param' as const), pick: fc.nat(), raw: fc.constantFrom(...RAW_PARAMS) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('yaml' as const), text: fc.oneof(fc.constantFrom(...YAML_TEXTS), fc.string({ maxLength: 200 })) }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('wire' as const),
      form: fc.constantFrom<WireForm>('truncated-json', 'text/plain', 'no-content-type', 'empty-json', 'form-urlencoded', 'content-length-not-a-number', 'content-length-short', 'length-and-chunked'),
    }),
    weight: 2,
  },
);

type Slot = { in: 'body'; path: (string | number)[] } | { in: 'query'; key: string } | { in: 'params'; key: string };

/** Every place a mutation can land: each value in the body (nested ones too), each query and path parameter. */
function slotsOf(request: ApiRequest): Slot[] {
  const slots: Slot[] = [...Object.keys(request.params).map((key) => ({ in: 'params' as const, key })), ...Object.keys(request.query).map((key) => ({ in: 'query' as const, key }))];
  const stack: (string | number)[][] = request.body !== undefined ? [[]] : [];
  while (stack.length > 0) {
    const path = stack.pop()!;
    slots.push({ in: 'body', path });
    const value = valueAt(request.body, path);
    if (Array.isArray(value)) value.forEach((_item, index) => stack.push([...path, index]));
    else if (value && typeof value === 'object') for (const key of Object.keys(value)) stack.push([...path, key]);
  }
  return slots;
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((value, key) => (value as Record<string | number, unknown> | undefined)?.[key], root);
}

/** Writes `value` at `path` in a body the request owns (it was cloned); the empty path replaces the body. */
function setAt(request: ApiRequest, path: (string | number)[], value: unknown): void {
  if (path.length === 0) {
    request.body = value;
    return;
  }
  const parent = valueAt(request.body, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path.at(-1)!] = value;
}

function dropAt(request: ApiRequest, path: (string | number)[]): void {
  if (path.length === 0) return void (request.body = undefined);
  const parent = valueAt(request.body, path.slice(0, -1)) as Record<string | number, unknown> | unknown[];
  if (Array.isArray(parent)) parent.splice(Number(path.at(-1)), 1);
  else delete parent[path.at(-1)!];
}

const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value) ?? '');
/** A stand-in the JSON writer leaves alone; `toWire` swaps it for nesting too deep to build as objects. */
export const deepMarker = (depth: number) => `\u0001deep:${depth}\u0001`;

function apply(request: ApiRequest, slot: Slot, change: (current: unknown) => unknown): void {
  if (slot.in === 'body') setAt(request, slot.path, change(valueAt(request.body, slot.path)));
  else request[slot.in][slot.key] = asText(change(request[slot.in][slot.key]));
}

/** The request with one mutation applied; the original is left as it was. */
export function mutate(original: ApiRequest, change: Mutation): ApiRequest {
  const request: ApiRequest = structuredClone(original);
  const slots = slotsOf(request);
  const slot = 'pick' in change && slots.length > 0 ? slots[change.pick % slots.length] : undefined;
  switch (change.kind) {
    case 'none':
      return request;
    case 'set':
      if (slot) apply(request, slot, () => change.value);
      return request;
    case 'insert':
      if (slot) apply(request, slot, (current) => (typeof current === 'string' ? current.slice(0, change.at % (current.length + 1)) + change.text + current.slice(change.at % (current.length + 1)) : change.text));
      return request;
    case 'deepen':
      if (slot) apply(request, slot, () => (slot.in === 'body' ? deepMarker(change.depth) : '['.repeat(change.depth)));
      return request;
    case 'drop':
      if (slot?.in === 'body') dropAt(request, slot.path);
      else if (slot) delete request[slot.in][slot.key];
      return request;
    case 'extra': {
      const target = slot?.in === 'body' ? valueAt(request.body, slot.path) : undefined;
      if (target && typeof target === 'object' && !Array.isArray(target)) (target as Record<string, unknown>)[change.key] = change.value;
      else request.query[change.key] = asText(change.value);
      return request;
    }
    case 'raw-param': {
      const names = Object.keys(request.params);
      if (names.length > 0) request.rawParams = { ...request.rawParams, [names[change.pick % names.length]!]: change.raw };
      return request;
    }
    case 'yaml':
      if (request.body && typeof request.body === 'object' && 'source' in request.body) (request.body as { source: unknown }).source = change.text;
      return request;
    case 'wire':
      if (request.body !== undefined) request.wire = change.form;
      return request;
  }
}

/** The request as bytes: its path and query %-escaped, its body JSON unless `wire` says otherwise. */
export function toWire(request: ApiRequest, headers: Record<string, string>): WireRequest {
  const path = request.route.replace(/:(\w+)/g, (_match, name: string) => request.rawParams?.[name] ?? percentEncode(request.params[name] ?? ''));
  const query = Object.entries(request.query).map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`);
  const url = query.length > 0 ? `${path}?${query.join('&')}` : path;
  if (request.body === undefined) return { method: request.method, url, headers };
  const json = JSON.stringify(request.body).replace(/"\\u0001deep:(\d+)\\u0001"/g, (_match, depth: string) => `${'['.repeat(Number(depth))}1${']'.repeat(Number(depth))}`);
  const body = { method: request.method, url, headers: { ...headers, 'content-type': 'application/json' }, body: json };
  switch (request.wire) {
    case undefined:
      return body;
    case 'truncated-json':
      return { ...body, body: json.slice(0, Math.floor(json.length / 2)) };
    case 'text/plain':
    case 'form-urlencoded':
      return { ...body, headers: { ...headers, 'content-type': request.wire === 'text/plain' ? 'text/plain' : 'application/x-www-form-urlencoded' } };
    case 'no-content-type':
      return { ...body, headers };
    case 'empty-json':
      return { ...body, body: '' };
    case 'content-length-not-a-number':
      return { ...body, headers: { ...body.headers, 'content-length': 'twelve' } };
    case 'content-length-short':
      return { ...body, headers: { ...body.headers, 'content-length': String(Math.max(0, Buffer.byteLength(json) - 3)) } };
    case 'length-and-chunked':
      return { ...body, headers: { ...body.headers, 'transfer-encoding': 'chunked' } };
  }
}
