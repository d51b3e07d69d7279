import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB, OpsImportsTable } from '../../db/schema.js';
import type { ImportFormat } from './types.js';

/**
 * The importer's checkpoint (table ops_imports): where the last committed batch of a file ended,
 * written in that batch's transaction, so the batch and its checkpoint commit together. The next
 * run of the same file (same fingerprint) continues from there unless the import completed.
 */

export type ImportRow = Selectable<OpsImportsTable>;

/** What a committed batch adds to its import. */
export interface BatchProgress {
  nextOffset: number;
  nextLine: number;
  records: number;
  applied: number;
  unchanged: number;
  rejected: number;
  rejectsBytes: number;
}

/** Another run of the same file took the import over: this run stops (its batch is rolled back). */
export class ImportTakenOverError extends Error {
  constructor(id: bigint) {
    super(`import #${id} was taken over by another run of the same file; this run stopped (nothing of its last batch was kept)`);
  }
}

/** The latest import of this file, when it did not complete (an older unfinished one was superseded by a --restart). */
export async function findUnfinished(db: Kysely<DB>, fingerprint: string): Promise<ImportRow | undefined> {
  const latest = await db.selectFrom('ops_imports').selectAll().where('fingerprint', '=', fingerprint).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return latest?.status === 'completed' ? undefined : latest;
}

export interface NewImport {
  fingerprint: string;
  fileName: string;
  format: ImportFormat;
  operatorId: string;
  runId: string;
  rejectsPath: string;
}

export async function startImport(db: Kysely<DB>, n: NewImport): Promise<ImportRow> {
  return db
    .insertInto('ops_imports')
    .values({ fingerprint: n.fingerprint, file_name: n.fileName, format: n.format, operator_id: n.operatorId, run_id: n.runId, rejects_path: n.rejectsPath })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** This run continues an unfinished import: it becomes the run that writes it. */
export async function takeOver(db: Kysely<DB>, id: bigint, runId: string, operatorId: string, rejectsPath: string): Promise<ImportRow> {
  return db
    .updateTable('ops_imports')
    .set({ run_id: runId, operator_id: operatorId, rejects_path: rejectsPath, status: 'running', updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Moves the checkpoint past a batch, in the batch's transaction; throws when another run took the import over. */
export async function saveBatch(trx: Transaction<DB>, id: bigint, runId: string, p: BatchProgress): Promise<void> {
  const saved = await trx
    .updateTable('ops_imports')
    .set((eb) => ({
      next_offset: BigInt(p.nextOffset),
      next_line: BigInt(p.nextLine),
      records: eb('records', '+', BigInt(p.records)),
      applied: eb('applied', '+', BigInt(p.applied)),
      unchanged: eb('unchanged', '+', BigInt(p.unchanged)),
      rejected: eb('rejected', '+', BigInt(p.rejected)),
      rejects_bytes: BigInt(p.rejectsBytes),
      updated_at: new Date(),
    }))
    .where('id', '=', id)
    .where('run_id', '=', runId)
    .returning('id')
    .executeTakeFirst();
  if (!saved) throw new ImportTakenOverError(id);
}

/** The end of a run: 'completed' after the file's last record, else 'stopped' (interrupted, failed); the row as it ends. */
export async function finishRun(db: Kysely<DB>, id: bigint, runId: string, status: 'completed' | 'stopped'): Promise<ImportRow | undefined> {
  return db
    .updateTable('ops_imports')
    .set({ status, updated_at: new Date(), finished_at: status === 'completed' ? new Date() : null })
    .where('id', '=', id)
    .where('run_id', '=', runId)
    .returningAll()
    .executeTakeFirst();
}
