/**
 * Reading journey files (YAML, JSON or TypeScript) so that every finding can point at
 * its line and column. JSON must be strict JSON; then both it and YAML are read with
 * the YAML parser (JSON is a subset of YAML 1.2), which keeps each node's position.
 * A TypeScript journey is the module's exported definition, checked by the same schema.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { formatPath, validateJourney, type Diagnostic, type DiagnosticPath, type ValidationCatalog } from './validate.ts';
import type { JourneyDefinition } from './definition.ts';

export interface LocatedDiagnostic extends Diagnostic {
  file: string;
  line?: number;
  column?: number;
}

export interface LoadedJourney {
  file: string;
  /** The text as read, for YAML and JSON files: stored with the version so the app shows the file as written. */
  text?: string;
  definition?: JourneyDefinition;
  diagnostics: LocatedDiagnostic[];
}

/**
 * Alias expansions a journey text may make: room to reuse a block a few times, far
 * short of a "billion laughs" text, whose few lines expand exponentially.
 */
export const MAX_ALIAS_EXPANSIONS = 50;

/** Parses and validates one journey source text. */
export function readJourneySource(text: string, file: string, catalog: ValidationCatalog): LoadedJourney {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    // The parser reads nested collections by recursion and reports running out of stack,
    // once for each level it was in: the first says it.
    const tooDeep = document.errors.find((problem) => /call stack/i.test(problem.message));
    return {
      file,
      diagnostics: (tooDeep ? [tooDeep] : document.errors).map((problem) => {
        const position = problem.linePos?.[0];
        const message = problem === tooDeep ? 'nests too deeply to read' : problem.message.split('\n')[0]!;
        return { severity: 'error', path: [], message, file, line: position?.line, column: position?.col };
      }),
    };
  }
  const data = plainData(document, lineCounter, file);
  if ('refused' in data) return { file, diagnostics: [data.refused] };
  const result = validateJourney(data.value, catalog);
  const diagnostics = result.diagnostics.map((diagnostic) => ({
    ...diagnostic,
    file,
    ...position(document, lineCounter, diagnostic.path),
  }));
  return result.ok ? { file, definition: result.definition, diagnostics } : { file, diagnostics };
}

export async function loadJourneyFile(file: string, catalog: ValidationCatalog): Promise<LoadedJourney> {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.ts' || extension === '.mts') return loadTypeScriptJourney(file, catalog);
  if (!['.yaml', '.yml', '.json'].includes(extension)) {
    return { file, diagnostics: [{ severity: 'error', path: [], message: 'a journey file ends in .yaml, .yml, .json or .ts', file }] };
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { file, diagnostics: [{ severity: 'error', path: [], message: `cannot read: ${(error as Error).message}`, file }] };
  }
  if (extension === '.json') {
    const problem = jsonProblem(text, file);
    if (problem) return { file, diagnostics: [problem] };
  }
  return { ...readJourneySource(text, file, catalog), text };
}

/** Why a .json file is not strict JSON (a trailing comma, a comment), with its place; YAML would accept it. */
function jsonProblem(text: string, file: string): LocatedDiagnostic | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const message = (error as Error).message;
    const at = /at position (\d+)/.exec(message);
    const place = at ? new LineCounterAt(text).place(Number(at[1])) : {};
    return { severity: 'error', path: [], message: `not valid JSON: ${message.replace(/ in JSON at position.*$/, '')}`, file, ...place };
  }
}

/** Line and column (1-based) of a character offset. */
class LineCounterAt {
  constructor(private readonly text: string) {}
  place(offset: number): { line: number; column: number } {
    const before = this.text.slice(0, offset).split('\n');
    return { line: before.length, column: before.at(-1)!.length + 1 };
  }
}

