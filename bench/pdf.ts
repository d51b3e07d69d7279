/**
 * `npm run bench:pdf`: invoice PDF rendering through the real pool (src/documents/pdf-pool.ts) and
 * the real template (src/documents/invoice-html.ts), on the demo fixture's IN7654321.
 *
 * - cold: a new pool's first PDF (Chromium launch included), several times;
 * - warm: sequential PDFs on one warm browser and reused page (median over many);
 * - throughput: a burst of concurrent requests, pool size 1 and the default (PDF_POOL_SIZE 2);
 * - memory: Node RSS and the Chromium process tree's RSS at baseline, after a burst of 200 and
 *   after settling.
 * Writes the "Invoice PDFs (npm run bench:pdf)" section of BENCHMARKS.md.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fixedClock } from '../src/billing/dates.js';
import { seedFixture } from '../src/billing/fixture.js';
import { createBillingService } from '../src/billing/service.js';
import { testConfig } from '../src/config.js';
import { migrateToLatest, openDatabase } from '../src/db/index.js';
import { resolveChromium } from '../src/documents/chromium.js';
import { createInvoiceDocuments } from '../src/documents/invoice-pdf.js';
import { createPdfPool, DEFAULT_IDLE_TRIM_MS, type PdfRenderer } from '../src/documents/pdf-pool.js';
import { createLinkSigner } from '../src/links/signer.js';
import { processTree, readProc } from './proc.js';
import { percentile, writeBenchSection } from './report.js';

const TODAY = '2026-11-25';
const WARM_N = Number(process.env['BENCH_PDF_WARM'] ?? 200);
const COLD_N = Number(process.env['BENCH_PDF_COLD'] ?? 5);
const BURST = Number(process.env['BENCH_PDF_BURST'] ?? 100);
const RUNS = Number(process.env['BENCH_PDF_RUNS'] ?? 3);
const REF_N = Number(process.env['BENCH_PDF_REF'] ?? 100);
const MEMORY_BURST = 200;
const SETTLE_MS = DEFAULT_IDLE_TRIM_MS + 3_000;
/** The smallest sensible document: what any PDF costs on this machine (the floor under the invoice). */
const REFERENCE_HTML = '<!doctype html><html><head><meta charset="utf-8"><title>Reference</title></head><body><p>Reference</p></body></html>';

const round = (x: number, d = 1) => (Number.isFinite(x) ? Number(x.toFixed(d)) : NaN);
const median = (xs: number[]) => percentile(xs, 50);
const mib = (bytes: number) => round(bytes / 1024 / 1024, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

/**
 * Memory of a process and all its descendants (Linux /proc), in bytes: the sum of PSS (shared pages
 * divided among the processes sharing them, so Chromium's zygote and renderers are not counted
 * several times), falling back to RSS where smaps_rollup is unreadable.
 */
function treeRss(rootPid: number): number {
  let total = 0;
  for (const pid of processTree(rootPid)) {
    const pss = /^Pss:\s+(\d+) kB/m.exec(readProc(pid, 'smaps_rollup') ?? '');
    const m = pss ?? /VmRSS:\s+(\d+) kB/.exec(readProc(pid, 'status') ?? '');
    total += Number(m?.[1] ?? 0) * 1024;
  }
  return total;
}

/** CPU time (user + system) of a process and its descendants, in ms (Linux /proc; 100 ticks/s). */
function treeCpuMs(rootPid: number): number {
  let total = 0;
  for (const pid of processTree(rootPid)) {
    const stat = readProc(pid, 'stat');
    if (!stat) continue;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(f[11]) + Number(f[12])) * 10;
  }
  return total;
}

function chromiumRss(pool: PdfRenderer): number {
  return pool.browserPids().reduce((sum, pid) => sum + treeRss(pid), 0);
}

function load(): string {
  return os
    .loadavg()
    .slice(0, 1)
    .map((x) => x.toFixed(1))
    .join('');
}

