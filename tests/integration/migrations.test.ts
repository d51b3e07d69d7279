import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFixture } from '../../src/billing/fixture.js';
import { getBalance } from '../../src/billing/queries.js';
import { hasData, migrateDown, migrateToLatest, type Database } from '../../src/db/index.js';
import { migrations } from '../../migrations/index.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';

const BILLING_TABLES = [
  'account_domains',
  'account_users',
  'accounts',
  'billing_contacts',
  'credit_applications',
  'credit_memos',
  'invoice_lines',
  'invoices',
  'payment_allocations',
  'payments',
];
const KYSELY_TABLES = ['kysely_migration', 'kysely_migration_lock'];
const SEQUENCES = ['credit_memo_number_seq', 'invoice_number_seq', 'payment_number_seq'];
const MIGRATION = '20261125000000_billing_core';
/** Every migration in order (other capabilities add theirs after the billing core). */
const ALL = Object.keys(migrations).sort();

describe('migrations', () => {
  let database: Database;

  async function tables(): Promise<string[]> {
    const r = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_schema = 'public' order by table_name`.execute(database.db);
    return r.rows.map((x) => x.table_name);
  }

  /** Every relation in the public schema (tables, indexes, sequences, views) by kind. */
  async function relations(): Promise<Array<{ name: string; kind: string }>> {
    const r = await sql<{ name: string; kind: string }>`
      select c.relname as name, c.relkind::text as kind
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' order by c.relname`.execute(database.db);
    return r.rows;
  }

  async function sequences(): Promise<string[]> {
    return (await relations()).filter((r) => r.kind === 'S').map((r) => r.name);
  }

  async function applied(): Promise<string[]> {
    const r = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db);
    return r.rows.map((x) => x.name);
  }

  beforeAll(async () => {
    database = await freshDatabase({ empty: true });
  });
  afterAll(async () => database.close());

  it('lists the migrations explicitly, timestamp-named, each with up and down', () => {
    expect(ALL[0]).toBe(MIGRATION);
    expect(Object.keys(migrations)).toStrictEqual(ALL);
    for (const [name, m] of Object.entries(migrations)) {
      expect(name).toMatch(/^\d{14}_[a-z0-9_]+$/);
      expect(typeof m.up).toBe('function');
      expect(typeof m.down).toBe('function');
    }
  });

  it('starts from an empty database', async () => {
    expect(await relations()).toStrictEqual([]);
    expect(await hasData(database.db)).toBe(false);
  });

  it('migrates up: creates every table, sequence and the one-opening-fee index', async () => {
    expect(await migrateToLatest(database.db)).toStrictEqual(ALL);
    expect(await tables()).toEqual(expect.arrayContaining([...BILLING_TABLES, ...KYSELY_TABLES]));
    expect(await sequences()).toEqual(expect.arrayContaining(SEQUENCES));
    expect(await applied()).toStrictEqual(ALL);
    const idx = await sql<{ indexdef: string }>`
      select indexdef from pg_indexes where schemaname = 'public' and indexname = 'invoices_one_opening_per_account'`.execute(database.db);
    expect(idx.rows).toHaveLength(1);
    expect(idx.rows[0]!.indexdef).toMatch(/CREATE UNIQUE INDEX .* ON public\.invoices .*\(account_id\) WHERE is_opening/);
    // Migrated but empty: no data yet.
    expect(await hasData(database.db)).toBe(false);
  });

  it('is idempotent: migrating again applies nothing', async () => {
    expect(await migrateToLatest(database.db)).toStrictEqual([]);
    expect(await applied()).toStrictEqual(ALL);
  });

  it('migrates all the way down: every billing table, index and sequence is gone', async () => {
    expect(await migrateDown(database.db, true)).toStrictEqual([...ALL].reverse());
    expect(await tables()).toStrictEqual(KYSELY_TABLES);
    expect(await applied()).toStrictEqual([]);
    // Only Kysely's bookkeeping (its two tables and their primary keys) is left.
    const left = await relations();
    expect(left.filter((r) => !r.name.startsWith('kysely_migration'))).toStrictEqual([]);
    expect(await sequences()).toStrictEqual([]);
    expect(await hasData(database.db)).toBe(false);
  });

  it('migrates up again, and the schema holds the fixture', async () => {
    expect(await migrateToLatest(database.db)).toStrictEqual(ALL);
    expect(await tables()).toEqual(expect.arrayContaining([...BILLING_TABLES, ...KYSELY_TABLES]));
    await seedFixture(database.db, TEST_TODAY);
    expect(await hasData(database.db)).toBe(true);
    const b = await getBalance(database.db, 'R10042', TEST_TODAY);
    expect(b?.balanceCents).toBe(249496n);
  });

  it('migrates down one step at a time (dropping the data) and up again', async () => {
    for (const name of [...ALL].reverse()) {
      if (name === MIGRATION) {
        // Only the billing core is left: exactly its tables.
        expect(await tables()).toStrictEqual([...BILLING_TABLES, ...KYSELY_TABLES].sort());
      }
      expect(await migrateDown(database.db)).toStrictEqual([name]);
    }
    expect(await tables()).toStrictEqual(KYSELY_TABLES);
    expect(await applied()).toStrictEqual([]);
    expect(await migrateDown(database.db)).toStrictEqual([]);
    expect(await migrateToLatest(database.db)).toStrictEqual(ALL);
    expect(await hasData(database.db)).toBe(false);
    expect(await sequences()).toEqual(expect.arrayContaining(SEQUENCES));
  });
});