/** A journey written in TypeScript: the module's default export, or its one exported definition. */
async function loadTypeScriptJourney(file: string, catalog: ValidationCatalog): Promise<LoadedJourney> {
  let exported: Record<string, unknown>;
  try {
    exported = (await import(pathToFileURL(path.resolve(file)).href)) as Record<string, unknown>;
  } catch (error) {
    return { file, diagnostics: [{ severity: 'error', path: [], message: `cannot load: ${(error as Error).message.split('\n')[0]}`, file }] };
  }
  const candidates = Object.entries(exported).filter(([, value]) => typeof value === 'object' && value !== null && 'states' in value && 'id' in value);
  const chosen = candidates.find(([name]) => name === 'default') ?? (candidates.length === 1 ? candidates[0] : undefined);
  if (!chosen) {
    const message = candidates.length === 0 ? 'exports no journey definition (an object with id and states)' : `exports ${candidates.length} journeys (${candidates.map(([name]) => name).join(', ')}); export one, or one as default`;
    return { file, diagnostics: [{ severity: 'error', path: [], message, file }] };
  }
  const result = validateJourney(chosen[1], catalog);
  const diagnostics = result.diagnostics.map((diagnostic) => ({ ...diagnostic, file }));
  return result.ok ? { file, definition: result.definition, diagnostics } : { file, diagnostics };
}

/** Journeys validated together must have distinct ids: one error on each later file that reuses one. */
export function duplicateJourneyIds(journeys: readonly { file: string; definition?: JourneyDefinition | undefined }[]): LocatedDiagnostic[] {
  const first = new Map<string, string>();
  const errors: LocatedDiagnostic[] = [];
  for (const { file, definition } of journeys) {
    if (!definition) continue;
    const earlier = first.get(definition.id);
    if (earlier) errors.push({ severity: 'error', path: ['id'], message: `journey id "${definition.id}" is also used by ${earlier}`, file });
    else first.set(definition.id, file);
  }
  return errors;
}

/**
 * Line and column of the node at `path`; of the nearest enclosing node when the
 * path names something missing (a required field points at its parent).
 */
function position(document: Document, lineCounter: LineCounter, at: DiagnosticPath): { line?: number; column?: number } {
  let node: unknown = document.contents;
  let found: Node | undefined = isNode(node) ? node : undefined;
  for (const key of at) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === key);
      if (!pair) break;
      node = pair.value;
      found = isNode(pair.value) ? pair.value : isNode(pair.key) ? pair.key : found;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key];
      if (!isNode(item)) break;
      node = item;
      found = item;
    } else {
      break;
    }
  }
  const offset = found?.range?.[0];
  if (offset === undefined) return {};
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/** The document as plain data, or the finding that its aliases expand too far. */
function plainData(document: Document, lineCounter: LineCounter, file: string): { value: unknown } | { refused: LocatedDiagnostic } {
  try {
    // yaml refuses when its count reaches the bound, one copy sooner than the bound says.
    return { value: document.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS + 1 }) };
  } catch (error) {
    // yaml refuses with a ReferenceError once aliases expand past the bound.
    if (!(error instanceof ReferenceError)) throw error;
    const message = `aliases (*name) expand to more than ${MAX_ALIAS_EXPANSIONS} copies; write the repeated part out`;
    return { refused: { severity: 'error', path: [], message, file, ...firstAlias(document, lineCounter) } };
  }
}

/** Where the text's first alias is, to point at when aliases expand too far. */
function firstAlias(document: Document, lineCounter: LineCounter): { line?: number; column?: number } {
  let offset: number | undefined;
  visit(document, {
    Alias(_key, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  if (offset === undefined) return {};
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && 'range' in value;
}

/** `journeys/welcome.yaml:12:7: error: states.thanked.entry[0].template: unknown email template "thanks"` */
export function formatDiagnostic(diagnostic: LocatedDiagnostic): string {
  const where = diagnostic.line ? `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}` : diagnostic.file;
  const field = diagnostic.path.length > 0 ? `${formatPath(diagnostic.path)}: ` : '';
  return `${where}: ${diagnostic.severity}: ${field}${diagnostic.message}`;
}
