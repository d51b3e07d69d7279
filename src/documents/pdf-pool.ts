import type { ChildProcess } from 'node:child_process';
import puppeteer, { type Browser, type HTTPRequest, type Page } from 'puppeteer-core';
import { AppError } from '../errors.js';
import { CHROMIUM_INSTALL_HINT, type ChromiumResolution } from './chromium.js';

/**
 * A pool of warm Chromium instances that turns self-contained HTML into PDF.
 *
 * - Bounded: `size` browsers at most, each rendering one document at a time on one reused page
 *   (`setContent`, no navigation, no new page per PDF); at most `queueMax` callers wait, the next
 *   one gets a 503 (`pdf_busy`).
 * - Lazy: nothing is launched until the first render; a second browser only when two renders
 *   overlap.
 * - Self-healing: a browser that crashes or disconnects is dropped and the next render launches a
 *   fresh one; a render cut short by a crash is retried once on a fresh browser.
 * - Trimmed when idle: a page's renderer keeps what a run of renders made it allocate (about 70 MiB
 *   after a hundred invoices, then flat), and only a new renderer gives it back. So once a browser
 *   has been idle for `idleTrimMs` after at least `trimAfterRenders` renders on its page, the page
 *   is replaced (about 80 ms, off the request path) and memory returns to its warm baseline.
 * - Locked down: JavaScript is disabled on the page and every request the document makes
 *   (images, stylesheets, fonts, frames, navigations) is aborted except our own inline content
 *   (`data:` and `about:blank`), so a memo holding `<img src=http://...>` cannot reach anything
 *   even if it escaped the template's escaping.
 * - Closed by `close()` (the app's onClose hook); renders after that fail with a 503.
 */

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
  '--disable-extensions',
  '--disable-default-apps',
  '--mute-audio',
  '--no-default-browser-check',
  // The PDF's Creator is the browser's user agent: name the product, not "HeadlessChrome/<version>".
  '--user-agent=Billing Assistant',
  // No network at all: every connection goes to a dead proxy (loopback included). Request
  // interception blocks what the page asks for; this also covers what Chromium opens on its own
  // (e.g. the speculative connection for an iframe's navigation, which interception never sees).
  '--proxy-server=127.0.0.1:1',
  '--proxy-bypass-list=<-loopback>',
];

export class PdfUnavailableError extends AppError {
  constructor(code: 'pdf_unavailable' | 'pdf_busy' | 'pdf_failed' | 'pdf_closed', message: string, opts: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(503, code, message, {
      ...(opts.retryAfterSeconds ? { headers: { 'retry-after': String(opts.retryAfterSeconds) } } : {}),
      ...(opts.cause === undefined ? {} : { cause: opts.cause }),
    });
  }
}

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
  /** Renders retried on a fresh browser after a crash. */
  retries: number;
  busy: number;
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

export interface PoolLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PdfPoolOptions {
  size: number;
  queueMax: number;
  /** Where Chromium is; called on each launch, so installing it later needs no restart. */
  resolveExecutable: () => ChromiumResolution;
  launchTimeoutMs?: number;
  renderTimeoutMs?: number;
  /** Replace a page after this many renders, bounding any memory a long-lived page accumulates. */
  rendersPerPage?: number;
  /** Replace a page that has done `trimAfterRenders` renders once it has been idle this long (0: never). */
  idleTrimMs?: number;
  trimAfterRenders?: number;
  logger?: PoolLog;
}

interface Slot {
  id: number;
  browser: Browser | null;
  page: Page | null;
  pageRenders: number;
  busy: boolean;
  /** Launch in progress (so close() can wait for it and close what it produced). */
  starting: Promise<Page> | null;
  /** Pending idle trim (see `idleTrimMs`). */
  trimTimer: NodeJS.Timeout | null;
  /** Replacing its idle page right now. */
  trimming: boolean;
}

export const DEFAULT_IDLE_TRIM_MS = 5_000;
export const DEFAULT_TRIM_AFTER_RENDERS = 25;

interface Waiter {
  resolve(slot: Slot): void;
  reject(err: unknown): void;
}

const INLINE = /^(?:data:|about:blank$)/;

