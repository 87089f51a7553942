/**
 * Proves that each subgraph's hand-reviewed SQL migrations build exactly what its Prisma schema
 * describes: tables, columns (type, precision, nullability, defaults), enums, primary keys,
 * unique and plain indexes, and foreign keys. Runs on PGlite and, with DATABASE_URL, PostgreSQL.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wasm from '@prisma/prisma-schema-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type SqlConnection, type SubgraphName } from '@joinery/core';
import { backends } from '@joinery/core/testing';

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object';
  type: string;
  isList: boolean;
  isRequired: boolean;
  hasDefaultValue: boolean;
  nativeType: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
}
interface DmmfModel { name: string; dbName: string | null; fields: DmmfField[] }
interface Dmmf {
  datamodel: {
    models: DmmfModel[];
    enums: { name: string; dbName: string | null; values: { name: string; dbName: string | null }[] }[];
    indexes: { model: string; type: 'id' | 'unique' | 'normal' | 'fulltext'; fields: { name: string }[] }[];
  };
}

function dmmfOf(name: SubgraphName): Dmmf {
  const schema = readFileSync(fileURLToPath(new URL(`./${name}/schema.prisma`, import.meta.url)), 'utf8');
  return JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schema]] }))) as Dmmf;
}

const column = (field: DmmfField) => field.dbName ?? field.name;

/** The PostgreSQL type Prisma maps a field to, as `udt_name[(args)]`. */
function expectedType(field: DmmfField, enumDbNames: Map<string, string>): string {
  let base: string;
  if (field.kind === 'enum') base = enumDbNames.get(field.type)!;
  else {
    const native = field.nativeType;
    const byNative: Record<string, string> = { Uuid: 'uuid', Char: 'bpchar', Timestamptz: 'timestamptz', Decimal: 'numeric', Date: 'date' };
    const byScalar: Record<string, string> = { String: 'text', Int: 'int4', BigInt: 'int8', Boolean: 'bool', DateTime: 'timestamp', Decimal: 'numeric', Json: 'jsonb', Float: 'float8' };
    base = native ? byNative[native[0]] ?? native[0].toLowerCase() : byScalar[field.type];
    // A date (@db.Date) has no precision; timestamps default to Prisma's 3.
    const args = native?.[1]?.length ? native[1] : field.type === 'DateTime' && base !== 'date' ? ['3'] : field.type === 'Decimal' ? ['65', '30'] : [];
    if (args.length) base += `(${args.join(',')})`;
  }
  return field.isList ? `_${base}` : base;
}

async function actualSchema(sql: SqlConnection) {
  const columns = (await sql.query(`
    SELECT c.table_name, c.column_name, c.udt_name, c.is_nullable, c.column_default, c.character_maximum_length,
           c.numeric_precision, c.numeric_scale, c.datetime_precision, c.data_type
    FROM information_schema.columns c
    WHERE c.table_schema = current_schema() AND c.table_name <> '_prisma_migrations'
    ORDER BY c.table_name, c.ordinal_position`)).rows;
  const enums = (await sql.query(`
    SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder)::text[] AS labels
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = current_schema() GROUP BY t.typname`)).rows;
  const indexes = (await sql.query(`
    SELECT t.relname AS table_name, i.indisprimary AS is_primary, i.indisunique AS is_unique,
           array_agg(a.attname::text ORDER BY k.ordinality)::text[] AS columns
    FROM pg_index i
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ordinality)
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
    WHERE n.nspname = current_schema() AND t.relname <> '_prisma_migrations'
    GROUP BY t.relname, i.indexrelid, i.indisprimary, i.indisunique`)).rows;
  const foreignKeys = (await sql.query(`
    SELECT tc.relname AS table_name, array_agg(a.attname::text ORDER BY k.ordinality)::text[] AS columns, rc.relname AS referenced_table
    FROM pg_constraint c
    JOIN pg_class tc ON tc.oid = c.conrelid
    JOIN pg_class rc ON rc.oid = c.confrelid
    JOIN pg_namespace n ON n.oid = tc.relnamespace
    CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ordinality)
    JOIN pg_attribute a ON a.attrelid = tc.oid AND a.attnum = k.attnum
    WHERE c.contype = 'f' AND n.nspname = current_schema()
    GROUP BY tc.relname, c.oid, rc.relname`)).rows;
  return { columns, enums, indexes, foreignKeys };
}

