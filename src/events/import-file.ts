/**
 * Reading an event file for import: JSON Lines (one event per line) or CSV with a
 * header row. Every row is checked against the event contract before anything is
 * sent, and each problem names its line and field, so a file is imported whole or
 * corrected first.
 */
import { describeIssues, InteractionEventInput } from './schema.ts';

export interface ParsedRow {
  line: number;
  event: InteractionEventInput;
}

export interface RowProblem {
  line: number;
  path: string;
  message: string;
}

/** CSV columns that describe the constituent; other columns go to the event's data. */
const CONSTITUENT_COLUMNS = ['email', 'firstName', 'lastName', 'phone', 'timezone', 'locale'];
const EVENT_COLUMNS = ['id', 'type', 'occurredAt'];
/** consent_email, consent_email_source, consent_email_at (and sms): the consent the row carries. */
const CONSENT_COLUMN = /^consent_(email|sms)(?:_(source|at))?$/;
const NUMERIC_DATA = new Set(['amount', 'days']);
const BOOLEAN_DATA = new Set(['recurring']);

export function parseEventFile(text: string, format: 'jsonl' | 'csv'): { rows: ParsedRow[]; problems: RowProblem[] } {
  const records = format === 'jsonl' ? jsonLines(text) : csvRecords(text);
  const rows: ParsedRow[] = [];
  const problems: RowProblem[] = [...records.problems];
  for (const { line, value } of records.values) {
    const parsed = InteractionEventInput.safeParse(value);
    if (parsed.success) rows.push({ line, event: parsed.data });
    else for (const issue of describeIssues(parsed.error)) problems.push({ line, ...issue });
  }
  return { rows, problems };
}

function jsonLines(text: string): { values: { line: number; value: unknown }[]; problems: RowProblem[] } {
  const values: { line: number; value: unknown }[] = [];
  const problems: RowProblem[] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    if (content.trim() === '') return;
    try {
      values.push({ line: index + 1, value: JSON.parse(content) });
    } catch (error) {
      problems.push({ line: index + 1, path: '', message: `not valid JSON: ${(error as Error).message}` });
    }
  });
  return { values, problems };
}

function csvRecords(text: string): { values: { line: number; value: unknown }[]; problems: RowProblem[] } {
  const { records, problems } = parseCsv(text);
  const [header, ...rows] = records;
  if (!header) return { values: [], problems: [{ line: 1, path: '', message: 'the file is empty; expected a header row' }, ...problems] };
  const columns = header.fields.map((field) => field.trim());
  const values = rows
    .filter((row) => row.fields.some((field) => field.trim() !== ''))
    .map((row) => {
      const event: Record<string, unknown> = {};
      const constituent: Record<string, unknown> = {};
      const data: Record<string, unknown> = {};
      const consent: Record<string, Record<string, string>> = {};
      columns.forEach((column, index) => {
        const raw = row.fields[index]?.trim() ?? '';
        if (raw === '') return;
        const consentColumn = CONSENT_COLUMN.exec(column);
        if (consentColumn) consent[consentColumn[1]!] = { ...consent[consentColumn[1]!], [consentColumn[2] ?? 'status']: raw };
        else if (EVENT_COLUMNS.includes(column)) event[column] = raw;
        else if (CONSTITUENT_COLUMNS.includes(column)) constituent[column] = raw;
        else data[column] = NUMERIC_DATA.has(column) && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : BOOLEAN_DATA.has(column) ? raw === 'true' : raw;
      });
      if (Object.keys(consent).length > 0) constituent.consent = consent;
      return { line: row.line, value: { ...event, constituent, data } };
    });
  return { values, problems };
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): { records: { line: number; fields: string[] }[]; problems: RowProblem[] } {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        if (char === '\n') line += 1;
        field += char;
      }
    } else if (char === '"' && field === '') {
      quoted = true;
    } else if (char === ',') {
      fields.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index += 1;
      fields.push(field);
      records.push({ line: recordLine, fields });
      fields = [];
      field = '';
      line += 1;
      recordLine = line;
    } else {
      field += char;
    }
  }
  if (quoted) return { records, problems: [{ line: recordLine, path: '', message: 'a quoted field is never closed' }] };
  if (field !== '' || fields.length > 0) records.push({ line: recordLine, fields: [...fields, field] });
  return { records, problems: [] };
}
