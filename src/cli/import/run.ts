import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import { recordAudit } from '../../audit/log.js';
import { applyOpsRecord, parseOpsRecord } from '../../billing/ops/apply.js';
import type { DB } from '../../db/schema.js';
import { scrubCardNumbers } from '../../redaction/card-data.js';
import { finishRun, findUnfinished, saveBatch, startImport, takeOver, type ImportRow } from './checkpoint.js';
import { createProgress, type Progress, type ProgressOptions } from './progress.js';
import { recordIdOf } from './records.js';
import { openRejectReport, type Reject, type RejectReport } from './rejects.js';
import { inspectFile, readRecords } from './source.js';
import type { FileInfo, ImportFormat, ReadFrom, SourceItem } from './types.js';

/**
 * The bulk import (README "Bulk import"): the file's records, streamed, validated by the operator
 * API's schemas and applied by the same upserts (`parseOpsRecord`, `applyOpsRecord` in
 * src/billing/ops/apply.ts), in batches of one transaction each with a savepoint per record: a
 * refused record is reported and leaves nothing, the batch goes on. Each batch commits with its
 * checkpoint; an interrupted import of the same file continues after its last committed batch.
 */

export interface ImportOptions {
  file: string;
  format: ImportFormat;
  /** Default: the unfinished import's report, else `<file>.rejects.ndjson` (`.rejects.csv` for a CSV file). */
  rejectsPath?: string;
  batchSize: number;
  /** The audit log's actor. */
  operatorId: string;
  /** Read from the first line even when an import of this file did not complete. */
  restart?: boolean;
  /** Aborted: stop after the batch being applied commits. */
  signal?: AbortSignal;
  /** Where the progress goes (stderr in the CLI); none without it. */
  progress?: ProgressOptions['out'];
  /** Tests: runs in each batch's transaction just before its checkpoint (throwing there is a crash mid-batch). */
  beforeCommit?: (batch: number) => void | Promise<void>;
}

export interface Counts {
  records: number;
  applied: number;
  unchanged: number;
  rejected: number;
}

export interface ImportSummary extends Counts {
  importId: string;
  file: string;
  format: ImportFormat;
  /** completed: the file's last record was applied or rejected; stopped: interrupted (run the same command again to continue). */
  status: 'completed' | 'stopped';
  /** The line this run started from when it continued an interrupted import. */
  resumedFromLine: number | null;
  /** The whole import's counts, runs before this one included. */
  total: Counts;
  seconds: number;
  recordsPerSecond: number;
  /** RSS before the first record (the code loaded), and the process's high-water mark. */
  rssAtStartMiB: number;
  peakRssMiB: number;
  rejectsPath: string;
}

/** One run of an import: its checkpoint row, where it reads from, its reject report. */
interface Run {
  id: bigint;
  runId: string;
  from: ReadFrom;
  resumed: boolean;
  rejects: RejectReport;
  batches: number;
  /** The byte after the last committed batch. */
  position: number;
}

const zero = (): Counts => ({ records: 0, applied: 0, unchanged: 0, rejected: 0 });

function add(to: Counts, c: Counts): void {
  to.records += c.records;
  to.applied += c.applied;
  to.unchanged += c.unchanged;
  to.rejected += c.rejected;
}

/** `data.csv` → `data.rejects.csv`, `data.ndjson` → `data.rejects.ndjson`. */
export function defaultRejectsPath(file: string, format: ImportFormat): string {
  const ext = path.extname(file);
  return path.join(path.dirname(file), `${path.basename(file, ext)}.rejects.${format}`);
}

/** Starts an import of the file, or continues the unfinished one (the latest import of the same file, when it did not complete). */
async function beginRun(db: Kysely<DB>, o: ImportOptions, info: FileInfo): Promise<Run> {
  const runId = randomUUID();
  const latest = o.restart ? undefined : await findUnfinished(db, info.fingerprint);
  if (latest && latest.format !== o.format) throw new Error(`import #${latest.id} of this file read it as ${latest.format} and did not complete: pass --format ${latest.format}, or --restart`);
  const rejectsPath = o.rejectsPath ?? latest?.rejects_path ?? defaultRejectsPath(o.file, o.format);
  let row: ImportRow;
  if (latest) {
    row = await takeOver(db, latest.id, runId, o.operatorId, rejectsPath);
  } else {
    row = await startImport(db, { fingerprint: info.fingerprint, fileName: path.basename(o.file), format: o.format, operatorId: o.operatorId, runId, rejectsPath });
  }
  const keep = latest && rejectsPath === latest.rejects_path ? Number(latest.rejects_bytes) : 0;
  const rejects = await openRejectReport(rejectsPath, keep);
  const from = latest ? { offset: Number(row.next_offset), line: Number(row.next_line) } : { offset: 0, line: 1 };
  return { id: row.id, runId, from, resumed: latest !== undefined, rejects, batches: 0, position: from.offset };
}

/** Validates and applies one record under its savepoint; a refused one becomes a reject. */
async function applyItem(trx: Transaction<DB>, item: SourceItem, c: Counts, rejects: Reject[]): Promise<void> {
  c.records += 1;
  const reject = (field: string, reason: string) => {
    c.rejected += 1;
    const type = item.input?.['type'];
    rejects.push({ line: item.line, type: typeof type === 'string' ? type : null, id: recordIdOf(item.input), field, reason });
  };
  if ('error' in item) return reject(item.error.field, item.error.reason);
  const parsed = parseOpsRecord(item.input);
  if (!parsed.ok) return reject(parsed.field, parsed.reason);
  const result = await applyOpsRecord(trx, parsed.record);
  if (!result.ok) return reject(result.field, result.reason);
  if (result.change === 'unchanged' || result.change === 'absent') c.unchanged += 1;
  else c.applied += 1;
}

