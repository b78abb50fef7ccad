/**
 * Applying a connector's mapping to a payload: the Steward event it becomes, or each
 * problem with the payload path it is at and the mapping entry that reads it (whose
 * line the catalog knows).
 */
import { describeIssues, InteractionEventInput } from '../../events/schema.ts';
import type { ConnectorDefinition, Transform, ValueSpec } from './definition.ts';

export interface MappingIssue {
  /** Where in the payload (`$.data.amount`), or the Steward field when the value read is wrong for it. */
  path: string;
  message: string;
  /** The mapping entry that reads it: `deliveries.0.data.amount`. */
  mappingPath?: string;
}

export type MappedPayload =
  | { deliveryId: string; kind: string; event: InteractionEventInput }
  | { deliveryId: string; kind: string; ignored: string }
  | { issues: MappingIssue[]; kind?: string };

const MAX_KEY_LENGTH = 200;

export function mapPayload(definition: ConnectorDefinition, payload: unknown): MappedPayload {
  const kindValue = definition.kind ? read(payload, definition.kind) : undefined;
  const kind = typeof kindValue === 'string' ? kindValue.slice(0, 200) : 'delivery';
  const key = read(payload, definition.idempotencyKey);
  if ((typeof key !== 'string' && typeof key !== 'number') || String(key).length === 0 || String(key).length > MAX_KEY_LENGTH) {
    return { issues: [{ path: definition.idempotencyKey, message: `must be the delivery's id (text or a number of 1 to ${MAX_KEY_LENGTH} characters)${key === undefined ? '; the payload has nothing here' : ''}`, mappingPath: 'idempotencyKey' }], kind };
  }
  const deliveryId = String(key);
  const index = definition.deliveries.findIndex((rule) => [rule.when.equals].flat().includes(String(read(payload, rule.when.path))));
  if (index < 0) return { deliveryId, kind, ignored: `no rule of the mapping takes a ${kind}` };
  const rule = definition.deliveries[index]!;
  const at = `deliveries.${index}`;
  const issues: MappingIssue[] = [];
  // Steward field -> where its value came from, to locate the event schema's complaints.
  const origins = new Map<string, { path: string; mappingPath: string }>();
  const value = (spec: ValueSpec, field: string, mappingPath: string): unknown => {
    if (typeof spec === 'string' || 'path' in spec) origins.set(field, { path: typeof spec === 'string' ? spec : spec.path, mappingPath });
    const result = valueOf(spec, payload);
    if ('problem' in result) {
      issues.push({ path: result.path, message: result.problem, mappingPath });
      return undefined;
    }
    return result.value;
  };
  const constituent = Object.fromEntries(
    Object.entries(rule.constituent).flatMap(([field, spec]) => {
      const got = spec === undefined ? undefined : value(spec, `constituent.${field}`, `${at}.constituent.${field}`);
      return got === undefined ? [] : [[field, got]];
    }),
  );
  const data = Object.fromEntries(
    Object.entries(rule.data).flatMap(([field, spec]) => {
      const got = value(spec, `data.${field}`, `${at}.data.${field}`);
      return got === undefined ? [] : [[field, got]];
    }),
  );
  const occurredAt = rule.occurredAt ? value(rule.occurredAt, 'occurredAt', `${at}.occurredAt`) : undefined;
  const eventId = rule.id ? value(rule.id, 'id', `${at}.id`) : deliveryId;
  if (issues.length > 0) return { issues, kind };
  const candidate = { id: `${definition.name}:${String(eventId)}`, type: rule.type, ...(occurredAt !== undefined ? { occurredAt } : {}), constituent, data };
  const parsed = InteractionEventInput.safeParse(candidate);
  if (!parsed.success) {
    return {
      kind,
      issues: describeIssues(parsed.error).map(({ path, message }) => {
        const origin = origins.get(path) ?? origins.get(path.split('.').slice(0, 2).join('.'));
        return origin ? { path: origin.path, message: `${path} ${message}`, mappingPath: origin.mappingPath } : { path, message, mappingPath: at };
      }),
    };
  }
  return { deliveryId, kind, event: parsed.data };
}

