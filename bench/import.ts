/**
 * `npm run bench:import [-- --records N] [--error-records M] [--errors-every K] [--batch B] [--keep] [--no-write]`:
 * the bulk importer at scale (issue 18, Must show 4).
 *
 * Creates a fresh PostgreSQL database (`ba_bench_import` on the server of DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres; dropped at the end unless --keep), writes N invoice
 * records (default 1,000,000) and their accounts as NDJSON (bench/gen-import.ts), and imports them
 * with the real command (`src/cli/billing-import.ts`, what `npm run billing:import` runs) in a child
 * process whose RSS is sampled every half second and read at each of its progress lines. Then a
 * second file of M records (default 20,000) with a planted error every K-th invoice (default 100),
 * imported twice: the reject report, and the second run changing nothing. Writes the
 * `## Bulk import (npm run bench:import)` section of BENCHMARKS.md (unless --no-write).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { ImportSummary } from '../src/cli/import/run.js';
import { formatDuration } from '../src/cli/import/progress.js';
import { projectPath } from '../src/paths.js';
import { generateImportFile, PLANTED, type GenResult } from './gen-import.js';
import { readProc } from './proc.js';
import { writeBenchSection } from './report.js';

const ADMIN_URL = process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'ba_bench_import';
const n = new Intl.NumberFormat('en-US');
const mib = (bytes: number) => (bytes / 1048576).toFixed(0);

interface BenchArgs {
  records: number;
  errorRecords: number;
  errorsEvery: number;
  batch: number;
  keep: boolean;
  write: boolean;
}

function readArgs(): BenchArgs {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      records: { type: 'string', default: '1000000' },
      'error-records': { type: 'string', default: '20000' },
      'errors-every': { type: 'string', default: '100' },
      batch: { type: 'string', default: '500' },
      keep: { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const int = (name: string, v: string, min: number) => {
    const x = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(x) || x < min) throw new Error(`--${name} must be an integer >= ${min}, got "${v}"`);
    return x;
  };
  return {
    records: int('records', values.records, 1),
    errorRecords: int('error-records', values['error-records'], 1),
    errorsEvery: int('errors-every', values['errors-every'], 2),
    batch: int('batch', values.batch, 1),
    keep: values.keep,
    write: !values['no-write'],
  };
}

function benchUrl(): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  return url.toString();
}

async function admin<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/** One progress line of the importer with the RSS sampled at that moment. */
interface Point {
  percent: number;
  records: number;
  rssMiB: number;
}

interface ImportRun {
  summary: ImportSummary;
  exitCode: number | null;
  points: Point[];
  /** The highest RSS sampled (every 0.5 s), when (seconds after the spawn) and how many records had been reported by then. */
  peak: { rssMiB: number; second: number; records: number };
  wallSeconds: number;
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readProc(pid, 'status') ?? '');
  return m ? Number(m[1]) / 1024 : 0;
}

/** Runs the import command in a child process, sampling its RSS; resolves with its JSON summary. */
function runImporter(file: string, batch: number): Promise<ImportRun> {
  const started = performance.now();
  const env = { ...process.env, DATABASE_URL: benchUrl(), AUTO_SEED: 'false', LOG_LEVEL: 'warn' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/billing-import.ts', '--file', file, '--batch', String(batch), '--json'], { cwd: projectPath(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  const points: Point[] = [];
  let rss = 0;
  const peak = { rssMiB: 0, second: 0, records: 0 };
  const sampler = setInterval(() => {
    rss = rssOf(child.pid!);
    if (rss > peak.rssMiB) Object.assign(peak, { rssMiB: rss, second: (performance.now() - started) / 1000, records: points.at(-1)?.records ?? 0 });
  }, 500);
  let stdout = '';
  let stderrTail = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    const text = d.toString();
    stderrTail = (stderrTail + text).slice(-4000);
    for (const m of text.matchAll(/billing:import ([0-9.]+)%: ([0-9,]+) records/g)) {
      points.push({ percent: Number(m[1]), records: Number(m[2]!.replace(/,/g, '')), rssMiB: rss || rssOf(child.pid!) });
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sampler);
      try {
        const summary = JSON.parse(stdout) as ImportSummary;
        resolve({ summary, exitCode: code, points, peak, wallSeconds: (performance.now() - started) / 1000 });
      } catch {
        reject(new Error(`the importer ended with ${code} without a summary:\n${stderrTail}`));
      }
    });
  });
}