/** ref()/unref() a child process and its stdio pipes (puppeteer's pipe transport reads them). */
function refProcess(proc: ChildProcess | null, on: boolean): void {
  if (!proc) return;
  if (on) proc.ref();
  else proc.unref();
  for (const stream of proc.stdio) {
    const s = stream as { ref?: () => void; unref?: () => void } | null;
    if (on) s?.ref?.();
    else s?.unref?.();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createPdfPool(opts: PdfPoolOptions): PdfRenderer {
  if (!Number.isInteger(opts.size) || opts.size < 1) throw new Error('createPdfPool: size must be >= 1');
  const launchTimeoutMs = opts.launchTimeoutMs ?? 30_000;
  const renderTimeoutMs = opts.renderTimeoutMs ?? 15_000;
  const rendersPerPage = opts.rendersPerPage ?? 500;
  const idleTrimMs = opts.idleTrimMs ?? DEFAULT_IDLE_TRIM_MS;
  const trimAfterRenders = Math.max(1, opts.trimAfterRenders ?? DEFAULT_TRIM_AFTER_RENDERS);
  const log = opts.logger;
  const slots: Slot[] = Array.from({ length: opts.size }, (_, id) => ({ id, browser: null, page: null, pageRenders: 0, busy: false, starting: null, trimTimer: null, trimming: false }));
  const waiters: Waiter[] = [];
  let closed = false;
  let closing: Promise<void> | null = null;
  const counters = { launches: 0, renders: 0, failures: 0, disconnects: 0, retries: 0, blockedRequests: 0, rejected: 0, pageRecycles: 0 };

  const closedError = () => new PdfUnavailableError('pdf_closed', 'The PDF service is shutting down; try again in a moment.');

  function acquire(): Promise<Slot> {
    if (closed) return Promise.reject(closedError());
    // Prefer a free slot whose browser is warm, so a second browser starts only under overlap. A
    // lone request arriving while a warm browser replaces its idle page waits the ~80 ms for it
    // rather than launching another browser.
    const warm = slots.find((s) => !s.busy && s.page);
    const waitForTrim = !warm && waiters.length === 0 && opts.queueMax > 0 && slots.some((s) => s.trimming);
    const free = warm ?? (waitForTrim ? undefined : slots.find((s) => !s.busy));
    if (free) {
      free.busy = true;
      cancelTrim(free);
      return Promise.resolve(free);
    }
    if (waiters.length >= opts.queueMax) {
      counters.rejected++;
      return Promise.reject(
        new PdfUnavailableError('pdf_busy', `The PDF service is busy (${opts.size} rendering, ${waiters.length} waiting); try again in a few seconds.`, {
          retryAfterSeconds: 2,
        }),
      );
    }
    return new Promise<Slot>((resolve, reject) => waiters.push({ resolve, reject }));
  }

  function release(slot: Slot): void {
    const next = waiters.shift();
    if (next && !closed) next.resolve(slot);
    else {
      slot.busy = false;
      scheduleTrim(slot);
    }
  }

  function cancelTrim(slot: Slot): void {
    if (slot.trimTimer) clearTimeout(slot.trimTimer);
    slot.trimTimer = null;
  }

  function scheduleTrim(slot: Slot): void {
    cancelTrim(slot);
    if (closed || idleTrimMs <= 0 || !slot.page || slot.pageRenders < trimAfterRenders) return;
    slot.trimTimer = setTimeout(() => void trim(slot), idleTrimMs);
    // An idle pool never keeps the process alive.
    slot.trimTimer.unref();
  }

  /** Replace an idle slot's page; a render that arrives meanwhile waits for it (or takes another slot). */
  async function trim(slot: Slot): Promise<void> {
    slot.trimTimer = null;
    if (closed || slot.busy || !slot.page || !slot.browser?.connected) return;
    slot.busy = true;
    slot.trimming = true;
    try {
      await recyclePage(slot);
    } catch (err) {
      log?.warn({ slot: slot.id, err: describe(err) }, 'pdf pool: could not replace an idle page; dropping that browser');
      await discard(slot);
    } finally {
      slot.trimming = false;
      // Nothing to trim again until the new page has done its own renders.
      release(slot);
    }
  }

  async function discard(slot: Slot): Promise<void> {
    cancelTrim(slot);
    const browser = slot.browser;
    slot.browser = null;
    slot.page = null;
    slot.pageRenders = 0;
    if (!browser) return;
    const proc = browser.process();
    // Closing waits on the browser's pipes and exit: keep the process alive until it is done.
    refProcess(proc, true);
    try {
      await Promise.race([
        browser.close(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('browser.close() timed out')), 5_000).unref()),
      ]);
    } catch (err) {
      log?.warn({ err: describe(err), slot: slot.id }, 'pdf pool: browser did not close cleanly; killing it');
      proc?.kill('SIGKILL');
    }
  }

  /**
   * An idle browser never keeps the process alive by itself (a script or the evals runner that
   * builds the services without the app and forgets close() still exits; puppeteer kills the
   * browser on exit); a busy one does, so an awaited render always completes.
   */
  function hold(slot: Slot, busy: boolean): void {
    refProcess(slot.browser?.process() ?? null, busy);
  }

  function onRequest(req: HTTPRequest): void {
    // Puppeteer throws if a request is handled twice; interception is ours alone.
    if (INLINE.test(req.url())) {
      void req.continue().catch(() => undefined);
      return;
    }
    counters.blockedRequests++;
    void req.abort('blockedbyclient').catch(() => undefined);
  }

  async function preparePage(page: Page): Promise<Page> {
    page.setDefaultTimeout(renderTimeoutMs);
    await page.setJavaScriptEnabled(false);
    await page.setRequestInterception(true);
    page.on('request', onRequest);
    return page;
  }

  async function launch(slot: Slot): Promise<Page> {
    if (closed) throw closedError();
    const exe = opts.resolveExecutable();
    if (!exe.ok) throw new PdfUnavailableError('pdf_unavailable', exe.message);
    let browser: Browser;
    try {
      browser = await puppeteer.launch({
        executablePath: exe.path,
        headless: true,
        pipe: true,
        args: [...CHROMIUM_ARGS],
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        timeout: launchTimeoutMs,
        protocolTimeout: renderTimeoutMs * 2,
      });
    } catch (err) {
      throw new PdfUnavailableError('pdf_unavailable', `PDF rendering is unavailable: Chromium at ${exe.path} could not be started; ${CHROMIUM_INSTALL_HINT}.`, {
        cause: err,
      });
    }
    counters.launches++;
    if (closed) {
      await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
      throw closedError();
    }
    browser.on('disconnected', () => {
      if (slot.browser === browser) {
        counters.disconnects++;
        slot.browser = null;
        slot.page = null;
        slot.pageRenders = 0;
        if (!closed) log?.warn({ slot: slot.id }, 'pdf pool: browser disconnected; the next render starts a new one');
      }
    });
    slot.browser = browser;
    hold(slot, true);
    try {
      const page = await preparePage((await browser.pages())[0] ?? (await browser.newPage()));
      slot.page = page;
      log?.info({ slot: slot.id, pid: browser.process()?.pid, executable: exe.path }, 'pdf pool: browser started');
      return page;
    } catch (err) {
      await discard(slot);
      throw err;
    }
  }

  /** A new page (and with it a new renderer process) in the same browser; the old one is closed. */
  async function recyclePage(slot: Slot): Promise<Page> {
    const browser = slot.browser;
    const old = slot.page;
    if (!browser) throw new Error('no browser');
    const page = await preparePage(await browser.newPage());
    if (slot.browser !== browser) {
      // The browser went away meanwhile (crash, close()): nothing to keep.
      await page.close().catch(() => undefined);
      throw new Error('browser disconnected while replacing the page');
    }
    slot.page = page;
    slot.pageRenders = 0;
    counters.pageRecycles++;
    await old?.close().catch(() => undefined);
    return page;
  }

  async function pageFor(slot: Slot): Promise<Page> {
    if (slot.page && !slot.page.isClosed() && slot.browser?.connected) {
      // Recycle the page (not the browser) after many renders.
      return slot.pageRenders < rendersPerPage ? slot.page : recyclePage(slot);
    }
    if (slot.browser) await discard(slot);
    slot.starting = launch(slot);
    try {
      return await slot.starting;
    } finally {
      slot.starting = null;
    }
  }

  async function renderOn(slot: Slot, html: string): Promise<Buffer> {
    for (let attempt = 0; ; attempt++) {
      if (closed) throw closedError();
      const page = await pageFor(slot);
      hold(slot, true);
      if (closed) throw closedError();
      try {
        await page.setContent(html, { waitUntil: 'load', timeout: renderTimeoutMs });
        const pdf = await page.pdf({ printBackground: true, preferCSSPageSize: true, timeout: renderTimeoutMs });
        slot.pageRenders++;
        counters.renders++;
        return Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
      } catch (err) {
        if (closed) throw closedError();
        const crashed = !slot.browser || !slot.browser.connected || page.isClosed();
        // Whatever went wrong, don't reuse that browser; try once more on a fresh one (a crash, or
        // Chromium's intermittent "Printing failed" after a page full of blocked subresources).
        await discard(slot);
        if (attempt === 0) {
          counters.retries++;
          log?.warn({ slot: slot.id, crashed, err: describe(err) }, 'pdf pool: render failed; retrying on a new browser');
          continue;
        }
        throw new PdfUnavailableError('pdf_failed', 'The PDF could not be created right now; please try again.', { cause: err });
      }
    }
  }

  return {
    async render(html) {
      const slot = await acquire();
      try {
        return await renderOn(slot, html);
      } catch (err) {
        counters.failures++;
        if (!(err instanceof PdfUnavailableError && err.code === 'pdf_closed')) {
          log?.error({ err: describe(err), cause: err instanceof Error && err.cause ? describe(err.cause) : undefined }, 'pdf render failed');
        }
        throw err;
      } finally {
        release(slot);
        if (!slot.busy) hold(slot, false);
      }
    },
    stats() {
      return {
        size: opts.size,
        queueMax: opts.queueMax,
        ...counters,
        browsers: slots.filter((s) => s.browser?.connected).length,
        busy: slots.filter((s) => s.busy).length,
        queued: waiters.length,
      };
    },
    browserPids() {
      return slots.map((s) => s.browser?.process()?.pid).filter((p): p is number => typeof p === 'number');
    },
    close() {
      closing ??= (async () => {
        closed = true;
        for (const s of slots) cancelTrim(s);
        for (const w of waiters.splice(0)) w.reject(closedError());
        await Promise.all(
          slots.map(async (s) => {
            if (s.starting) await s.starting.catch(() => undefined);
            await discard(s);
          }),
        );
      })();
      return closing;
    },
  };
}