/** The value at a JSON path; undefined when any step is missing. */
export function read(payload: unknown, path: string): unknown {
  let node: unknown = payload;
  for (const [, name, index] of path.slice(1).matchAll(/\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]/g)) {
    if (node === null || typeof node !== 'object') return undefined;
    if (index !== undefined) node = Array.isArray(node) ? node[Number(index)] : undefined;
    else node = Array.isArray(node) || !Object.hasOwn(node, name!) ? undefined : (node as Record<string, unknown>)[name!];
  }
  return node;
}

type Read = { value: unknown } | { problem: string; path: string };

function valueOf(spec: ValueSpec, payload: unknown): Read {
  if (typeof spec === 'object' && 'constant' in spec) return { value: spec.constant };
  const { path, transform, currency, decimals, optional, prefix } = typeof spec === 'string' ? { path: spec } : spec;
  const raw = read(payload, path);
  if (raw === undefined || raw === null) return optional || typeof spec === 'string' ? { value: undefined } : { problem: 'the payload has nothing here', path };
  const result = transformed(raw, path, transform, payload, currency, decimals);
  if (prefix === undefined || 'problem' in result) return result;
  return typeof result.value === 'object' ? { problem: `must be text or a number to follow "${prefix}", not ${describe(result.value)}`, path } : { value: `${prefix}${String(result.value)}` };
}

function transformed(raw: unknown, path: string, transform: Transform | undefined, payload: unknown, currency: string | undefined, decimals: number | undefined): Read {
  switch (transform) {
    case undefined:
      return { value: raw };
    case 'upper':
    case 'lower':
      if (typeof raw !== 'string') return { problem: `must be text to put in ${transform === 'upper' ? 'capitals' : 'lower case'}, not ${describe(raw)}`, path };
      return { value: transform === 'upper' ? raw.toUpperCase() : raw.toLowerCase() };
    case 'string':
      return typeof raw === 'object' ? { problem: `must be text, a number or a flag, not ${describe(raw)}`, path } : { value: String(raw) };
    case 'number': {
      const number = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
      return Number.isFinite(number) ? { value: number } : { problem: `must be a number, not ${describe(raw)}`, path };
    }
    case 'date':
      return dateOf(raw, path);
    case 'minor-units':
      return minorUnits(raw, path, decimals ?? (currency ? currencyDecimals(read(payload, currency)) : undefined), currency);
  }
}

function dateOf(raw: unknown, path: string): Read {
  const instant = typeof raw === 'number' ? new Date(raw * 1000) : typeof raw === 'string' ? new Date(raw) : undefined;
  if (!instant || Number.isNaN(instant.getTime())) return { problem: `must be a date (ISO 8601 or Unix seconds), not ${describe(raw)}`, path };
  return { value: instant.toISOString() };
}

function minorUnits(raw: unknown, path: string, decimals: number | undefined, currencyPath: string | undefined): Read {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw)) return { problem: `must be a whole number of minor units (cents), not ${describe(raw)}`, path };
  if (decimals === undefined) return { problem: 'must be an ISO 4217 currency code, to know the size of its minor unit', path: currencyPath ?? path };
  return { value: raw / 10 ** decimals };
}

/** Decimals of a currency's minor unit per ISO 4217 (JPY 0, USD 2, KWD 3). */
function currencyDecimals(code: unknown): number | undefined {
  if (typeof code !== 'string' || !/^[A-Za-z]{3}$/.test(code)) return undefined;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: code.toUpperCase() }).resolvedOptions().maximumFractionDigits;
  } catch {
    return undefined;
  }
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : JSON.stringify(value).slice(0, 60);
}