/** The first progress line and those nearest to 10, 25, 50, 75 and 100 %. */
function memoryRows(points: readonly Point[]): string[] {
  const chosen: Point[] = points.length > 0 ? [points[0]!] : [];
  for (const target of [10, 25, 50, 75, 100]) {
    const p = points.reduce<Point | null>((best, x) => (best === null || Math.abs(x.percent - target) < Math.abs(best.percent - target) ? x : best), null);
    if (p && !chosen.includes(p)) chosen.push(p);
  }
  return chosen.map((p) => `| ${p.percent.toFixed(1)}% | ${n.format(p.records)} | ${p.rssMiB.toFixed(0)} |`);
}

async function counts(): Promise<{ accounts: number; invoices: number; lines: number }> {
  const c = new pg.Client({ connectionString: benchUrl() });
  await c.connect();
  try {
    const q = async (sql: string) => Number((await c.query<{ n: string }>(sql)).rows[0]!.n);
    return { accounts: await q('select count(*) n from accounts'), invoices: await q('select count(*) n from invoices'), lines: await q('select count(*) n from invoice_lines') };
  } finally {
    await c.end();
  }
}

interface Results {
  args: BenchArgs;
  serverVersion: string;
  loadBefore: string;
  big: GenResult & { genSeconds: number };
  run: ImportRun;
  afterBig: Awaited<ReturnType<typeof counts>>;
  errors: GenResult;
  errorRun: ImportRun;
  rerun: ImportRun;
  rejectLines: string[];
}

function importTable(r: Results): string[] {
  const s = r.run.summary;
  return [
    '| measure | result |',
    '| --- | ---: |',
    `| records in the file | ${n.format(s.records)} (${n.format(r.big.invoices)} invoices of 1-3 lines, ${n.format(r.big.accounts)} accounts first), ${mib(r.big.bytes)} MiB |`,
    `| applied / unchanged / rejected | ${n.format(s.applied)} / ${n.format(s.unchanged)} / ${n.format(s.rejected)} |`,
    `| time (the importer's own, from its first batch) | ${formatDuration(s.seconds)} |`,
    `| **records/s** | **${n.format(Math.round(s.recordsPerSecond))}** |`,
    `| **peak RSS** (the process's high-water mark, getrusage) | **${s.peakRssMiB.toFixed(0)} MiB** |`,
    `| peak RSS sampled every 0.5 s | ${r.run.peak.rssMiB.toFixed(0)} MiB, ${r.run.peak.second.toFixed(1)} s after the start, ${n.format(r.run.peak.records)} records reported by then |`,
    `| RSS before the first record (the code loaded: the service graph through src/bootstrap.ts, under tsx) | ${s.rssAtStartMiB.toFixed(0)} MiB |`,
    `| rows after the import | ${n.format(r.afterBig.accounts)} accounts, ${n.format(r.afterBig.invoices)} invoices, ${n.format(r.afterBig.lines)} invoice lines |`,
  ];
}

function rejectsSummary(r: Results): string[] {
  const byField = new Map<string, number>();
  for (const l of fs.existsSync(r.errorRun.summary.rejectsPath) ? fs.readFileSync(r.errorRun.summary.rejectsPath, 'utf8').split('\n').filter(Boolean) : []) {
    const f = (JSON.parse(l) as { field: string }).field;
    byField.set(f, (byField.get(f) ?? 0) + 1);
  }
  return [...byField].map(([f, c]) => `\`${f}\` ${n.format(c)}`);
}