async function main(): Promise<void> {
  const chromium = resolveChromium({ CHROMIUM_PATH: process.env['CHROMIUM_PATH'], PUPPETEER_EXECUTABLE_PATH: process.env['PUPPETEER_EXECUTABLE_PATH'] });
  if (!chromium.ok) {
    console.error(chromium.message);
    process.exit(1);
  }
  const chromiumVersion = (() => {
    try {
      return execFileSync(chromium.path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return chromium.path;
    }
  })();
  const started = Date.now();
  const loadBefore = load();

  // The fixture's IN7654321, through the same functions the app uses.
  const database = await openDatabase({ pgliteDataDir: 'memory://' });
  await migrateToLatest(database.db);
  await seedFixture(database.db, TODAY);
  const config = testConfig({ FIXED_TODAY: TODAY });
  const clock = fixedClock(TODAY);
  const billing = createBillingService({ db: database.db, clock });
  const links = createLinkSigner({ keys: config.linkKeys, ttlSeconds: config.LINK_TTL_SECONDS, baseUrl: config.publicBaseUrl, now: () => clock.now() });
  const invoice = await billing.invoice('R10042', 'IN7654321');
  if (!invoice) throw new Error('fixture invoice missing');
  await database.close();

  const pools: PdfRenderer[] = [];
  const newPool = (size: number, queueMax = 10_000) => {
    const p = createPdfPool({ size, queueMax, resolveExecutable: () => chromium });
    pools.push(p);
    const documents = createInvoiceDocuments({ billing, links, pdf: p, linkTtlSeconds: config.LINK_TTL_SECONDS, timeZone: config.BILLING_TIME_ZONE, now: () => clock.now() });
    return { pool: p, render: () => documents.pdfFor(invoice) };
  };
  let pdfBytes = 0;

  try {
    // Cold: a fresh pool's first PDF, launch included.
    const cold: number[] = [];
    for (let i = 0; i < COLD_N; i++) {
      const { pool, render } = newPool(1);
      const t0 = performance.now();
      pdfBytes = (await render()).pdf.length;
      cold.push(performance.now() - t0);
      await pool.close();
      console.log(`cold ${i + 1}/${COLD_N}: ${round(cold.at(-1)!)} ms`);
    }

    // Warm: sequential renders on one warm browser and page.
    const warmPool = newPool(1);
    for (let i = 0; i < 10; i++) await warmPool.render();
    const warm: number[] = [];
    const [browserPid] = warmPool.pool.browserPids();
    const chromeCpu0 = treeCpuMs(browserPid!);
    const nodeCpu0 = process.cpuUsage();
    for (let i = 0; i < WARM_N; i++) {
      const t0 = performance.now();
      await warmPool.render();
      warm.push(performance.now() - t0);
    }
    const chromeCpuPerPdf = (treeCpuMs(browserPid!) - chromeCpu0) / WARM_N;
    const nodeCpu = process.cpuUsage(nodeCpu0);
    const nodeCpuPerPdf = (nodeCpu.user + nodeCpu.system) / 1000 / WARM_N;
    console.log(`warm: median ${round(median(warm))} ms over ${WARM_N}`);

    // Reference: the floor for any PDF on this machine. A one-line document on the same warm page,
    // alternating with the invoice, so the ratio says what the invoice itself costs whatever the
    // machine's speed or load.
    const paired: Array<{ invoice: number; reference: number }> = [];
    for (let i = 0; i < REF_N; i++) {
      const t0 = performance.now();
      await warmPool.render();
      const t1 = performance.now();
      await warmPool.pool.render(REFERENCE_HTML);
      paired.push({ invoice: t1 - t0, reference: performance.now() - t1 });
    }
    const refMedian = median(paired.map((p) => p.reference));
    const ratio = median(paired.map((p) => p.invoice / p.reference));
    console.log(`reference: one-line PDF median ${round(refMedian)} ms; invoice / reference ${round(ratio, 2)}x`);
    const warmStats = warmPool.pool.stats();
    await warmPool.pool.close();

    // Throughput: bursts of concurrent requests.
    const throughput: Array<{ size: number; runs: number[]; launches: number }> = [];
    for (const size of [1, config.PDF_POOL_SIZE]) {
      const p = newPool(size);
      await Promise.all(Array.from({ length: size * 2 }, () => p.render())); // warm every browser
      const runs: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const t0 = performance.now();
        await Promise.all(Array.from({ length: BURST }, () => p.render()));
        runs.push(BURST / ((performance.now() - t0) / 1000));
        console.log(`throughput size ${size} run ${r + 1}: ${round(runs.at(-1)!)} PDFs/s`);
      }
      throughput.push({ size, runs, launches: p.pool.stats().launches });
      await p.pool.close();
    }

    // Memory: baseline on a warm default-size pool, a burst of 200, then settle.
    const mem = newPool(config.PDF_POOL_SIZE);
    await Promise.all(Array.from({ length: config.PDF_POOL_SIZE * 5 }, () => mem.render()));
    await sleep(2000);
    gc();
    const base = { node: process.memoryUsage().rss, chrome: chromiumRss(mem.pool) };
    const tBurst = performance.now();
    let peakNode = 0;
    let peakChrome = 0;
    const sampler = setInterval(() => {
      peakNode = Math.max(peakNode, process.memoryUsage().rss);
      peakChrome = Math.max(peakChrome, chromiumRss(mem.pool));
    }, 100);
    await Promise.all(Array.from({ length: MEMORY_BURST }, () => mem.render()));
    clearInterval(sampler);
    const burstSeconds = (performance.now() - tBurst) / 1000;
    const after = { node: process.memoryUsage().rss, chrome: chromiumRss(mem.pool) };
    // The pool replaces an idle page after DEFAULT_IDLE_TRIM_MS (that is what gives the memory back).
    await sleep(SETTLE_MS);
    gc();
    const settled = { node: process.memoryUsage().rss, chrome: chromiumRss(mem.pool) };
    const memStats = mem.pool.stats();
    await mem.pool.close();

    const loadAfter = load();
    const total = Math.round((Date.now() - started) / 1000);
    const warmMedian = median(warm);
    const byName = (size: number) => throughput.find((x) => x.size === size)!;
    const t1 = byName(1);
    const tDefault = byName(config.PDF_POOL_SIZE);
    const within = (a: number, b: number) => Math.abs(a - b) / b;
    const back = within(settled.node + settled.chrome, base.node + base.chrome) <= 0.1;

    const body = [
      `- Command: \`npm run bench:pdf\` (PDF_POOL_SIZE default ${config.PDF_POOL_SIZE}). Date ${new Date().toISOString()}; total runtime ${total} s.`,
      `- Machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}), ${mib(os.totalmem())} MiB RAM, Node ${process.version}, ${chromiumVersion}, puppeteer-core ${puppeteerVersion()}; 1-minute load average ${loadBefore} → ${loadAfter} (shared machine: other suites were running).`,
      `- Method: the fixture's IN7654321 through \`createInvoiceDocuments(...).pdfFor\` (the invoice template, then \`page.setContent\` + \`page.pdf\` on the pool's reused page; JavaScript off, request interception on, exactly as served; font Liberation Sans). One PDF is ${round(pdfBytes / 1024)} KiB, one US Letter page. Wall time in Node.`,
      '',
      '| measure | result | target |',
      '| --- | ---: | --- |',
      `| cold: new pool, first PDF (Chromium launch included), median of ${COLD_N} | ${round(median(cold), 0)} ms (min ${round(Math.min(...cold), 0)}, max ${round(Math.max(...cold), 0)}) | |`,
      `| warm: one PDF on a warm browser, median of ${WARM_N} sequential | **${round(warmMedian)} ms** (p90 ${round(percentile(warm, 90))}, p99 ${round(percentile(warm, 99))}, min ${round(Math.min(...warm))}) | < 80 ms: ${warmMedian < 80 ? 'met' : '**not met**'} |`,
      `| reference: a one-line PDF on the same warm page, median of ${REF_N} (alternating with the invoice) | ${round(refMedian)} ms; the invoice costs **${round(ratio, 2)}x** that (median of the paired ratios) | |`,
      `| CPU per warm PDF (all Chromium processes + Node), less sensitive to the load than wall time | ${round(chromeCpuPerPdf + nodeCpuPerPdf)} ms (Chromium ${round(chromeCpuPerPdf)}, Node ${round(nodeCpuPerPdf)}) | |`,
      `| browser launches during the ${WARM_N + 10 + 2 * REF_N} warm renders | ${warmStats.launches} | 1 (no launch per request) |`,
      `| throughput, pool size 1, bursts of ${BURST} concurrent (median of ${RUNS}) | ${round(median(t1.runs))} PDFs/s (runs: ${t1.runs.map((x) => round(x)).join(', ')}); ${t1.launches} launch | |`,
      `| throughput, pool size ${config.PDF_POOL_SIZE} (default), bursts of ${BURST} concurrent (median of ${RUNS}) | ${round(median(tDefault.runs))} PDFs/s (runs: ${tDefault.runs.map((x) => round(x)).join(', ')}); ${tDefault.launches} launches | |`,
      '',
      `Memory, pool size ${config.PDF_POOL_SIZE}, a burst of ${MEMORY_BURST} concurrent PDFs (${round(MEMORY_BURST / burstSeconds)} PDFs/s; ${memStats.launches} launches, ${memStats.failures} failures; ${memStats.pageRecycles} idle pages replaced after ${DEFAULT_IDLE_TRIM_MS / 1000} s, which is what returns the renderers' memory), in MiB (Node: RSS; Chromium: PSS summed over each browser's process tree):`,
      '',
      `| | baseline (warm) | peak during burst | right after | after ${SETTLE_MS / 1000} s idle | settled vs baseline |`,
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      `| Node process | ${mib(base.node)} | ${mib(peakNode)} | ${mib(after.node)} | ${mib(settled.node)} | ${settled.node >= base.node ? '+' : ''}${mib(settled.node - base.node)} |`,
      `| Chromium process trees | ${mib(base.chrome)} | ${mib(peakChrome)} | ${mib(after.chrome)} | ${mib(settled.chrome)} | ${settled.chrome >= base.chrome ? '+' : ''}${mib(settled.chrome - base.chrome)} |`,
      `| total | ${mib(base.node + base.chrome)} | | ${mib(after.node + after.chrome)} | ${mib(settled.node + settled.chrome)} | ${back ? 'back to baseline (within 10%)' : '**not back to baseline**'} |`,
      '',
      'Notes: the warm figure is what a request pays once the pool is up; a new page per PDF (not what the pool does) costs roughly 3x more and a launch per PDF about 10x (STACK-NOTES). Figures move a lot with the machine\'s load; compare ratios.',
    ].join('\n');
    writeBenchSection('Invoice PDFs (npm run bench:pdf)', body);
    console.log(`\n${body}\n\nwritten to BENCHMARKS.md`);
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
}

function puppeteerVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../node_modules/puppeteer-core/package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '24';
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
