import { seedFixture } from './billing/fixture.js';
import type { Config } from './config.js';
import { hasData, migrateToLatest, openDatabase, type Database } from './db/index.js';
import { clockFor } from './services.js';

/** Opens the configured database: a PostgreSQL pool when DATABASE_URL is set, else PGlite. */
export function openConfiguredDatabase(config: Config, onIdleError?: (err: Error) => void): Promise<Database> {
  return openDatabase({
    url: config.DATABASE_URL,
    poolMax: config.DATABASE_POOL_MAX,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    ...(onIdleError ? { onIdleError } : {}),
  });
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