/** A deadlock or serialization failure (a concurrent writer): the batch is rolled back and may be applied again. */
function isRetryable(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === '40P01' || code === '40001';
}

/** One transaction: the batch's records, their rejects in the report, then the checkpoint past them. */
async function commitBatch(db: Kysely<DB>, run: Run, batch: readonly SourceItem[], o: ImportOptions): Promise<Counts> {
  const last = batch[batch.length - 1]!;
  const before = run.rejects.bytes();
  for (let attempt = 1; ; attempt++) {
    try {
      const counts = await db.transaction().execute(async (trx) => {
        const c = zero();
        const rejects: Reject[] = [];
        for (const item of batch) await applyItem(trx, item, c, rejects);
        await run.rejects.write(rejects);
        await o.beforeCommit?.(run.batches + 1);
        await saveBatch(trx, run.id, run.runId, { nextOffset: last.end, nextLine: last.nextLine, ...c, rejectsBytes: run.rejects.bytes() });
        return c;
      });
      run.batches += 1;
      return counts;
    } catch (err) {
      // The batch did not commit: neither do its rejects.
      await run.rejects.truncate(before);
      if (attempt >= 3 || !isRetryable(err)) throw err;
    }
  }
}

/** Reads the file from the run's start and commits it batch by batch; 'stopped' when the signal asked to stop. */
async function importBatches(db: Kysely<DB>, o: ImportOptions, info: FileInfo, run: Run, counts: Counts, progress: Progress | null): Promise<'completed' | 'stopped'> {
  let batch: SourceItem[] = [];
  const commit = async () => {
    add(counts, await commitBatch(db, run, batch, o));
    run.position = batch[batch.length - 1]!.end;
    batch = [];
    progress?.update({ bytes: run.position, records: counts.records, rejected: counts.rejected });
  };
  for await (const item of readRecords(o.file, o.format, info, run.from)) {
    batch.push(item);
    if (batch.length < o.batchSize) continue;
    await commit();
    if (o.signal?.aborted) return 'stopped';
  }
  if (batch.length > 0) await commit();
  run.position = info.size;
  return 'completed';
}

function auditOutcome(status: 'completed' | 'stopped' | 'error', rejected: number): string {
  if (status === 'completed') return rejected > 0 ? 'partial' : 'ok';
  return status === 'stopped' ? 'interrupted' : 'error';
}

/** The run's one audit row: the operator, the file, where it started, what it did, and how it ended. */
async function auditRun(db: Kysely<DB>, o: ImportOptions, info: FileInfo, run: Run, s: Omit<ImportSummary, 'status'> & { status: ImportSummary['status'] | 'error' }, error: unknown): Promise<void> {
  await recordAudit(db, {
    actor: { type: 'operator', id: o.operatorId },
    action: 'ops.import',
    outcome: auditOutcome(s.status, s.rejected),
    name: 'billing:import',
    latencyMs: Math.round(s.seconds * 1000),
    error: error === null ? null : scrubCardNumbers(error instanceof Error ? error.message : String(error)),
    details: {
      importId: s.importId,
      file: path.basename(o.file),
      format: o.format,
      fingerprint: info.fingerprint,
      resumedFromLine: s.resumedFromLine,
      batches: run.batches,
      records: s.records,
      applied: s.applied,
      unchanged: s.unchanged,
      rejected: s.rejected,
      total: s.total,
      rejectsPath: s.rejectsPath,
    },
  });
}

const totalOf = (row: ImportRow | undefined, fallback: Counts): Counts =>
  row ? { records: Number(row.records), applied: Number(row.applied), unchanged: Number(row.unchanged), rejected: Number(row.rejected) } : fallback;

/** Imports the file (or continues its unfinished import); one audit row per run. Throws what stopped it otherwise (the import stays resumable). */
export async function runImport(db: Kysely<DB>, o: ImportOptions): Promise<ImportSummary> {
  const rssAtStartMiB = process.memoryUsage.rss() / 1048576;
  const info = await inspectFile(o.file);
  const run = await beginRun(db, o, info);
  const started = performance.now();
  const counts = zero();
  const progress = o.progress ? createProgress({ out: o.progress, totalBytes: info.size, startBytes: run.from.offset }) : null;
  let status: ImportSummary['status'] | 'error' = 'error';
  let error: unknown = null;
  try {
    status = await importBatches(db, o, info, run, counts, progress);
  } catch (err) {
    error = err;
  }
  progress?.done({ bytes: run.position, records: counts.records, rejected: counts.rejected });
  await run.rejects.close();
  const seconds = (performance.now() - started) / 1000;
  // After a failure the database may be gone: the checkpoint already says where to continue.
  const row = await finishRun(db, run.id, run.runId, status === 'completed' ? 'completed' : 'stopped').catch(() => undefined);
  const summary = {
    importId: String(run.id),
    file: o.file,
    format: o.format,
    status,
    resumedFromLine: run.resumed ? run.from.line : null,
    ...counts,
    total: totalOf(row, counts),
    seconds,
    recordsPerSecond: seconds > 0 ? counts.records / seconds : 0,
    rssAtStartMiB,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    rejectsPath: run.rejects.path,
  };
  await auditRun(db, o, info, run, summary, error).catch((err: unknown) => {
    if (error === null) throw err;
  });
  if (status === 'error') throw error;
  return { ...summary, status };
}