function typeOf(row: Record<string, unknown>): string {
  const udt = String(row.udt_name);
  if (udt === 'bpchar' || udt === 'varchar') return `${udt}(${row.character_maximum_length})`;
  if (udt === 'numeric') return `numeric(${row.numeric_precision},${row.numeric_scale})`;
  if (udt === 'timestamptz' || udt === 'timestamp') return `${udt}(${row.datetime_precision})`;
  return udt;
}

const SUBGRAPH_NAMES: SubgraphName[] = ['inventory', 'sales', 'marketing'];

describe.each(backends())('migrations agree with the Prisma schemas on $name', (backend) => {
  afterAll(() => backend.cleanup());

  it.each(SUBGRAPH_NAMES)('%s', async (name) => {
    const migrations = fileURLToPath(new URL(`./${name}/migrations`, import.meta.url));
    const database = await openDatabase(backend.targets()[name], migrations);
    try {
      const actual = await database.withConnection(actualSchema);
      const { datamodel } = dmmfOf(name);
      const enumDbNames = new Map(datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
      const tableOf = new Map(datamodel.models.map((model) => [model.name, model.dbName ?? model.name]));

      const expectedColumns = datamodel.models.flatMap((model) =>
        model.fields
          .filter((field) => field.kind !== 'object')
          .map((field) => ({
            table: tableOf.get(model.name),
            column: column(field),
            type: expectedType(field, enumDbNames),
            nullable: !field.isRequired || field.isList,
            hasDefault: field.hasDefaultValue,
          })),
      );
      const actualColumns = actual.columns.map((row) => ({
        table: row.table_name,
        column: row.column_name,
        type: typeOf(row),
        nullable: row.is_nullable === 'YES',
        hasDefault: row.column_default !== null,
      }));
      const byKey = (a: { table: unknown; column: unknown }, b: { table: unknown; column: unknown }) => `${a.table}.${a.column}`.localeCompare(`${b.table}.${b.column}`);
      expect(actualColumns.sort(byKey)).toEqual(expectedColumns.sort(byKey));

      expect(Object.fromEntries(actual.enums.map((row) => [row.typname, row.labels]))).toEqual(
        Object.fromEntries(datamodel.enums.map((e) => [e.dbName ?? e.name, e.values.map((value) => value.dbName ?? value.name)])),
      );

      const fieldColumn = (modelName: string, fieldName: string) => column(datamodel.models.find((m) => m.name === modelName)!.fields.find((f) => f.name === fieldName)!);
      const expectedIndexes = datamodel.indexes
        .map((index) => `${tableOf.get(index.model)} ${index.type === 'id' ? 'primary' : index.type === 'unique' ? 'unique' : 'index'} (${index.fields.map((f) => fieldColumn(index.model, f.name)).join(', ')})`)
        .sort();
      const actualIndexes = actual.indexes
        .map((row) => `${row.table_name} ${row.is_primary ? 'primary' : row.is_unique ? 'unique' : 'index'} (${(row.columns as string[]).join(', ')})`)
        .sort();
      expect(actualIndexes).toEqual(expectedIndexes);

      const expectedForeignKeys = datamodel.models
        .flatMap((model) =>
          model.fields
            .filter((field) => field.kind === 'object' && field.relationFromFields?.length)
            .map((field) => `${tableOf.get(model.name)} (${field.relationFromFields!.map((f) => fieldColumn(model.name, f)).join(', ')}) -> ${tableOf.get(field.type)}`),
        )
        .sort();
      const actualForeignKeys = actual.foreignKeys.map((row) => `${row.table_name} (${(row.columns as string[]).join(', ')}) -> ${row.referenced_table}`).sort();
      expect(actualForeignKeys).toEqual(expectedForeignKeys);
    } finally {
      await database.close();
    }
  });
});
