import type { Factory } from 'generic-pool';
import type { Browser, Page } from 'puppeteer-core';
import { closeChromium, launchChromium, type ChromiumResolution } from './chromium.js';
import { describeError, PdfUnavailableError } from './pdf-errors.js';
import { preparePage } from './pdf-page.js';

/**
 * What the PDF pool holds: one warm browser with one reused page, made and ended by the pool's
 * factory (`browserFactory`), checked on every borrow, and trimmed when idle.
 *
 * Trimmed when idle: a page's renderer keeps what a run of renders made it allocate (about 70 MiB
 * after a hundred invoices, then flat), and only a new renderer gives it back. So once a browser
 * has been idle for `idleTrimMs` after at least `trimAfterRenders` renders on its page, the page is
 * replaced (about 80 ms, off the request path) and memory returns to its warm baseline. A render
 * that borrows the browser meanwhile waits for the new page rather than launching another browser.
 */

export interface PoolLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PoolSettings {
  resolveExecutable: () => ChromiumResolution;
  launchTimeoutMs: number;
  renderTimeoutMs: number;
  rendersPerPage: number;
  idleTrimMs: number;
  trimAfterRenders: number;
}

export interface PoolCounters {
  launches: number;
  renders: number;
  failures: number;
  disconnects: number;
  retries: number;
  blockedRequests: number;
  rejected: number;
  pageRecycles: number;
}

/** What the pool's functions share. */
export interface PoolContext {
  settings: PoolSettings;
  counters: PoolCounters;
  log: PoolLog | undefined;
  /** Every live browser the pool holds, idle or lent (stats and process ids). */
  browsers: Set<PooledBrowser>;
  closed: boolean;
  lastId: number;
}

export interface PooledBrowser {
  readonly id: number;
  readonly browser: Browser;
  page: Page;
  pageRenders: number;
  /** Pending idle trim. */
  trimTimer: NodeJS.Timeout | null;
  /** Replacing its idle page right now. */
  trimming: Promise<void> | null;
  /** Being closed by us (so its disconnect is not a crash). */
  closing: Promise<void> | null;
}

/**
 * A launch that failed, handed to the caller that asked for a browser. generic-pool retries a
 * rejected create() for as long as a caller waits, so create() never rejects.
 */
export interface FailedLaunch {
  readonly failed: unknown;
}

export type PoolEntry = PooledBrowser | FailedLaunch;

export function isFailedLaunch(entry: PoolEntry): entry is FailedLaunch {
  return 'failed' in entry;
}

/** The generic-pool factory: launch, close, and the check on borrow. */
export function browserFactory(ctx: PoolContext): Factory<PoolEntry> {
  return {
    create: () => openBrowser(ctx).catch((failed: unknown) => ({ failed })),
    destroy: (entry) => (isFailedLaunch(entry) ? Promise.resolve() : retireBrowser(ctx, entry)),
    validate: (entry) => (isFailedLaunch(entry) ? Promise.resolve(true) : readyForBorrow(entry)),
  };
}

function pageOptions(ctx: PoolContext) {
  return { renderTimeoutMs: ctx.settings.renderTimeoutMs, onBlocked: () => void ctx.counters.blockedRequests++ };
}

async function openBrowser(ctx: PoolContext): Promise<PooledBrowser> {
  const exe = ctx.settings.resolveExecutable();
  if (!exe.ok) throw new PdfUnavailableError('pdf_unavailable', exe.message);
  const { launchTimeoutMs, renderTimeoutMs } = ctx.settings;
  const browser = await launchChromium(exe.path, { launchTimeoutMs, protocolTimeoutMs: renderTimeoutMs * 2 });
  ctx.counters.launches++;
  const id = ++ctx.lastId;
  let page: Page;
  try {
    page = await preparePage((await browser.pages())[0] ?? (await browser.newPage()), pageOptions(ctx));
  } catch (err) {
    await closeChromium(browser);
    throw err;
  }
  const entry: PooledBrowser = { id, browser, page, pageRenders: 0, trimTimer: null, trimming: null, closing: null };
  browser.on('disconnected', () => onDisconnected(ctx, entry));
  ctx.browsers.add(entry);
  ctx.log?.info({ slot: id, pid: browser.process()?.pid, executable: exe.path }, 'pdf pool: browser started');
  return entry;
}

function onDisconnected(ctx: PoolContext, entry: PooledBrowser): void {
  if (entry.closing) return;
  ctx.counters.disconnects++;
  // Still in the pool: the check on its next borrow drops it and a new one is launched.
  if (!ctx.closed) ctx.log?.warn({ slot: entry.id }, 'pdf pool: browser disconnected; the next render starts a new one');
}

/** Closes a browser once, however many times it is asked (a failed render, the pool's destroy). */
export function retireBrowser(ctx: PoolContext, entry: PooledBrowser): Promise<void> {
  cancelTrim(entry);
  ctx.browsers.delete(entry);
  entry.closing ??= closeChromium(entry.browser, (err) => ctx.log?.warn({ err, slot: entry.id }, 'pdf pool: browser did not close cleanly; killing it'));
  return entry.closing;
}

/** The check on borrow: waits for an idle trim in progress, then keeps only a live browser and page. */
async function readyForBorrow(entry: PooledBrowser): Promise<boolean> {
  cancelTrim(entry);
  if (entry.trimming) await entry.trimming;
  return !entry.closing && entry.browser.connected && !entry.page.isClosed();
}

/** A new page (and with it a new renderer process) in the same browser; the old one is closed. */
export async function replacePage(ctx: PoolContext, entry: PooledBrowser): Promise<void> {
  const old = entry.page;
  const page = await preparePage(await entry.browser.newPage(), pageOptions(ctx));
  if (entry.closing || !entry.browser.connected) {
    // The browser went away meanwhile (crash, close()): nothing to keep.
    await page.close().catch(() => undefined);
    throw new Error('browser disconnected while replacing the page');
  }
  entry.page = page;
  entry.pageRenders = 0;
  ctx.counters.pageRecycles++;
  await old.close().catch(() => undefined);
}

export function cancelTrim(entry: PooledBrowser): void {
  if (entry.trimTimer) clearTimeout(entry.trimTimer);
  entry.trimTimer = null;
}

/**
 * Called as a browser goes back to the pool. Hand-written: generic-pool's idle eviction ends whole
 * resources, and here the browser stays warm and only its page is replaced.
 */
export function scheduleTrim(ctx: PoolContext, entry: PooledBrowser): void {
  cancelTrim(entry);
  const { idleTrimMs, trimAfterRenders } = ctx.settings;
  if (ctx.closed || idleTrimMs <= 0 || entry.pageRenders < trimAfterRenders) return;
  entry.trimTimer = setTimeout(() => {
    entry.trimTimer = null;
    entry.trimming = trimIdlePage(ctx, entry).finally(() => {
      entry.trimming = null;
    });
  }, idleTrimMs);
  // An idle pool never keeps the process alive.
  entry.trimTimer.unref();
}

async function trimIdlePage(ctx: PoolContext, entry: PooledBrowser): Promise<void> {
  if (ctx.closed || entry.closing || !entry.browser.connected) return;
  try {
    // Nothing to trim again until the new page has done its own renders.
    await replacePage(ctx, entry);
  } catch (err) {
    if (ctx.closed) return;
    ctx.log?.warn({ slot: entry.id, err: describeError(err) }, 'pdf pool: could not replace an idle page; dropping that browser');
    // Closed now; the check on its next borrow drops it from the pool.
    await retireBrowser(ctx, entry);
  }
}
