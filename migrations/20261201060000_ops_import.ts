import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any>: they describe the schema as it was at that point in time.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The bulk importer's checkpoints (`npm run billing:import`, src/cli/import): one row per import of
 * a file, updated in the same transaction as each batch it commits, so after an interruption the
 * next run of the same file (same size and first bytes: `fingerprint`) continues after the last
 * committed batch. `run_id` is the run writing it now: a second run of the same file takes it over
 * and the first stops at its next batch.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ops_imports')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    // sha256 of the file's first 64 KiB and its size in bytes.
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull().check(sql`format in ('ndjson', 'csv')`))
    .addColumn('operator_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'uuid', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('running').check(sql`status in ('running', 'stopped', 'completed')`))
    // After the last committed batch: the next byte to read and the number of its line.
    .addColumn('next_offset', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('next_line', 'bigint', (c) => c.notNull().defaultTo(1))
    .addColumn('records', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('applied', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('unchanged', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('rejected', 'bigint', (c) => c.notNull().defaultTo(0))
    // The reject report and its length in bytes after the last committed batch (a resumed run cuts it there, then appends).
    .addColumn('rejects_path', 'text', (c) => c.notNull())
    .addColumn('rejects_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('ops_imports_fingerprint_idx').on('ops_imports').columns(['fingerprint', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ops_imports').execute();
}
