import { buildApp } from './app.js';
import { openConfiguredDatabase, prepareDatabase } from './bootstrap.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { reportIdleError } from './db/index.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }

  // The app's logger once it exists (the pool may report before then).
  const started: { app?: Awaited<ReturnType<typeof buildApp>> } = {};
  const database = await openConfiguredDatabase(config, (err) => {
    const code = (err as { code?: unknown }).code;
    if (started.app) started.app.log.warn({ err: err.message, code }, 'database: an idle connection failed and was dropped; the pool reconnects on the next query');
    else reportIdleError(err);
  });
  const app = await buildApp({ config, database, closeDatabase: true });
  started.app = app;
  await prepareDatabase(config, database, (m) => app.log.info(m));

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      app.log.error('graceful shutdown timed out');
      process.exit(1);
    }, 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  await app.listen({ host: config.HOST, port: config.PORT });
  app.log.info(
    `Billing Assistant on ${config.publicBaseUrl} (database: ${database.kind}${database.kind === 'pglite' ? ` at ${config.PGLITE_DATA_DIR}` : ''}; model: ${config.openai.enabled ? config.OPENAI_MODEL : 'offline engine'})`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
