/**
 * Reading mapping files (`connectors/*.yaml`): each checked by the zod schema, every
 * problem reported with its line and column, so a mistake is found before a delivery.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { ConnectorDefinition } from './definition.ts';

export interface MappingProblem {
  file: string;
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export interface MappedConnector {
  file: string;
  definition: ConnectorDefinition;
  /** The HMAC secret, from STEWARD_CONNECTOR_SECRETS; without one every delivery is refused. */
  secret?: string | undefined;
  /** The line of a mapping entry (`deliveries.0.data.amount`), for located errors. */
  lineOf(mappingPath: string): number | undefined;
}

export type ReadMapping = { connector: MappedConnector } | { problems: MappingProblem[] };

/** Parses and checks one mapping text. */
export function readConnectorMapping(text: string, file: string): ReadMapping {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (document.errors.length > 0) {
    return { problems: document.errors.map((problem) => ({ file, path: '', message: problem.message.split('\n')[0]!, line: problem.linePos?.[0].line, column: problem.linePos?.[0].col })) };
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 50 });
  } catch (error) {
    return { problems: [{ file, path: '', message: (error as Error).message }] };
  }
  const place = (mappingPath: string) => placeOf(document, lineCounter, mappingPath);
  const parsed = ConnectorDefinition.safeParse(data);
  if (!parsed.success) {
    return { problems: parsed.error.issues.map((issue) => ({ file, ...locate(issue), ...place(issue.path.map(String).join('.')) })) };
  }
  return { connector: { file, definition: parsed.data, lineOf: (mappingPath) => place(mappingPath).line } };
}

/** Every mapping in a folder (a missing folder holds none); names must be distinct. */
export async function loadConnectorMappings(folder: string, secrets: Record<string, string> = {}): Promise<{ connectors: MappedConnector[]; problems: MappingProblem[] }> {
  let names: string[];
  try {
    names = (await readdir(folder)).filter((name) => /\.(ya?ml|json)$/i.test(name)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { connectors: [], problems: [] };
    throw error;
  }
  const connectors: MappedConnector[] = [];
  const problems: MappingProblem[] = [];
  for (const name of names) {
    const file = path.join(folder, name);
    const read = readConnectorMapping(await readFile(file, 'utf8'), file);
    if ('problems' in read) problems.push(...read.problems);
    else if (connectors.some((other) => other.definition.name === read.connector.definition.name)) {
      problems.push({ file, path: 'name', message: `connector "${read.connector.definition.name}" is also defined in another file`, line: read.connector.lineOf('name') });
    } else connectors.push({ ...read.connector, secret: secrets[read.connector.definition.name] });
  }
  return { connectors, problems };
}

/** `file:line:column: path: message`, as `steward journey validate` writes its findings. */
export function formatMappingProblem(problem: MappingProblem): string {
  return `${problem.file}${problem.line ? `:${problem.line}:${problem.column ?? 1}` : ''}: error: ${problem.path ? `${problem.path}: ` : ''}${problem.message}`;
}

/** A union's issue is told as the branch that got furthest, like the event schema's. */
function locate(issue: z.core.$ZodIssue): { path: string; message: string } {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const deepest = issue.errors.reduce((best, branch) => (Math.max(0, ...branch.map((inner) => inner.path.length)) > Math.max(0, ...best.map((inner) => inner.path.length)) ? branch : best));
    const inner = deepest[0];
    if (inner && inner.path.length > 0) return { path: [...issue.path, ...inner.path].map(String).join('.'), message: inner.message };
  }
  return { path: issue.path.map(String).join('.'), message: issue.message };
}

/** Line and column of the node at a dotted path, or of its nearest existing parent. */
function placeOf(document: Document, lineCounter: LineCounter, mappingPath: string): { line?: number; column?: number } {
  let node: unknown = document.contents;
  let offset: number | undefined = (node as { range?: [number] } | null)?.range?.[0];
  for (const key of mappingPath === '' ? [] : mappingPath.split('.')) {
    if (isMap(node)) {
      const pair = node.items.find((item) => String((item.key as { value?: unknown } | null)?.value ?? item.key) === key);
      if (!pair) break;
      offset = (pair.key as { range?: [number] } | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[Number(key)];
      if (!node) break;
      offset = (node as { range?: [number] }).range?.[0] ?? offset;
    } else break;
  }
  if (offset === undefined) return {};
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}
