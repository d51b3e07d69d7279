import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The service's Prometheus metrics (prom-client), served by GET /metrics (src/http/routes/metrics.ts).
 * One registry per process: every replica is scraped on its own and Prometheus sums across them.
 * Labels only take values from closed sets (stop reasons, outcomes, tool names of the registry,
 * limit families, the configured model), never anything a user or a model typed.
 */
export const registry = new Registry();

const PREFIX = 'billing_assistant_';

export const turnsTotal = new Counter({
  name: `${PREFIX}chat_turns_total`,
  help: 'Assistant turns run by the agent loop, by how they ended.',
  labelNames: ['stop_reason'] as const,
  registers: [registry],
});

export const toolCallsTotal = new Counter({
  name: `${PREFIX}tool_calls_total`,
  help: 'Tool calls the model asked for in chat turns, by tool and outcome (ok, error, timeout, needs_approval...).',
  labelNames: ['tool', 'outcome'] as const,
  registers: [registry],
});

export const modelCallDuration = new Histogram({
  name: `${PREFIX}model_call_duration_seconds`,
  help: 'One model call (a round of a turn), from request to the last streamed chunk.',
  labelNames: ['model', 'outcome'] as const,
  // The offline engine answers in milliseconds, a hosted model in seconds.
  buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
  registers: [registry],
});

export const modelTokensTotal = new Counter({
  name: `${PREFIX}model_tokens_total`,
  help: 'Tokens the model reported, by model and type (input, output).',
  labelNames: ['model', 'type'] as const,
  registers: [registry],
});

export const webhookEventsTotal = new Counter({
  name: `${PREFIX}payment_webhook_events_total`,
  help: 'Payment webhook deliveries by outcome (applied, duplicate, ignored, rejected, signature_invalid...).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const rateLimitRejectionsTotal = new Counter({
  name: `${PREFIX}rate_limit_rejections_total`,
  help: 'Requests answered 429 by the rate limits, by limit family.',
  labelNames: ['family'] as const,
  registers: [registry],
});

const openStreams = new Gauge({
  name: `${PREFIX}sse_open_streams`,
  help: 'Server-sent event streams open on this replica.',
  registers: [registry],
});

/** Counts an open stream; call the returned function once when it ends (a second call does nothing). */
export function trackStream(): () => void {
  openStreams.inc();
  let open = true;
  return () => {
    if (!open) return;
    open = false;
    openStreams.dec();
  };
}

/** What the PDF pool reports about itself (a subset of PdfPoolStats, src/documents/pdf-pool.ts). */
export interface PdfPoolSample {
  size: number;
  queueMax: number;
  browsers: number;
  busy: number;
  queued: number;
  rejected: number;
}

const pdfPools = new Set<() => PdfPoolSample>();

/** Sums over the live pools (one per app; tests may hold several) when Prometheus scrapes. */
function pdfGauge(name: string, help: string, pick: (s: PdfPoolSample) => number): Gauge {
  return new Gauge({
    name: `${PREFIX}${name}`,
    help,
    registers: [registry],
    collect() {
      let total = 0;
      for (const sample of pdfPools) total += pick(sample());
      this.set(total);
    },
  });
}
pdfGauge('pdf_pool_size', 'Browsers the PDF pool may run at most (PDF_POOL_SIZE).', (s) => s.size);
pdfGauge('pdf_pool_browsers', 'Browsers alive in the PDF pool.', (s) => s.browsers);
pdfGauge('pdf_pool_busy', 'Browsers rendering a PDF right now.', (s) => s.busy);
pdfGauge('pdf_queue_waiting', 'Renders waiting for a browser.', (s) => s.queued);
pdfGauge('pdf_queue_max', 'Renders allowed to wait before the next gets 503 pdf_busy (PDF_QUEUE_MAX).', (s) => s.queueMax);
pdfGauge('pdf_rejected', 'Renders refused because the queue was full, since the pool started.', (s) => s.rejected);

/** Reports a PDF pool at every scrape until the returned function is called (the pool's close). */
export function observePdfPool(sample: () => PdfPoolSample): () => void {
  pdfPools.add(sample);
  return () => {
    pdfPools.delete(sample);
  };
}

let processMetrics = false;

/** Node's own metrics (event-loop lag, heap, GC, CPU), started once, by the /metrics route only. */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry });
}

/** The exposition text and its content type. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
