import { pino } from 'pino';
import { createBillingService } from '../billing/service.js';
import { openConfiguredDatabase } from '../bootstrap.js';
import { loadConfig } from '../config.js';
import { reconcileCheckoutSessions } from '../payments/reconcile.js';
import { logProcessResult } from '../http/routes/payments.js';
import { createPaymentsService } from '../payments/service.js';
import { clockFor } from '../services.js';

/**
 * `npm run payments:reconcile -- --days N` (default 3): applies completed Stripe Checkout
 * Sessions of the last N days that the webhook missed. Prints a JSON summary on stdout; logs
 * (alerts included) go to stderr. Exit code 1 when something needs an operator (rejected events).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const i = args.indexOf('--days');
  const days = i >= 0 ? Number(args[i + 1]) : 3;
  if (!Number.isFinite(days) || days <= 0 || days > 365) throw new Error('--days expects a number of days between 1 and 365');
  const log = pino({ level: config.LOG_LEVEL, base: { cmd: 'payments:reconcile' } }, pino.destination(2));
  if (config.payments.mode !== 'stripe') {
    process.stderr.write('sandbox mode (no STRIPE_SECRET_KEY): the sandbox delivers its events in-process; nothing to reconcile.\n');
    return;
  }
  const database = await openConfiguredDatabase(config);
  try {
    const clock = clockFor(config);
    const billing = createBillingService({ db: database.db, clock });
    const payments = createPaymentsService({ db: database.db, config, clock, billing, log });
    const summary = await reconcileCheckoutSessions(
      {
        db: database.db,
        payments: {
          processor: payments.processor,
          processEvent: async (event, source) => {
            const r = await payments.processEvent(event, source);
            logProcessResult(log, r);
            return r;
          },
        },
        now: () => new Date(),
      },
      { days },
    );
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    if (summary.rejected > 0) process.exitCode = 1;
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
