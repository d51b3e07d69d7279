import path from 'node:path';
import { sql } from 'kysely';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVOICE_NUMBER_SQL_PATTERN } from '../../src/billing/invoice-number.js';
import type { Database } from '../../src/db/index.js';
import { ACCOUNT_RE } from '../../src/identity/session.js';
import { freshDatabase } from '../helpers/db.js';

/**
 * `src/db/schema.ts` is written by hand (kysely-codegen would type int8 differently from our
 * bigint parser). This test keeps it honest: every column of every relation in the migrated
 * database against the `DB` interface, read with the TypeScript compiler: the same names, the
 * same nullability, a TypeScript type that matches the SQL type, insert optionality that matches
 * a default, and literal unions that match the CHECK constraints' lists.
 */

type Kind = 'string' | 'number' | 'bigint' | 'boolean' | 'Date' | 'json' | 'Buffer';

interface TsColumn {
  kind: Kind | `unknown:${string}`;
  nullable: boolean;
  /** The insert type admits undefined (Generated, defaulted) or never (not insertable). */
  optionalOnInsert: boolean;
  notInsertable: boolean;
  /** String literal members, when the select type is a literal union. */
  literals: string[] | null;
}

const SCHEMA_FILE = path.resolve(import.meta.dirname, '../../src/db/schema.ts');

function flatten(type: ts.Type): ts.Type[] {
  return type.isUnion() ? type.types.flatMap(flatten) : [type];
}