function sectionBody(r: Results): string {
  const e = r.errorRun.summary;
  const again = r.rerun.summary;
  const cmd = `npm run bench:import${r.args.records === 1_000_000 ? '' : ` -- --records ${r.args.records}`}`;
  return [
    `Command: \`${cmd}\` (DATABASE_URL=${ADMIN_URL.replace(/\/\/[^@]*@/, '//…@')}; a fresh database \`${DB_NAME}\`, dropped afterwards). Date ${new Date().toISOString().slice(0, 10)}; ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}, PostgreSQL ${r.serverVersion} on the same machine; 1-minute load average ${r.loadBefore} → ${os.loadavg()[0]!.toFixed(1)} (shared machine: other work was running).`,
    '',
    `The importer is the real command, \`node --import tsx src/cli/billing-import.ts --file <file> --batch ${r.args.batch} --json\` (what \`npm run billing:import\` runs), in a child process: every record through \`parseOpsRecord\` and \`applyOpsRecord\` (the operator API's zod schemas and upserts) with a savepoint each, ${r.args.batch} records per transaction, the checkpoint in each batch's transaction. The file was written by \`bench/gen-import.ts\` in ${formatDuration(r.big.genSeconds)}.`,
    '',
    ...importTable(r),
    '',
    'Memory while importing (RSS when the importer printed its progress line; flat means the file is streamed, not held):',
    '',
    '| progress (bytes) | records | RSS MiB |',
    '| ---: | ---: | ---: |',
    ...memoryRows(r.run.points),
    '',
    `Planted errors: a file of ${n.format(r.errors.invoices)} invoices (${n.format(r.errors.accounts)} accounts) with an error in every ${r.args.errorsEvery}th invoice, in turn: ${PLANTED.map((p) => p.what).join('; ')}. Imported into the same database: ${n.format(e.applied)} applied, ${n.format(e.rejected)} rejected (${rejectsSummary(r).join(', ')}), exit status ${r.errorRun.exitCode}, ${n.format(Math.round(e.recordsPerSecond))} records/s. The same file again: ${n.format(again.applied)} applied, ${n.format(again.unchanged)} unchanged, ${n.format(again.rejected)} rejected (nothing changes; the same reject report). The first lines of \`${path.basename(e.rejectsPath)}\`:`,
    '',
    '```',
    ...r.rejectLines,
    '```',
  ].join('\n');
}

async function main(): Promise<void> {
  const args = readArgs();
  const loadBefore = os.loadavg()[0]!.toFixed(1);
  const serverVersion = await admin(async (c) => {
    await c.query(`drop database if exists ${DB_NAME} with (force)`);
    await c.query(`create database ${DB_NAME}`);
    return (await c.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? '?';
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ba-bench-import-'));
  try {
    const t0 = performance.now();
    const big = await generateImportFile(path.join(dir, `invoices-${args.records}.ndjson`), { records: args.records });
    const genSeconds = (performance.now() - t0) / 1000;
    process.stderr.write(`generated ${big.file}: ${n.format(big.bytes)} bytes in ${formatDuration(genSeconds)}\n`);
    const run = await runImporter(big.file, args.batch);
    process.stderr.write(`imported: ${JSON.stringify(run.summary)}\n`);
    const afterBig = await counts();
    const errors = await generateImportFile(path.join(dir, `planted-errors-${args.errorRecords}.ndjson`), { records: args.errorRecords, errorsEvery: args.errorsEvery, firstAccount: 700_000, firstInvoice: 8_000_000 });
    const errorRun = await runImporter(errors.file, args.batch);
    const rejectLines = fs.readFileSync(errorRun.summary.rejectsPath, 'utf8').split('\n').filter(Boolean).slice(0, PLANTED.length);
    const rerun = await runImporter(errors.file, args.batch);
    const body = sectionBody({ args, serverVersion, loadBefore, big: { ...big, genSeconds }, run, afterBig, errors, errorRun, rerun, rejectLines });
    process.stdout.write(`${body}\n`);
    if (args.write) writeBenchSection('Bulk import (npm run bench:import)', body);
  } finally {
    if (!args.keep) {
      fs.rmSync(dir, { recursive: true, force: true });
      await admin((c) => c.query(`drop database if exists ${DB_NAME} with (force)`));
    } else {
      process.stderr.write(`kept: ${dir} and the database ${DB_NAME}\n`);
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
