import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, Migrator, PostgresDialect, sql, type Migration, type MigrationResultSet } from 'kysely';
import pg from 'pg';
import { migrations } from '../../migrations/index.js';
import { listenPglite, listenPostgres, type Listen } from './listen.js';
import type { DB } from './schema.js';

export type { DB } from './schema.js';

const INT8_OID = 20;
const DATE_OID = 1082;

/** int8 → bigint, date → 'YYYY-MM-DD' (never a JS Date shifted by the local zone). */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (v: string) => BigInt(v);
    if (oid === DATE_OID) return (v: string) => v;
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};

export interface Database {
  db: Kysely<DB>;
  /** 'postgres' for a server, 'pglite' for the embedded engine. */
  kind: 'postgres' | 'pglite';
  /** LISTEN on a channel (src/db/listen.ts): a dedicated, reconnecting connection on PostgreSQL; PGlite's own on PGlite. */
  listen: Listen;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A postgres:// URL; without it, PGlite is used. */
  url?: string | undefined;
  poolMax?: number;
  /** PGlite data directory; 'memory://' keeps it in memory. */
  pgliteDataDir?: string;
  /** An existing PGlite instance (tests clone a migrated template); owned by the returned Database. */
  pglite?: PGlite;
  /**
   * Called when an idle pooled connection fails (the server restarted, an administrator or a
   * failover ended the session). The pool drops that connection and opens a new one on the next
   * query; without a listener, pg would throw it as an uncaught exception and end the process.
   */
  onIdleError?: (err: Error) => void;
}

/** The default for `onIdleError`: one line on stderr. */
export function reportIdleError(err: Error): void {
  const code = (err as { code?: unknown }).code;
  process.stderr.write(`database: an idle connection failed and was dropped${typeof code === 'string' ? ` (${code})` : ''}: ${err.message}\n`);
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolMax ?? 10, types: typeParsers });
    pool.on('error', (err) => (opts.onIdleError ?? reportIdleError)(err));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', listen: listenPostgres(opts.url), close: () => db.destroy() };
  }
  let pglite = opts.pglite;
  if (!pglite) {
    const dir = opts.pgliteDataDir ?? 'memory://';
    if (!dir.startsWith('memory://')) fs.mkdirSync(path.resolve(dir), { recursive: true });
    pglite = await PGlite.create(dir);
  }
  const owned = pglite;
  // PGlite is a single session: a pool of one serialises every query and transaction.
  const pool = new pg.Pool({ ...createPgConfig(owned), max: 1, types: typeParsers });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'pglite',
    listen: listenPglite(owned),
    close: async () => {
      await db.destroy();
      await owned.close();
    },
  };
}

class ExplicitMigrationProvider {
  constructor(private readonly all: Record<string, Migration>) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(this.all);
  }
}

function migrator(db: Kysely<DB>): Migrator {
  return new Migrator({ db, provider: new ExplicitMigrationProvider(migrations) });
}

function check(label: string, r: MigrationResultSet): string[] {
  if (r.error) {
    const failed = r.results?.find((x) => x.status === 'Error')?.migrationName;
    throw new Error(`${label} failed${failed ? ` at ${failed}` : ''}: ${String(r.error instanceof Error ? r.error.message : r.error)}`, {
      cause: r.error,
    });
  }
  return (r.results ?? []).map((x) => x.migrationName);
}

/** Runs every pending migration; throws on failure. Returns the names applied. */
export async function migrateToLatest(db: Kysely<DB>): Promise<string[]> {
  return check('migration', await migrator(db).migrateToLatest());
}

/** Reverts the most recent migration (or all of them with `all`); throws on failure. */
export async function migrateDown(db: Kysely<DB>, all = false): Promise<string[]> {
  const m = migrator(db);
  if (all) {
    const { NO_MIGRATIONS } = await import('kysely');
    return check('rollback', await m.migrateTo(NO_MIGRATIONS));
  }
  return check('rollback', await m.migrateDown());
}

export async function ping(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}

/** True when the billing schema exists and holds at least one account. */
export async function hasData(db: Kysely<DB>): Promise<boolean> {
  const r = await sql<{ exists: boolean }>`select to_regclass('public.accounts') is not null as exists`.execute(db);
  if (!r.rows[0]?.exists) return false;
  const row = await db.selectFrom('accounts').select(sql<number>`1`.as('one')).limit(1).executeTakeFirst();
  return row !== undefined;
}