function classify(checker: ts.TypeChecker, parts: ts.Type[]): { kind: TsColumn['kind']; nullable: boolean; literals: string[] | null } {
  const nonNull = parts.filter((t) => !(t.flags & ts.TypeFlags.Null));
  const nullable = nonNull.length !== parts.length;
  const literals = nonNull.every((t) => t.isStringLiteral()) ? nonNull.map((t) => (t as ts.StringLiteralType).value).sort() : null;
  const one = (t: ts.Type): TsColumn['kind'] => {
    if (t.flags & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral)) return 'string';
    if (t.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return 'number';
    if (t.flags & (ts.TypeFlags.BigInt | ts.TypeFlags.BigIntLiteral)) return 'bigint';
    if (t.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return 'boolean';
    if (t.flags & ts.TypeFlags.Unknown) return 'json';
    const name = t.getSymbol()?.getName() ?? t.aliasSymbol?.getName();
    if (name === 'Date') return 'Date';
    if (name === 'Buffer') return 'Buffer';
    if (name === 'Record' || t.aliasSymbol?.getName() === 'Record' || (t.flags & ts.TypeFlags.Object && checker.getIndexInfosOfType(t).length > 0)) return 'json';
    return `unknown:${checker.typeToString(t)}`;
  };
  // boolean is `true | false` to the checker.
  const kinds = [...new Set(nonNull.map(one))];
  const kind = kinds.length === 1 ? kinds[0]! : kinds.every((k) => k === 'boolean') ? 'boolean' : (`unknown:${kinds.join('|')}` as const);
  return { kind, nullable, literals };
}

/** Every relation of `DB` and its columns, as the compiler sees them. */
function schemaFromTypes(): Map<string, Map<string, TsColumn>> {
  const program = ts.createProgram([SCHEMA_FILE], { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true, types: ['node'] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(SCHEMA_FILE)!;
  const moduleSymbol = checker.getSymbolAtLocation(source)!;
  const dbSymbol = checker.getExportsOfModule(moduleSymbol).find((s) => s.getName() === 'DB');
  if (!dbSymbol) throw new Error('src/db/schema.ts exports no DB interface');
  const dbType = checker.getDeclaredTypeOfSymbol(dbSymbol);
  const out = new Map<string, Map<string, TsColumn>>();
  for (const table of checker.getPropertiesOfType(dbType)) {
    const tableType = checker.getTypeOfSymbol(table);
    const columns = new Map<string, TsColumn>();
    for (const column of checker.getPropertiesOfType(tableType)) {
      // Kysely's SelectType/InsertType distribute over unions: `ColumnType<Date, …> | null`.
      const members = flatten(checker.getTypeOfSymbol(column));
      const side = (key: '__select__' | '__insert__') =>
        members.flatMap((m) => {
          const p = m.getProperty(key);
          return p ? flatten(checker.getTypeOfSymbol(p)) : [m];
        });
      const selectParts = side('__select__');
      const insertParts = side('__insert__');
      columns.set(column.getName(), {
        ...classify(checker, selectParts),
        optionalOnInsert: insertParts.some((p) => p.flags & ts.TypeFlags.Undefined),
        notInsertable: insertParts.every((p) => p.flags & ts.TypeFlags.Never),
      });
    }
    out.set(table.getName(), columns);
  }
  return out;
}

const SQL_KINDS: Record<string, Kind> = {
  text: 'string',
  varchar: 'string',
  bpchar: 'string',
  citext: 'string',
  uuid: 'string',
  date: 'string',
  int2: 'number',
  int4: 'number',
  int8: 'bigint',
  float8: 'number',
  numeric: 'string',
  bool: 'boolean',
  timestamptz: 'Date',
  timestamp: 'Date',
  jsonb: 'json',
  json: 'json',
  bytea: 'Buffer',
};

interface DbColumn {
  table_name: string;
  column_name: string;
  is_nullable: 'YES' | 'NO';
  udt_name: string;
  column_default: string | null;
  is_identity: 'YES' | 'NO';
  is_generated: 'ALWAYS' | 'NEVER';
  table_type: 'BASE TABLE' | 'VIEW';
}

describe('db/schema.ts matches the migrated database, column by column', () => {
  let database: Database;
  let dbColumns: DbColumn[];
  let checks: Array<{ table: string; definition: string }>;
  const types = schemaFromTypes();

  beforeAll(async () => {
    database = await freshDatabase({ empty: true });
    const { migrateToLatest } = await import('../../src/db/index.js');
    await migrateToLatest(database.db);
    dbColumns = (
      await sql<DbColumn>`
        select c.table_name, c.column_name, c.is_nullable, c.udt_name, c.column_default, c.is_identity, c.is_generated, t.table_type
        from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = 'public' and c.table_name not like 'kysely_%'
        order by c.table_name, c.ordinal_position`.execute(database.db)
    ).rows;
    checks = (
      await sql<{ table: string; definition: string }>`
        select cl.relname as table, pg_get_constraintdef(co.oid) as definition
        from pg_constraint co join pg_class cl on cl.oid = co.conrelid join pg_namespace n on n.oid = cl.relnamespace
        where n.nspname = 'public' and co.contype = 'c'`.execute(database.db)
    ).rows;
  });
  afterAll(async () => database?.close());

  it('the same relations', () => {
    expect([...types.keys()].sort()).toStrictEqual([...new Set(dbColumns.map((c) => c.table_name))].sort());
  });

  it('the same columns in every relation', () => {
    for (const [table, columns] of types) {
      const inDb = dbColumns.filter((c) => c.table_name === table).map((c) => c.column_name);
      expect([...columns.keys()].sort(), table).toStrictEqual([...inDb].sort());
    }
  });

  it('every column: its TypeScript type matches its SQL type, and nullability matches', () => {
    const mismatches: string[] = [];
    for (const c of dbColumns) {
      const t = types.get(c.table_name)?.get(c.column_name);
      if (!t) continue; // reported by the test above
      const where = `${c.table_name}.${c.column_name}`;
      const expected = SQL_KINDS[c.udt_name];
      if (!expected) mismatches.push(`${where}: SQL type ${c.udt_name} has no mapping in this test`);
      else if (t.kind !== expected) mismatches.push(`${where}: SQL ${c.udt_name} is ${expected} in TypeScript, schema.ts says ${t.kind}`);
      // Views report every column as nullable: compare nullability on tables only. A JSON column
      // read as `unknown` admits null by construction.
      if (c.table_type === 'BASE TABLE' && t.kind !== 'json' && t.nullable !== (c.is_nullable === 'YES'))
        mismatches.push(`${where}: ${c.is_nullable === 'YES' ? 'nullable' : 'not null'} in SQL, schema.ts says ${t.nullable ? 'nullable' : 'not null'}`);
    }
    expect(mismatches).toStrictEqual([]);
  });

  it('insert types: optional exactly where the database fills the value (default, identity, nullable); generated columns not insertable', () => {
    const mismatches: string[] = [];
    for (const c of dbColumns.filter((x) => x.table_type === 'BASE TABLE')) {
      const t = types.get(c.table_name)?.get(c.column_name);
      if (!t) continue;
      const where = `${c.table_name}.${c.column_name}`;
      const generated = c.is_generated === 'ALWAYS';
      const filled = c.column_default !== null || c.is_identity === 'YES';
      if (generated !== t.notInsertable) mismatches.push(`${where}: ${generated ? 'generated in SQL but insertable' : 'not insertable in schema.ts but not generated'}`);
      if (!generated && t.optionalOnInsert && !filled && c.is_nullable === 'NO') mismatches.push(`${where}: optional on insert in schema.ts, but SQL has no default and is not null`);
      if (!generated && !t.optionalOnInsert && filled && c.is_nullable === 'NO' && !t.nullable) mismatches.push(`${where}: SQL has a default; schema.ts should mark it Generated/defaulted`);
    }
    expect(mismatches).toStrictEqual([]);
  });

  it("literal unions in schema.ts list exactly the values of the column's CHECK constraint", () => {
    const mismatches: string[] = [];
    let compared = 0;
    for (const [table, columns] of types) {
      for (const [column, t] of columns) {
        const def = checks.find((k) => k.table === table && new RegExp(`\\(\\(?${column}\\b[^)]*= ANY`).test(k.definition));
        if (!t.literals) continue;
        if (!def) {
          mismatches.push(`${table}.${column}: a literal union in schema.ts, no CHECK list in SQL`);
          continue;
        }
        const values = [...def.definition.matchAll(/'([^']*)'::text/g)].map((m) => m[1]!).sort();
        compared++;
        if (JSON.stringify(values) !== JSON.stringify(t.literals)) mismatches.push(`${table}.${column}: SQL ${values.join(',')} vs schema.ts ${t.literals.join(',')}`);
      }
    }
    expect(mismatches).toStrictEqual([]);
    expect(compared).toBeGreaterThan(5);
  });

  it('the invoice-number and account-number patterns the code uses are the CHECK constraints', () => {
    const defs = checks.map((c) => c.definition);
    expect(defs.some((d) => d.includes(`number ~ '${INVOICE_NUMBER_SQL_PATTERN}'`))).toBe(true);
    expect(defs.some((d) => d.includes(`id ~ '${ACCOUNT_RE.source}'`))).toBe(true);
  });
});
