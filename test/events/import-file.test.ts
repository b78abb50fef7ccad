/** Event files for import: CSV and JSON Lines, every problem named by line and field. */
import { describe, expect, it } from 'vitest';
import { parseCsv, parseEventFile } from '../../src/events/import-file.ts';

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, and knows each record\'s line', () => {
    const { records } = parseCsv('a,b,c\r\n"x, y","say ""hi""","two\nlines"\n1,2,3\n');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x, y', 'say "hi"', 'two\nlines'] },
      { line: 4, fields: ['1', '2', '3'] },
    ]);
  });

  it('reports a quote that never closes', () => {
    expect(parseCsv('a\n"open\n').problems).toEqual([{ line: 2, path: '', message: 'a quoted field is never closed' }]);
  });
});

describe('parseEventFile', () => {
  it('turns CSV rows into events: constituent columns, typed data columns', () => {
    const csv = 'id,type,email,firstName,amount,currency,recurring,campaign\ngift-1,donation,Ada@Example.org,Ada,25.50,USD,true,spring\n';
    const { rows, problems } = parseEventFile(csv, 'csv');
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      {
        line: 2,
        event: {
          id: 'gift-1',
          type: 'donation',
          constituent: { email: 'ada@example.org', firstName: 'Ada' },
          data: { amount: 25.5, currency: 'USD', recurring: true, campaign: 'spring' },
        },
      },
    ]);
  });

  it('reads consent columns into the constituent, checked like the API', () => {
    const csv =
      'id,type,email,amount,currency,consent_email,consent_email_source,consent_email_at,consent_sms\n' +
      'gift-1,donation,ada@example.org,25,USD,granted,paper form,2021-03-04T10:00:00Z,withdrawn\n' +
      'gift-2,donation,bo@example.org,25,USD,maybe,,,\n' +
      'gift-3,donation,cy@example.org,25,USD,,website,,\n';
    const { rows, problems } = parseEventFile(csv, 'csv');
    expect(rows[0]!.event.constituent.consent).toEqual({ email: { status: 'granted', source: 'paper form', at: '2021-03-04T10:00:00Z' }, sms: { status: 'withdrawn' } });
    expect(problems).toEqual([
      expect.objectContaining({ line: 3, path: 'constituent.consent.email.status' }),
      expect.objectContaining({ line: 4, path: 'constituent.consent.email.status' }),
    ]);
  });

  it('names the line and field of every problem in a CSV file', () => {
    const csv = 'id,type,email,amount,currency\ngift-1,donation,ada@example.org,25,USD\ngift-2,donation,not-an-email,lots,USD\n\ngift-3,pledge,b@example.org,5,USD\n';
    const { problems } = parseEventFile(csv, 'csv');
    expect(problems).toEqual([
      { line: 3, path: 'constituent.email', message: expect.stringMatching(/email/i) },
      { line: 3, path: 'data.amount', message: expect.stringMatching(/number/) },
      { line: 5, path: 'type', message: expect.any(String) },
    ]);
  });

  it('reads JSON Lines, skipping blank lines and naming lines that are not JSON', () => {
    const jsonl = [
      JSON.stringify({ id: 'r-1', type: 'registration', constituent: { email: 'a@example.org' }, data: { program: 'Gala' } }),
      '',
      '{"id": "r-2", ',
      JSON.stringify({ id: 'r-3', type: 'drop-off', constituent: { email: 'b@example.org' }, data: {} }),
    ].join('\n');
    const { rows, problems } = parseEventFile(jsonl, 'jsonl');
    expect(rows.map((row) => [row.line, row.event.id])).toEqual([[1, 'r-1']]);
    expect(problems).toEqual([
      { line: 3, path: '', message: expect.stringMatching(/^not valid JSON/) },
      { line: 4, path: 'data.kind', message: expect.any(String) },
    ]);
  });
});
