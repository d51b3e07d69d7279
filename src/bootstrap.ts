import path from 'node:path';
import { seedFixture } from './billing/fixture.js';
import type { Config } from './config.js';
import { hasData, migrateToLatest, openDatabase, type Database } from './db/index.js';
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

/** Migrates (AUTO_MIGRATE) and loads the demo fixture into an empty database (AUTO_SEED). */
export async function prepareDatabase(config: Config, database: Database, log: (msg: string) => void): Promise<void> {
  if (config.AUTO_MIGRATE) {
    const applied = await migrateToLatest(database.db);
    if (applied.length > 0) log(`migrations applied: ${applied.join(', ')}`);
  }
  if (config.AUTO_SEED && config.NODE_ENV !== 'production' && !(await hasData(database.db))) {
    const today = clockFor(config).today();
    await seedFixture(database.db, today);
    log(`empty database: loaded the demo fixture as of ${today}`);
  }
}
