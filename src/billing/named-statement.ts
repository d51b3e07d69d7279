import { createHash } from 'node:crypto';
import type { CompiledQuery, Kysely, QueryResult, RawBuilder } from 'kysely';
import type { DB } from '../db/schema.js';

/**
 * Runs a query as a pg named (prepared) statement: each pooled connection parses it once, and
 * after five executions PostgreSQL keeps a generic plan instead of planning every call. For a
 * statement that spans many tables (getInvoice: seven), planning is most of the server time
 * (BENCHMARKS.md). Kysely has no prepared statements; its PostgresDriver hands `sql` to
 * `pg.Client.query` unchanged, and pg takes a query config `{ name, text }` in that place (its
 * documented form for named statements), so only the object changes, not the path.
 * tests/integration/named-statement.test.ts fails if a driver update stops passing it through.
 *
 * The name is derived from the SQL text: a plugin that rewrites the text (or a new release that
 * changes it) gets a new name instead of pg's "Prepared statements must be unique" error.
 * Not for a connection pooler in transaction mode (PgBouncer < 1.21 loses named statements).
 */
export async function executeNamed<R>(db: Kysely<DB>, label: string, query: RawBuilder<R>): Promise<QueryResult<R>> {
  const compiled = query.compile(db);
  const config = { name: statementName(label, compiled.sql), text: compiled.sql, toString: () => compiled.sql };
  const named: CompiledQuery<R> = { ...compiled, sql: config as unknown as string };
  return db.executeQuery(named);
}

const names = new Map<string, string>();

/** `<label>_<12 hex of the text's sha1>`, memoised: a handful of texts per process. */
export function statementName(label: string, text: string): string {
  const key = `${label}\n${text}`;
  let name = names.get(key);
  if (!name) {
    name = `${label}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
    names.set(key, name);
  }
  return name;
}
