import './telemetry/register.js'; // first: tracing must start before pg loads (src/telemetry/register.ts)
import { buildApp } from './app.js';
import { openConfiguredDatabase, prepareDatabase } from './bootstrap.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { reportIdleError, type Database } from './db/index.js';
import { bannerLines, bannerRecord, listeningPort } from './http/start-banner.js';
import type { FastifyInstance } from 'fastify';
import { symbols } from 'pino';

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
  printBanner(app, config, database.kind);
}

/**
 * Where to go once the server listens (src/http/start-banner.ts): a block of text on stdout outside
 * production, one JSON record through the logger in production.
 */
function printBanner(app: FastifyInstance, config: Config, kind: Database['kind']): void {
  const port = listeningPort(app.server.address(), config.PORT);
  if (config.NODE_ENV === 'production') {
    const record = bannerRecord(config, kind, port);
    app.log.info(record, `Billing Assistant on ${record['url']}`);
    return;
  }
  // Written to the logger's own destination (plain text, not a log record) so that it follows the
  // start-up lines already logged: pino writes asynchronously, and pino-pretty passes non-JSON text through.
  const destination = (app.log as unknown as Record<symbol, { write?: unknown } | undefined>)[symbols.streamSym];
  const out = destination && typeof destination.write === 'function' ? (destination as { write(s: string): unknown }) : process.stdout;
  out.write(`\n${bannerLines(config, kind, port).join('\n')}\n\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
