import { createPool, type Pool } from 'generic-pool';
import { refProcess, type ChromiumResolution } from './chromium.js';
import { browserFactory, cancelTrim, isFailedLaunch, replacePage, retireBrowser, scheduleTrim, type PoolContext, type PoolEntry, type PoolLog, type PooledBrowser } from './pdf-browser.js';
import { busyError, closedError, describeError, failedError, PdfUnavailableError } from './pdf-errors.js';
import { printPdf } from './pdf-page.js';
import { observePdfPool } from '../telemetry/metrics.js';

/**
 * A pool of warm Chromium instances that turns self-contained HTML into PDF, on generic-pool.
 *
 * - Bounded: `size` browsers at most, each rendering one document at a time on one reused page
 *   (`setContent`, no navigation, no new page per PDF); at most `queueMax` callers wait, the next
 *   one gets a 503 (`pdf_busy`), and so does one that waited `acquireTimeoutMs`.
 * - Lazy: nothing is launched until the first render; a second browser only when two renders
 *   overlap.
 * - Self-healing: every borrow checks the browser; one that crashed or disconnected is dropped and
 *   a fresh one launched. A render that fails is retried once on a fresh browser.
 * - Trimmed when idle, and locked down: see pdf-browser.ts and pdf-page.ts.
 * - Closed by `close()` (the app's onClose hook): renders in flight finish, waiting and later ones
 *   fail with a 503 (`pdf_closed`), every browser is closed.
 */

export { CHROMIUM_ARGS } from './chromium.js';
export { PdfUnavailableError } from './pdf-errors.js';
export type { PoolLog } from './pdf-browser.js';

export interface PdfPoolStats {
  size: number;
  queueMax: number;
  /** Browsers started since the pool was created. */
  launches: number;
  /** Browsers alive right now. */
  browsers: number;
  renders: number;
  failures: number;
  /** Browsers that went away on their own (crash, kill) and were dropped. */
  disconnects: number;
  /** Renders retried on a fresh browser after a failure. */
  retries: number;
  /** Browsers lent to a render. */
  busy: number;
  /** Callers waiting for a browser (a free one or one being launched). */
  queued: number;
  /** Requests from documents that were blocked. */
  blockedRequests: number;
  /** Rejected because the queue was full. */
  rejected: number;
  /** Pages replaced to give memory back: after idling (`idleTrimMs`) or `rendersPerPage` renders. */
  pageRecycles: number;
}

export interface PdfRenderer {
  render(html: string): Promise<Buffer>;
  stats(): PdfPoolStats;
  /** Process ids of the live browsers (tests kill one to prove recovery; the benchmark reads their memory). */
  browserPids(): number[];
  close(): Promise<void>;
}

export interface PdfPoolOptions {
  size: number;
  queueMax: number;
  /** Where Chromium is; called on each launch, so installing it later needs no restart. */
  resolveExecutable: () => ChromiumResolution;
  launchTimeoutMs?: number;
  renderTimeoutMs?: number;
  /** A caller waiting longer than this for a browser gets `pdf_busy` (default 60 s). */
  acquireTimeoutMs?: number;
  /** Replace a page after this many renders, bounding any memory a long-lived page accumulates. */
  rendersPerPage?: number;
  /** Replace a page that has done `trimAfterRenders` renders once it has been idle this long (0: never). */
  idleTrimMs?: number;
  trimAfterRenders?: number;
  logger?: PoolLog;
}

export const DEFAULT_IDLE_TRIM_MS = 5_000;
export const DEFAULT_TRIM_AFTER_RENDERS = 25;

/** A retry goes ahead of the queue (generic-pool: lower is first). */
const RETRY_PRIORITY = 0;
const FIRST_PRIORITY = 1;

interface PoolState {
  ctx: PoolContext;
  pool: Pool<PoolEntry>;
  size: number;
  queueMax: number;
  /** Renders admitted and not finished: rendering or waiting. */
  active: number;
  closing: Promise<void> | null;
}

export function createPdfPool(opts: PdfPoolOptions): PdfRenderer {
  if (!Number.isInteger(opts.size) || opts.size < 1) throw new Error('createPdfPool: size must be >= 1');
  const ctx: PoolContext = {
    settings: {
      resolveExecutable: opts.resolveExecutable,
      launchTimeoutMs: opts.launchTimeoutMs ?? 30_000,
      renderTimeoutMs: opts.renderTimeoutMs ?? 15_000,
      rendersPerPage: opts.rendersPerPage ?? 500,
      idleTrimMs: opts.idleTrimMs ?? DEFAULT_IDLE_TRIM_MS,
      trimAfterRenders: Math.max(1, opts.trimAfterRenders ?? DEFAULT_TRIM_AFTER_RENDERS),
    },
    counters: { launches: 0, renders: 0, failures: 0, disconnects: 0, retries: 0, blockedRequests: 0, rejected: 0, pageRecycles: 0 },
    log: opts.logger,
    browsers: new Set(),
    closed: false,
    lastId: 0,
  };
  const pool = createPool(browserFactory(ctx), {
    min: 0,
    max: opts.size,
    testOnBorrow: true,
    // The browser returned last goes out first, so the others can idle (and be trimmed).
    fifo: false,
    priorityRange: 2,
    acquireTimeoutMillis: opts.acquireTimeoutMs ?? 60_000,
  });
  const state: PoolState = { ctx, pool, size: opts.size, queueMax: opts.queueMax, active: 0, closing: null };
  // The pool's size, browsers and queue on /metrics (src/telemetry/metrics.ts) until it closes.
  const unobserve = observePdfPool(() => poolStats(state));
  return {
    render: (html) => renderPdf(state, html),
    stats: () => poolStats(state),
    browserPids: () => [...ctx.browsers].filter((e) => e.browser.connected).flatMap((e) => e.browser.process()?.pid ?? []),
    close: () => (state.closing ??= closePool(state).finally(unobserve)),
  };
}

