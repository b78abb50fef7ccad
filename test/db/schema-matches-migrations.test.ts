/**
 * The migrations are hand-written SQL; this proves the database they produce is
 * the one prisma/schema.prisma describes, reading the schema with Prisma's own
 * parser and the database through information_schema and pg_catalog.
 */
import { readFile } from 'node:fs/promises';
import internals from '@prisma/internals';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/db/migrate.ts';
import { createEmptyTestDatabase } from '../support/database.ts';

type Dmmf = Awaited<ReturnType<typeof internals.getDMMF>>;
type Model = Dmmf['datamodel']['models'][number];
type Field = Model['fields'][number];

let database: Awaited<ReturnType<typeof createEmptyTestDatabase>>;
let client: pg.Client;
let dmmf: Dmmf;

beforeAll(async () => {
  const schema = await readFile(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8');
  dmmf = await internals.getDMMF({ datamodel: schema });
  database = await createEmptyTestDatabase();
  await applyMigrations(database.url);
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

const tableOf = (model: Model) => model.dbName ?? model.name;
const columnOf = (field: Field) => field.dbName ?? field.name;
const storedFields = (model: Model) => model.fields.filter((field) => field.kind === 'scalar' || field.kind === 'enum');

/** The column type PostgreSQL reports for a field, in information_schema's words. */
function expectedType(field: Field): Record<string, unknown> {
  // Lists are PostgreSQL arrays; information_schema names the element type with a leading underscore.
  if (field.isList && field.type === 'String') return { data_type: 'ARRAY', udt_name: '_text' };
  if (field.isList) throw new Error(`No expectation written for a list of ${field.type} on ${field.name}`);
  if (field.kind === 'enum') {
    const enumType = dmmf.datamodel.enums.find((candidate) => candidate.name === field.type)!;
    return { data_type: 'USER-DEFINED', udt_name: enumType.dbName ?? enumType.name };
  }
  const [nativeName, nativeArgs] = (field.nativeType ?? []) as [string?, string[]?];
  if (nativeName === 'Char') return { data_type: 'character', character_maximum_length: Number(nativeArgs![0]) };
  if (nativeName === 'Decimal') {
    return { data_type: 'numeric', numeric_precision: Number(nativeArgs![0]), numeric_scale: Number(nativeArgs![1]) };
  }
  if (nativeName) throw new Error(`No expectation written for @db.${nativeName} on ${field.name}`);
  const byType: Record<string, Record<string, unknown>> = {
    String: { data_type: 'text' },
    Int: { data_type: 'integer' },
    BigInt: { data_type: 'bigint' },
    Boolean: { data_type: 'boolean' },
    Json: { data_type: 'jsonb' },
    DateTime: { data_type: 'timestamp without time zone', datetime_precision: 3 },
    Decimal: { data_type: 'numeric', numeric_precision: 65, numeric_scale: 30 },
  };
  const expected = byType[field.type];
  if (!expected) throw new Error(`No expectation written for Prisma type ${field.type} on ${field.name}`);
  return expected;
}

async function columns(table: string) {
  const { rows } = await client.query(
    `SELECT column_name, data_type, udt_name, is_nullable, character_maximum_length,
            numeric_precision, numeric_scale, datetime_precision
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
    [table],
  );
  return new Map(rows.map((row) => [row.column_name as string, row]));
}

/** Each index on the table as its uniqueness and ordered column list. */
async function indexes(table: string): Promise<{ unique: boolean; primary: boolean; columns: string[] }[]> {
  const { rows } = await client.query(
    `SELECT ix.indisunique AS unique, ix.indisprimary AS primary,
            array(SELECT a.attname::text FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n)
                  JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum ORDER BY k.n) AS columns
       FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid
      WHERE t.relname = $1`,
    [table],
  );
  return rows as { unique: boolean; primary: boolean; columns: string[] }[];
}

describe('the migrated database matches prisma/schema.prisma', () => {
  it('has exactly the tables of the schema', async () => {
    const { rows } = await client.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
    );
    expect(rows.map((row) => row.table_name).sort()).toEqual(dmmf.datamodel.models.map(tableOf).sort());
  });

  it('has every enum with the schema values, in order', async () => {
    for (const enumType of dmmf.datamodel.enums) {
      const { rows } = await client.query(
        `SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = $1 ORDER BY e.enumsortorder`,
        [enumType.dbName ?? enumType.name],
      );
      expect(rows.map((row) => row.enumlabel), enumType.name).toEqual(enumType.values.map((value) => value.dbName ?? value.name));
    }
  });

  it('has every field as a column of the right type and nullability, and no others', async () => {
    for (const model of dmmf.datamodel.models) {
      const actual = await columns(tableOf(model));
      expect([...actual.keys()].sort(), model.name).toEqual(storedFields(model).map(columnOf).sort());
      for (const field of storedFields(model)) {
        const column = actual.get(columnOf(field));
        expect(column, `${model.name}.${field.name}`).toMatchObject({
          ...expectedType(field),
          is_nullable: field.isRequired ? 'NO' : 'YES',
        });
      }
    }
  });

  it('has the primary keys, unique constraints and indexes the schema declares', async () => {
    for (const declared of dmmf.datamodel.indexes) {
      const model = dmmf.datamodel.models.find((candidate) => candidate.name === declared.model)!;
      const columnNames = declared.fields.map(({ name }) => columnOf(model.fields.find((field) => field.name === name)!));
      const actual = await indexes(tableOf(model));
      const match = actual.find((index) => index.columns.join() === columnNames.join());
      const where = `${declared.type} ${declared.model}(${columnNames.join(', ')})`;
      expect(match, where).toBeDefined();
      expect(match!.primary, where).toBe(declared.type === 'id');
      expect(match!.unique, where).toBe(declared.type !== 'normal');
    }
  });

  it('has a foreign key for every relation, with the declared delete rule', async () => {
    for (const model of dmmf.datamodel.models) {
      for (const field of model.fields.filter((candidate) => candidate.relationFromFields?.length)) {
        const target = dmmf.datamodel.models.find((candidate) => candidate.name === field.type)!;
        const from = field.relationFromFields!.map((name) => columnOf(model.fields.find((candidate) => candidate.name === name)!));
        const { rows } = await client.query(
          `SELECT confrel.relname AS target, confdeltype AS on_delete,
                  array(SELECT a.attname::text FROM unnest(c.conkey) AS k(attnum)
                        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns
             FROM pg_constraint c
             JOIN pg_class rel ON rel.oid = c.conrelid
             JOIN pg_class confrel ON confrel.oid = c.confrelid
            WHERE c.contype = 'f' AND rel.relname = $1`,
          [tableOf(model)],
        );
        const foreignKey = rows.find((row) => (row.columns as string[]).join() === from.join());
        const where = `${model.name}.${field.name}`;
        expect(foreignKey, where).toBeDefined();
        expect(foreignKey.target, where).toBe(tableOf(target));
        // pg_constraint codes: c cascade, n set null, r restrict; Prisma's defaults are
        // Restrict for required relations and SetNull for optional ones.
        const rule = field.relationOnDelete ?? (field.isRequired ? 'Restrict' : 'SetNull');
        expect(foreignKey.on_delete, where).toBe({ Cascade: 'c', SetNull: 'n', Restrict: 'r', NoAction: 'a', SetDefault: 'd' }[rule]);
      }
    }
  });
});
