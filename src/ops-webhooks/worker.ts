import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import { eventMessage } from '../eventlog/feed.js';
import { claimDue, displayUrl, enqueueDeliveries, registerEndpoints, settleAttempt, type AttemptResult, type ClaimedDelivery } from './deliveries.js';
import { createWebhookSigner, type WebhookSigner } from './signing.js';

/**
 * The outbound webhook worker: every OPS_WEBHOOK_POLL_MS it (1) creates the deliveries of new
 * events for each configured URL, (2) claims the due deliveries (several replicas share the
 * work: src/ops-webhooks/deliveries.ts), (3) POSTs each event, signed per Standard Webhooks,
 * and (4) records the attempt: 2xx is delivered; anything else (another status, a redirect, a
 * timeout, a network error) is retried after about base·2^(n−1) (±25% jitter, at most 6 hours),
 * and after OPS_WEBHOOK_MAX_ATTEMPTS the delivery is 'failed'. The schedule lives in the
 * database (next_attempt_at), not in this process: a restart or another replica picks it up.
 * (p-retry retries inside one process; a delivery waiting an hour must survive a deploy.)
 */

export interface WebhookWorkerOptions {
  db: Kysely<DB>;
  urls: readonly string[];
  /** whsec_… (OPS_WEBHOOK_SECRET). */
  secret: string;
  pollMs: number;
  retryBaseMs: number;
  maxAttempts: number;
  timeoutMs: number;
  /** Deliveries claimed per tick. */
  batch?: number;
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void } | undefined;
  /** Jitter source (tests pin it). */
  random?: () => number;
}

export interface TickResult {
  enqueued: number;
  attempted: number;
  delivered: number;
}

export interface WebhookWorker {
  /** Registers the URLs (new ones start at the feed's head), runs a first tick, then one every pollMs. */
  start(): Promise<void>;
  /** Stops the timer and waits for the tick in progress. */
  stop(): Promise<void>;
  /** One round (tests call it directly). */
  tick(): Promise<TickResult>;
}

const MAX_DELAY_MS = 6 * 60 * 60 * 1000;
/** A claim outlives the HTTP timeout by this much before another worker may take the delivery. */
const LEASE_MARGIN_MS = 30_000;

/** The wait before attempt n+1 after attempt n failed: base·2^(n−1), capped, ±25% jitter. */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const plain = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), MAX_DELAY_MS);
  return Math.round(plain * (0.75 + random() * 0.5));
}

/** A short reason for a failed request: never the URL (it may carry a token) nor the response body. */
function describeError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `timeout after ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return `network error (${cause.code})`;
  return err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 200) : 'request failed';
}

/** One POST of one event. */
async function send(d: ClaimedDelivery, sign: WebhookSigner, timeoutMs: number): Promise<AttemptResult> {
  const body = JSON.stringify(eventMessage(d.event));
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await fetch(d.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'billing-assistant-webhooks/1', ...sign(d.event.eventId, new Date(), body) },
      body,
      // A redirect is a failure (the receiver's URL is configured, not discovered).
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return { ok: true, statusCode: res.status, durationMs: elapsed() };
    return { ok: false, statusCode: res.status, error: `HTTP ${res.status}`, durationMs: elapsed() };
  } catch (err) {
    return { ok: false, statusCode: null, error: describeError(err, timeoutMs), durationMs: elapsed() };
  }
}

export function createWebhookWorker(opts: WebhookWorkerOptions): WebhookWorker {
  const sign = createWebhookSigner(opts.secret);
  const batch = opts.batch ?? 10;
  const random = opts.random ?? Math.random;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = false;

  const deliver = async (d: ClaimedDelivery): Promise<boolean> => {
    const startedAt = new Date();
    const result = await send(d, sign, opts.timeoutMs);
    const outcome = await settleAttempt(opts.db, d, result, { startedAt, maxAttempts: opts.maxAttempts, retryDelayMs: retryDelayMs(d.attempt, opts.retryBaseMs, random) });
    if (!result.ok) {
      const fields = { deliveryId: d.id.toString(), eventId: d.event.eventId, url: displayUrl(d.url), attempt: d.attempt, statusCode: result.statusCode, error: result.error };
      if (outcome === 'failed') opts.log?.error(fields, 'webhook delivery failed for good');
      else opts.log?.warn(fields, 'webhook delivery failed; will retry');
    }
    return outcome === 'delivered';
  };

  const tick = async (): Promise<TickResult> => {
    let enqueued = 0;
    for (const url of opts.urls) enqueued += await enqueueDeliveries(opts.db, url, 100);
    const due = await claimDue(opts.db, { urls: opts.urls, limit: batch, leaseMs: opts.timeoutMs + LEASE_MARGIN_MS });
    const results = await Promise.all(due.map(deliver));
    return { enqueued, attempted: due.length, delivered: results.filter(Boolean).length };
  };

  const runTick = () => {
    if (running || stopped) return;
    running = tick()
      .catch((err: unknown) => opts.log?.error({ err: err instanceof Error ? err.message : String(err) }, 'webhook worker tick failed'))
      .finally(() => {
        running = null;
      });
  };

  return {
    async start() {
      stopped = false;
      await registerEndpoints(opts.db, opts.urls);
      runTick();
      timer = setInterval(runTick, opts.pollMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
    tick,
  };
}

/** The worker the configuration asks for: none without OPS_WEBHOOK_URLS (config.ts requires the secret with them). */
export function webhookWorkerFor(config: Config, db: Kysely<DB>, log?: WebhookWorkerOptions['log']): WebhookWorker | null {
  if (config.opsWebhookUrls.length === 0 || !config.OPS_WEBHOOK_SECRET) return null;
  return createWebhookWorker({
    db,
    urls: config.opsWebhookUrls,
    secret: config.OPS_WEBHOOK_SECRET,
    pollMs: config.OPS_WEBHOOK_POLL_MS,
    retryBaseMs: config.OPS_WEBHOOK_RETRY_BASE_MS,
    maxAttempts: config.OPS_WEBHOOK_MAX_ATTEMPTS,
    timeoutMs: config.OPS_WEBHOOK_TIMEOUT_MS,
    log,
  });
}
