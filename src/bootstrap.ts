import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { seedFixture } from './billing/fixture.js';
import type { Config } from './config.js';
import { hasData, migrateToLatest, openDatabase, type Database, type DB } from './db/index.js';
import { acquireDataDirLock } from './db/lock.js';
import { clockFor } from './services.js';

/** How this process was started, for the PGlite lock: "npm start", "npm run chat", or "node src/server.ts". */
export function launchCommand(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv): string {
  const script = env['npm_lifecycle_event'];
  // npx and npm exec set it to "npx"; the script file says more.
  if (script && script !== 'npx') return script === 'start' || script === 'test' ? `npm ${script}` : `npm run ${script}`;
  const file = argv[1];
  return file ? `node ${path.relative(process.cwd(), file) || file}` : 'node';
}

/**
 * Opens the configured database: a PostgreSQL pool when DATABASE_URL is set, else PGlite. A PGlite
 * data directory is held under an exclusive lock (src/db/lock.ts) until the database is closed or
 * the process ends; when another living process holds it, this throws DatabaseInUseError naming it.
 */
export async function openConfiguredDatabase(config: Config, onIdleError?: (err: Error) => void, opts: { command?: string } = {}): Promise<Database> {
  const open = () =>
    openDatabase({
      url: config.DATABASE_URL,
      poolMax: config.DATABASE_POOL_MAX,
      pgliteDataDir: config.PGLITE_DATA_DIR,
      ...(onIdleError ? { onIdleError } : {}),
    });
  // PostgreSQL serves many clients; an in-memory PGlite belongs to this process alone.
  if (config.DATABASE_URL || config.PGLITE_DATA_DIR.startsWith('memory://')) return open();
  const lock = acquireDataDirLock(config.PGLITE_DATA_DIR, { command: opts.command ?? launchCommand() });
  let database: Database;
  try {
    database = await open();
  } catch (err) {
    lock.release();
    throw err;
  }
  return {
    ...database,
    close: async () => {
      try {
        await database.close();
      } finally {
        lock.release();
      }
    },
  };
}

/**
 * The start-up lock (a PostgreSQL session advisory lock; its own key, not Kysely's migration lock):
 * replicas starting together on an empty database migrate and seed one after the other, so the
 * first does the work and the others find it done. Held on one connection for the whole step and
 * released with it even if the process dies.
 */
export const STARTUP_LOCK_KEY = 4_612_817_300_118_260_001n;

/**
 * Runs `fn` under the start-up lock on one connection (PostgreSQL); PGlite belongs to this
 * process alone (src/db/lock.ts), so there it runs as is.
 */
export async function underStartupLock<T>(database: Database, fn: (db: Kysely<DB>) => Promise<T>): Promise<T> {
  if (database.kind !== 'postgres') return fn(database.db);
  return database.db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${STARTUP_LOCK_KEY}::bigint)`.execute(conn);
    try {
      return await fn(conn);
    } finally {
      await sql`select pg_advisory_unlock(${STARTUP_LOCK_KEY}::bigint)`.execute(conn);
    }
  });
}

/**
 * Migrates (AUTO_MIGRATE) and loads the demo fixture into an empty database (AUTO_SEED), under the
 * start-up lock: N replicas starting on an empty database migrate and seed it once.
 */
export async function prepareDatabase(config: Config, database: Database, log: (msg: string) => void): Promise<void> {
  const seed = config.AUTO_SEED && config.NODE_ENV !== 'production';
  if (!config.AUTO_MIGRATE && !seed) return;
  await underStartupLock(database, async (db) => {
    if (config.AUTO_MIGRATE) {
      const applied = await migrateToLatest(db);
      if (applied.length > 0) log(`migrations applied: ${applied.join(', ')}`);
    }
    if (seed && !(await hasData(db))) {
      const today = clockFor(config).today();
      await seedFixture(db, today);
      log(`empty database: loaded the demo fixture as of ${today}`);
    }
  });
}
