import { afterEach, beforeAll, expect, it } from 'vitest';
import { createPdfPool, PdfUnavailableError, type PdfPoolOptions, type PdfRenderer } from '../../src/documents/pdf-pool.js';
import { processTree, readProc } from '../../bench/proc.js';
import { createTestApp } from '../helpers/app.js';
import { CHROMIUM, describeWithBrowser, looksLikePdf, pdfText } from '../helpers/browser.js';

/**
 * The pool of warm Chromium instances, with a real browser: lazy launch, reuse (no launch per
 * request), bounded size and queue, recovery after a browser is killed, close on shutdown.
 */

const doc = (n: number) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>Doc ${n}</title><style>body{font-family:"DejaVu Sans",sans-serif}</style></head><body><h1>Document ${n}</h1><p>${'Lorem ipsum dolor sit amet. '.repeat(40)}</p></body></html>`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Chromium renderer processes under a browser (Linux /proc): the page's memory lives in one of them. */
function rendererPids(browserPid: number): number[] {
  return processTree(browserPid).filter((pid) => /--type=renderer/.test(readProc(pid, 'cmdline') ?? ''));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function rejection(p: Promise<unknown>): Promise<PdfUnavailableError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PdfUnavailableError);
  return err as PdfUnavailableError;
}

describeWithBrowser(
  'PDF pool (real Chromium)',
  () => {
    const pools: PdfRenderer[] = [];
    const pool = (size: number, queueMax = 10, extra: Partial<PdfPoolOptions> = {}) => {
      const p = createPdfPool({ size, queueMax, resolveExecutable: () => CHROMIUM, ...extra });
      pools.push(p);
      return p;
    };
    beforeAll(() => {
      expect(CHROMIUM.ok).toBe(true);
    });
    afterEach(async () => {
      await Promise.all(pools.splice(0).map((p) => p.close()));
    });

    it('launches lazily, then reuses one warm browser and page: no launch per request', async () => {
      const p = pool(2);
      expect(p.stats()).toMatchObject({ launches: 0, browsers: 0, renders: 0 });
      expect(p.browserPids()).toStrictEqual([]);
      const first = await p.render(doc(1));
      expect(looksLikePdf(first)).toBe(true);
      expect(pdfText(first)).toContain('Document 1');
      expect(p.stats()).toMatchObject({ launches: 1, browsers: 1, renders: 1 });
      const pid = p.browserPids()[0];
      for (let i = 2; i <= 8; i++) expect(pdfText(await p.render(doc(i)))).toContain(`Document ${i}`);
      // Sequential renders never need the second slot.
      expect(p.stats()).toMatchObject({ launches: 1, browsers: 1, renders: 8, failures: 0 });
      expect(p.browserPids()).toStrictEqual([pid]);
    });

    it('renders concurrently up to its size', async () => {
      const p = pool(2);
      const out = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => p.render(doc(n))));
      out.forEach((pdf, i) => expect(pdfText(pdf)).toContain(`Document ${i + 1}`));
      expect(p.stats().launches).toBeLessThanOrEqual(2);
      expect(p.stats()).toMatchObject({ renders: 6, failures: 0, busy: 0, queued: 0 });
    });

    it('bounds the queue: overflow gets a 503 pdf_busy with Retry-After', async () => {
      const p = pool(1, 1);
      await p.render(doc(0)); // warm
      const running = p.render(doc(1));
      const queued = p.render(doc(2));
      const overflow = await rejection(p.render(doc(3)));
      expect(overflow.statusCode).toBe(503);
      expect(overflow.code).toBe('pdf_busy');
      expect(overflow.headers).toStrictEqual({ 'retry-after': '2' });
      expect(overflow.message).toMatch(/busy.*try again in a few seconds/);
      expect(pdfText(await running)).toContain('Document 1');
      expect(pdfText(await queued)).toContain('Document 2');
      expect(p.stats()).toMatchObject({ rejected: 1, renders: 3, launches: 1 });
    });

    it('replaces a browser killed while idle: the next render works', async () => {
      const p = pool(1);
      await p.render(doc(1));
      const [pid] = p.browserPids();
      process.kill(pid!, 'SIGKILL');
      await until(() => p.stats().browsers === 0);
      expect(p.stats().disconnects).toBe(1);
      expect(pdfText(await p.render(doc(2)))).toContain('Document 2');
      expect(p.stats()).toMatchObject({ launches: 2, browsers: 1 });
      expect(p.browserPids()[0]).not.toBe(pid);
    });

    it('survives a browser killed mid-render: that render is retried on a new browser', async () => {
      const p = pool(1);
      await p.render(doc(1));
      const [pid] = p.browserPids();
      const pending = p.render(doc(2));
      process.kill(pid!, 'SIGKILL');
      const pdf = await pending;
      expect(pdfText(pdf)).toContain('Document 2');
      expect(p.stats()).toMatchObject({ launches: 2, failures: 0 });
      expect(pdfText(await p.render(doc(3)))).toContain('Document 3');
    });

    it('replaces a page once idle after a run of renders: its renderer process (and memory) goes, the browser stays', async () => {
      const p = pool(1, 10, { idleTrimMs: 150, trimAfterRenders: 3 });
      for (let i = 1; i <= 3; i++) await p.render(doc(i));
      const [pid] = p.browserPids();
      const before = rendererPids(pid!);
      expect(before.length).toBeGreaterThan(0);
      await until(() => p.stats().pageRecycles === 1);
      // The old page's renderer exits: that is what returns its memory.
      await until(() => before.some((r) => !alive(r)));
      expect(pdfText(await p.render(doc(4)))).toContain('Document 4');
      expect(p.stats()).toMatchObject({ launches: 1, renders: 4, failures: 0, pageRecycles: 1 });
      expect(p.browserPids()).toStrictEqual([pid]);
    });

    it('does not replace a page that has done fewer renders than trimAfterRenders, nor when idleTrimMs is 0', async () => {
      const few = pool(1, 10, { idleTrimMs: 50, trimAfterRenders: 3 });
      const never = pool(1, 10, { idleTrimMs: 0, trimAfterRenders: 1 });
      for (let i = 1; i <= 2; i++) await few.render(doc(i));
      for (let i = 1; i <= 3; i++) await never.render(doc(i));
      await sleep(400);
      expect(few.stats().pageRecycles).toBe(0);
      expect(never.stats().pageRecycles).toBe(0);
    });

    it('renders arriving around idle trims all succeed on the one warm browser (no extra launch)', async () => {
      const p = pool(2, 10, { idleTrimMs: 40, trimAfterRenders: 1 });
      for (let i = 1; i <= 8; i++) {
        expect(pdfText(await p.render(doc(i)))).toContain(`Document ${i}`);
        // Land at different points of the next trim (scheduled 40 ms after the render; it takes ~80 ms).
        await sleep(20 + i * 10);
      }
      const s = p.stats();
      expect(s).toMatchObject({ launches: 1, renders: 8, failures: 0 });
      expect(s.pageRecycles).toBeGreaterThan(0);
    });

    it('replaces the page (not the browser) after rendersPerPage renders', async () => {
      const p = pool(1, 10, { rendersPerPage: 2, idleTrimMs: 0 });
      for (let i = 1; i <= 5; i++) expect(pdfText(await p.render(doc(i)))).toContain(`Document ${i}`);
      expect(p.stats()).toMatchObject({ launches: 1, renders: 5, pageRecycles: 2 });
    });

    it('close() cancels a pending idle trim', async () => {
      const p = pool(1, 10, { idleTrimMs: 200, trimAfterRenders: 1 });
      await p.render(doc(1));
      await p.close();
      await sleep(400);
      expect(p.stats()).toMatchObject({ pageRecycles: 0, browsers: 0 });
    });

    it('close() ends every browser, rejects waiters and later renders with 503, and is idempotent', async () => {
      const p = pool(2, 5);
      await Promise.all([p.render(doc(1)), p.render(doc(2))]);
      // generic-pool gives a returned browser to the next waiter, so the second render may have
      // used the first browser while the second was still starting: wait until both are up.
      await until(() => p.browserPids().length === 2);
      const pids = p.browserPids();
      expect(pids).toHaveLength(2);
      const inflight = [p.render(doc(3)), p.render(doc(4)), p.render(doc(5))].map((r) => r.then(() => 'ok', (e: unknown) => (e instanceof PdfUnavailableError ? e.code : 'other')));
      await Promise.all([p.close(), p.close()]);
      const outcomes = await Promise.all(inflight);
      // The queued one is rejected; the two in flight either finished or were cut off cleanly.
      expect(outcomes.every((o) => o === 'ok' || o === 'pdf_closed')).toBe(true);
      expect(outcomes).toContain('pdf_closed');
      await until(() => pids.every((x) => !alive(x)));
      expect(p.stats().browsers).toBe(0);
      const late = await rejection(p.render(doc(6)));
      expect(late.code).toBe('pdf_closed');
      expect(late.statusCode).toBe(503);
    });

    it("closes the app's browsers on shutdown (onClose)", async () => {
      const t = await createTestApp();
      try {
        const res = await t.app.inject({ method: 'GET', url: '/v1/billing/invoices/IN7654321/pdf', headers: await t.auth('R10042') });
        expect(res.statusCode).toBe(200);
      } finally {
        const pids = t.app.services.pdf.browserPids();
        expect(pids).toHaveLength(1);
        await t.close();
        await until(() => pids.every((x) => !alive(x)));
      }
    });
  },
  { pdftotext: true },
);