/**
 * Our own bound on waiting callers: generic-pool's maxWaitingClients also counts callers whose
 * browser is being launched or checked, so it would refuse renders the pool has room for.
 */
function admit(state: PoolState): void {
  const waiting = state.active - state.size;
  if (waiting < state.queueMax) return;
  state.ctx.counters.rejected++;
  throw busyError(state.size, waiting);
}

async function renderPdf(state: PoolState, html: string): Promise<Buffer> {
  if (state.ctx.closed) throw closedError();
  admit(state);
  state.active++;
  try {
    return await renderWithRetry(state, html);
  } catch (err) {
    state.ctx.counters.failures++;
    if (!(err instanceof PdfUnavailableError && err.code === 'pdf_closed')) {
      state.ctx.log?.error({ err: describeError(err), cause: err instanceof Error && err.cause ? describeError(err.cause) : undefined }, 'pdf render failed');
    }
    throw err;
  } finally {
    state.active--;
  }
}

async function renderWithRetry(state: PoolState, html: string): Promise<Buffer> {
  const { ctx } = state;
  for (let attempt = 0; ; attempt++) {
    const entry = await borrow(state, attempt === 0 ? FIRST_PRIORITY : RETRY_PRIORITY);
    try {
      // Recycle the page (not the browser) after many renders.
      if (entry.pageRenders >= ctx.settings.rendersPerPage) await replacePage(ctx, entry);
      const pdf = await printPdf(entry.page, html, ctx.settings.renderTimeoutMs);
      entry.pageRenders++;
      ctx.counters.renders++;
      giveBack(state, entry);
      return pdf;
    } catch (err) {
      const crashed = !entry.browser.connected || entry.page.isClosed();
      // Whatever went wrong, don't reuse that browser; try once more on a fresh one (a crash, or
      // Chromium's intermittent "Printing failed" after a page full of blocked subresources).
      await dropBrowser(state, entry);
      if (ctx.closed) throw closedError();
      if (attempt > 0) throw failedError(err);
      ctx.counters.retries++;
      ctx.log?.warn({ slot: entry.id, crashed, err: describeError(err) }, 'pdf pool: render failed; retrying on a new browser');
    }
  }
}

/** A checked browser from the pool, held (kept alive) while it renders; a failed launch is thrown here. */
async function borrow(state: PoolState, priority: number): Promise<PooledBrowser> {
  if (state.ctx.closed) throw closedError();
  let entry: PoolEntry;
  try {
    entry = await state.pool.acquire(priority);
  } catch (err) {
    if (state.ctx.closed) throw closedError();
    if (err instanceof Error && err.name === 'TimeoutError') throw busyError(state.size, Math.max(0, state.active - state.size));
    throw err;
  }
  if (isFailedLaunch(entry)) {
    void state.pool.destroy(entry);
    throw entry.failed;
  }
  if (state.ctx.closed) {
    void state.pool.release(entry);
    throw closedError();
  }
  refProcess(entry.browser.process(), true);
  return entry;
}

/** Back to the pool: no longer keeping the process alive, and due for an idle trim. */
function giveBack(state: PoolState, entry: PooledBrowser): void {
  refProcess(entry.browser.process(), false);
  scheduleTrim(state.ctx, entry);
  void state.pool.release(entry);
}

/** Out of the pool for good, waiting until its browser is closed before a new one is launched. */
async function dropBrowser(state: PoolState, entry: PooledBrowser): Promise<void> {
  await retireBrowser(state.ctx, entry);
  void state.pool.destroy(entry);
}

function poolStats(state: PoolState): PdfPoolStats {
  const { ctx, pool } = state;
  return {
    size: state.size,
    queueMax: state.queueMax,
    ...ctx.counters,
    browsers: [...ctx.browsers].filter((e) => e.browser.connected).length,
    busy: pool.borrowed,
    queued: pool.pending,
  };
}

/** generic-pool's shutdown: drain (renders in flight finish; waiting ones see `closed`), then close every browser. */
async function closePool(state: PoolState): Promise<void> {
  state.ctx.closed = true;
  for (const entry of state.ctx.browsers) cancelTrim(entry);
  await state.pool.drain();
  await state.pool.clear();
}
