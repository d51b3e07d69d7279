import { openConfiguredDatabase } from '../bootstrap.js';
import { loadConfig } from '../config.js';
import { migrateToLatest } from '../db/index.js';
import { parseImportArgs, USAGE, UsageError } from './import/args.js';
import { runImport } from './import/run.js';
import { summaryText } from './import/summary.js';

/**
 * `npm run billing:import -- --file data.ndjson` (README "Bulk import"): the billing system's
 * records into the configured database (DATABASE_URL, else PGlite under its lock), through the
 * operator API's validation and upserts; progress on stderr, the summary on stdout. Ctrl-C stops
 * after the batch being applied commits; the same command continues from there.
 */
async function main(): Promise<void> {
  const args = parseImportArgs(process.argv.slice(2));
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig();
  const database = await openConfiguredDatabase(config);
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after the batch being applied commits (again to quit at once; either way the same command continues after the last committed batch)\n');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (config.AUTO_MIGRATE) await migrateToLatest(database.db);
    const summary = await runImport(database.db, {
      file: args.file,
      format: args.format,
      ...(args.rejects ? { rejectsPath: args.rejects } : {}),
      batchSize: args.batch,
      operatorId: args.operator,
      restart: args.restart,
      signal: stop.signal,
      progress: process.stderr,
    });
    process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : summaryText(summary));
    process.exitCode = summary.status === 'stopped' ? 130 : summary.rejected > 0 ? 2 : 0;
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  if (err instanceof UsageError) process.stderr.write(`\n${USAGE}\n`);
  process.exit(1);
});
