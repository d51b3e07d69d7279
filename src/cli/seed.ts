import { clearBillingData, seedFixture } from '../billing/fixture.js';
import { loadConfig } from '../config.js';
import { hasData, migrateToLatest } from '../db/index.js';
import { openConfiguredDatabase } from '../bootstrap.js';
import { clockFor } from '../services.js';

/** `npm run db:seed [-- --reset] [-- --as-of YYYY-MM-DD]`: loads the demo fixture. */
async function main(): Promise<void> {
  const config = loadConfig();
  const args = process.argv.slice(2);
  const reset = args.includes('--reset');
  const asOfIdx = args.indexOf('--as-of');
  const asOf = asOfIdx >= 0 ? args[asOfIdx + 1] : clockFor(config).today();
  if (!asOf || !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new Error('--as-of expects YYYY-MM-DD');
  if (config.NODE_ENV === 'production') throw new Error('refused: the demo fixture is never loaded in production');
  const database = await openConfiguredDatabase(config);
  try {
    await migrateToLatest(database.db);
    if (await hasData(database.db)) {
      if (!reset) {
        process.stderr.write('refused: the database already has data. Run `npm run db:seed -- --reset` to replace it with the fixture.\n');
        process.exitCode = 1;
        return;
      }
      await clearBillingData(database.db);
    }
    await seedFixture(database.db, asOf);
    process.stdout.write(`fixture loaded as of ${asOf} (${database.kind})\n`);
  } finally {
    await database.close();
  }
}
main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
