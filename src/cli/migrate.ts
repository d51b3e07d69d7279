import { loadConfig } from '../config.js';
import { migrateDown, migrateToLatest } from '../db/index.js';
import { openConfiguredDatabase } from '../bootstrap.js';

/** `npm run db:migrate` (to latest), `-- --down` (one back), `-- --down-all`. */
async function main(): Promise<void> {
  const config = loadConfig();
  const args = process.argv.slice(2);
  const database = await openConfiguredDatabase(config);
  try {
    const names = args.includes('--down-all')
      ? await migrateDown(database.db, true)
      : args.includes('--down')
        ? await migrateDown(database.db)
        : await migrateToLatest(database.db);
    process.stdout.write(names.length ? `${names.join('\n')}\n` : 'nothing to do\n');
  } finally {
    await database.close();
  }
}
main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
