import { loadConfig } from '../config.js';
import { startTracing } from './tracing.js';

/**
 * Starts tracing before the application's modules run: src/server.ts imports this module first.
 *
 * Why an import and not `node --import`: `pg` is CommonJS. An ES module graph is linked first and
 * evaluated in import order, and a CommonJS package imported from it runs at its turn in that
 * evaluation, so this module has registered instrumentation-pg's require hook (require-in-the-middle)
 * before `pg` runs; pg then loads `pg/lib/client.js` and `pg-pool` through require(), which the
 * hook patches. No loader (`--experimental-loader=@opentelemetry/instrumentation/hook.mjs`) is
 * needed for that, under tsx as under plain node on dist/ (tests/integration/telemetry.test.ts
 * checks pg spans from a real `src/server.ts` process). An ESM-only library would need the loader.
 *
 * An invalid configuration is left for src/server.ts to report (with its exit code 78).
 */
try {
  startTracing(loadConfig());
} catch {
  // Reported by src/server.ts.
}
