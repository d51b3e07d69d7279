/**
 * `npm run bench:db`: latency of the billing read queries against PostgreSQL at scale.
 *
 * Creates a dedicated database (default `ba_bench`, dropped and recreated at start), migrates it
 * with the real migrations, loads 10,000 accounts and 100,000 invoices with set-based SQL,
 * measures getBalance, getInvoice and listOutstanding (the real functions from
 * src/billing/queries.ts, through openDatabase) from one client, then grows the data to
 * 1,000,000 invoices and measures again. Prints the results and writes them into the
 * `## Database queries (npm run bench:db)` section of BENCHMARKS.md, with EXPLAIN (ANALYZE,
 * BUFFERS) plans of the SQL that Kysely actually generated.
 *
 * Environment (all optional):
 *   DATABASE_URL      admin URL of the server (default postgres://postgres@127.0.0.1:5432/postgres)
 *   BENCH_DB          name of the database to (re)create (default ba_bench; must contain "bench")
 *   BENCH_SIZES       invoice counts to measure at, ascending (default 100000,1000000)
 *   BENCH_RUNS        measured runs per query and size (default 5)
 *   BENCH_ITERATIONS  calls per query per run (default 1500)
 *   BENCH_WARMUP      warm-up calls per query and size (default 500)
 *   BENCH_SEED        PRNG seed for sampling (default 42)
 *   BENCH_POOL_MAX    pool size of the measured connection pool (default 4)
 *   BENCH_WRITE       0 to print only, without touching BENCHMARKS.md
 *   BENCH_REUSE       1 to measure the data a previous run left in BENCH_DB (one size, equal to
 *                     its invoice count) instead of recreating and loading it
 */
import os from 'node:os';
import {
  CompiledQuery,
  PostgresQueryCompiler,
  sql,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryId,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { migrateToLatest, openDatabase, type DB } from '../src/db/index.js';
import { getBalance, getInvoice, getInvoicePlannedEachCall, listOutstanding } from '../src/billing/queries.js';
import { writeBenchSection } from './report.js';

const SECTION_HEADING = '## Database queries (npm run bench:db)';
const ACCOUNTS = 10_000;
/** Account ids R100000..R109999 (the demo fixture's R10042 etc. never collide). */
const ACCOUNT_BASE = 100_000;
/** Invoice n (1-based) is IN(1000000 + n): IN1000001 .. IN2000000, always 7 digits. */
const INVOICE_BASE = 1_000_000;
/** As-of day D of the evals; every generated date is relative to it. */
const AS_OF = '2026-11-25';
/** Issue dates spread over the three years before D. */
const HISTORY_DAYS = 1095;
const PAGE = { limit: 25, offset: 0 } as const;
const TARGET_P99_MS = 2;
/** Calls per query whose server-side time is taken from EXPLAIN ANALYZE. */
const SERVER_SAMPLES = 300;

// ---------------------------------------------------------------------------------------------
// Configuration

interface BenchConfig {
  adminUrl: string;
  benchUrl: string;
  dbName: string;
  sizes: number[];
  runs: number;
  iterations: number;
  warmup: number;
  seed: number;
  poolMax: number;
  write: boolean;
  reuse: boolean;
}

function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

function readConfig(): BenchConfig {
  const adminUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = process.env.BENCH_DB || 'ba_bench';
  if (!/^[a-z_][a-z0-9_]*$/.test(dbName) || !dbName.includes('bench')) {
    throw new Error(`BENCH_DB must be a lower-case identifier containing "bench" (it is dropped at start), got "${dbName}"`);
  }
  const admin = new URL(adminUrl);
  if (admin.pathname.replace(/^\//, '') === dbName) throw new Error('BENCH_DB must differ from the database of DATABASE_URL');
  const bench = new URL(adminUrl);
  bench.pathname = `/${dbName}`;
  const sizes = (process.env.BENCH_SIZES || '100000,1000000').split(',').map((s) => Number(s.trim()));
  sizes.forEach((s, i) => {
    if (!Number.isInteger(s) || s < ACCOUNTS || s > 9_000_000 || (i > 0 && s <= (sizes[i - 1] ?? 0))) {
      throw new Error(`BENCH_SIZES must be ascending integers between ${ACCOUNTS} and 9000000, got "${process.env.BENCH_SIZES}"`);
    }
  });
  return {
    adminUrl,
    benchUrl: bench.toString(),
    dbName,
    sizes,
    runs: intEnv('BENCH_RUNS', 5, 1),
    iterations: intEnv('BENCH_ITERATIONS', 1500, 100),
    warmup: intEnv('BENCH_WARMUP', 500, 0),
    seed: intEnv('BENCH_SEED', 42, 0),
    poolMax: intEnv('BENCH_POOL_MAX', 4, 1),
    write: process.env.BENCH_WRITE !== '0',
    reuse: process.env.BENCH_REUSE === '1',
  };
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

// ---------------------------------------------------------------------------------------------
// Data generation: deterministic, set-based. Every random choice is a hash of (row number, salt),
// so growing from 100k to 1M invoices keeps the first 100k identical.

const D = sql.lit(AS_OF);

async function createGenerators(db: Kysely<DB>): Promise<void> {
  // Uniform [0,1) from a 64-bit hash; simple SQL functions, inlined by the planner.
  await sql`
    create function bench_u(n bigint, salt bigint) returns float8
    language sql immutable parallel safe
    as $$ select (hashint8extended(n, salt) & 281474976710655)::float8 / 281474976710656.0 $$`.execute(db);
  await sql`
    create function bench_nlines(n bigint) returns int
    language sql immutable parallel safe
    as $$ select 1 + floor(bench_u(n, 10) * 4)::int $$`.execute(db);
  await sql`
    create function bench_qty(n bigint, p int) returns int
    language sql immutable parallel safe
    as $$ select case when n <= ${sql.lit(ACCOUNTS)} and p = 1 then 1 else 1 + floor(bench_u(n * 8 + p, 11) * 5)::int end $$`.execute(db);
  await sql`
    create function bench_unit(n bigint, p int) returns bigint
    language sql immutable parallel safe
    as $$ select case when n <= ${sql.lit(ACCOUNTS)} and p = 1 then 5000::bigint else 500 + floor(bench_u(n * 8 + p, 12) * 150000)::bigint end $$`.execute(db);
}

async function loadAccounts(db: Kysely<DB>): Promise<void> {
  await sql`
    insert into accounts (id, name, currency, opened_on)
    select 'R' || (${sql.lit(ACCOUNT_BASE)} + i), 'Bench Reseller ' || i, 'CAD',
           ${D}::date - ${sql.lit(HISTORY_DAYS + 1)} - (i % 200)
    from generate_series(0, ${sql.lit(ACCOUNTS - 1)}) i`.execute(db);
  // 15% of accounts hold one unapplied credit memo (ids above any invoice-linked memo).
  await sql`
    insert into credit_memos (id, account_id, number, issued_on, amount_cents, applied_cents, currency, reason)
    select 30000000 + i, 'R' || (${sql.lit(ACCOUNT_BASE)} + i), 'CM-' || (80000000 + i),
           ${D}::date - floor(bench_u(i, 201) * 90)::int, 1000 + floor(bench_u(i, 202) * 50000)::bigint, 0, 'CAD',
           'Price protection adjustment'
    from generate_series(0, ${sql.lit(ACCOUNTS - 1)}) i
    where bench_u(i, 200) < 0.15`.execute(db);
}

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await run();
  log(`  ${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return r;
}

/**
 * Runs a bulk load on one pooled connection with foreign-key triggers off
 * (session_replication_role = replica, superuser only): the generator guarantees every reference,
 * and the per-row RI checks would otherwise dominate the load (2-3x). CHECK and UNIQUE
 * constraints and generated columns still apply. Without the privilege, loads with FK checks.
 */
async function bulk(db: Kysely<DB>, label: string, notes: Set<string>, run: (c: Kysely<DB>) => Promise<unknown>): Promise<void> {
  await db.connection().execute(async (c) => {
    let replica = true;
    try {
      await sql`set session_replication_role = replica`.execute(c);
    } catch (err) {
      replica = false;
      notes.add(`bulk load kept foreign-key checks (${err instanceof Error ? err.message : String(err)})`);
    }
    try {
      await timed(label, () => run(c));
    } finally {
      if (replica) await sql`reset session_replication_role`.execute(c);
    }
  });
}

/**
 * Invoices lo..hi (inclusive) and everything hanging off them.
 *  - invoices 1..10,000 are each account's opening invoice ($50 fee + 0-3 order lines), paid;
 *  - otherwise 20% of invoices go to 100 large resellers, 80% uniformly over all accounts;
 *  - issue dates uniform over three years before D; terms net 30 (70%), 15, 45, 60;
 *  - open probability by age: not yet due 75%; overdue <= 60 days 25% (60% for the 10% of
 *    delinquent accounts); older 4% (35% delinquent). About 90% of invoices end up paid;
 *  - 0.5% void; a quarter of open invoices partially paid; ~6% of paid invoices partly
 *    settled by a credit memo; each settled invoice has one payment with one allocation.
 */
async function loadInvoices(db: Kysely<DB>, lo: number, hi: number, notes: Set<string>): Promise<void> {
  const amount = (p: number) => sql.raw(`bench_qty(n, ${p}) * bench_unit(n, ${p})`);
  await bulk(db, 'invoices', notes, (c) => sql`
    insert into invoices (id, account_id, number, issued_on, due_on, currency, total_cents, paid_cents, credited_cents, memo, is_opening, voided_at)
    select n, 'R' || (${sql.lit(ACCOUNT_BASE)} + acct), 'IN' || (${sql.lit(INVOICE_BASE)} + n), issued, due, 'CAD', total,
           case when voided then 0
                when open then case when bench_u(n, 6) < 0.25 then floor(total * (0.2 + 0.6 * bench_u(n, 9)))::bigint else 0 end
                else total - closed_credit end,
           case when voided then 0
                when open then case when bench_u(n, 7) < 0.04 then floor(total * 0.1)::bigint else 0 end
                else closed_credit end,
           case when bench_u(n, 13) < 0.05 then 'PO ' || (70000 + n % 30000) end,
           is_opening,
           case when voided then (issued + 2)::timestamptz end
    from (
      select b.*,
             (not is_opening and bench_u(n, 8) < 0.005) as voided,
             bench_u(n, 5) < case when is_opening then 0
                                  when due >= ${D}::date then 0.75
                                  when ${D}::date - due <= 60 then case when delinquent then 0.6 else 0.25 end
                                  else case when delinquent then 0.35 else 0.04 end end as open,
             case when bench_u(n, 7) < 0.06 then floor(total * (0.05 + 0.15 * bench_u(n, 9)))::bigint else 0 end as closed_credit
      from (
        select a.*, a.issued + a.terms as due, bench_u(a.acct, 100) < 0.1 as delinquent,
               ${amount(1)}
                 + case when nl >= 2 then ${amount(2)} else 0 end
                 + case when nl >= 3 then ${amount(3)} else 0 end
                 + case when nl >= 4 then ${amount(4)} else 0 end as total
        from (
          select n, n <= ${sql.lit(ACCOUNTS)} as is_opening, bench_nlines(n) as nl, acct,
                 case when n <= ${sql.lit(ACCOUNTS)} then ${D}::date - ${sql.lit(HISTORY_DAYS + 1)} - (acct % 200)
                      else ${D}::date - floor(bench_u(n, 3) * ${sql.lit(HISTORY_DAYS)})::int end as issued,
                 case when n <= ${sql.lit(ACCOUNTS)} then 30
                      else case when bench_u(n, 4) < 0.70 then 30 when bench_u(n, 4) < 0.85 then 15
                                when bench_u(n, 4) < 0.95 then 45 else 60 end end as terms
          from (
            select n,
                   case when n <= ${sql.lit(ACCOUNTS)} then n - 1
                        when bench_u(n, 1) < 0.2 then floor(bench_u(n, 2) * 100)::int * 100 + 7
                        else floor(bench_u(n, 2) * ${sql.lit(ACCOUNTS)})::int end::int as acct
            from generate_series(${sql.lit(lo)}::bigint, ${sql.lit(hi)}::bigint) n
          ) g
        ) a
      ) b
    ) c`.execute(c));

  const range = sql`between ${sql.lit(lo)} and ${sql.lit(hi)}`;
  const lines = sql`
    insert into invoice_lines (invoice_id, position, kind, description, reference, quantity, unit_cents, amount_cents)
    select i.id, p,
           case when i.is_opening and p = 1 then 'opening_fee' when bench_u(i.id * 8 + p, 14) < 0.25 then 'service' else 'order' end,
           case when i.is_opening and p = 1 then 'Account opening fee (one-time)'
                when bench_u(i.id * 8 + p, 14) < 0.25 then 'Managed service, monthly'
                else 'Order SO-' || (20000 + (i.id * 4 + p) % 900000) || ': hardware' end,
           case when i.is_opening and p = 1 then null else 'SO-' || (20000 + (i.id * 4 + p) % 900000) end,
           bench_qty(i.id, p), bench_unit(i.id, p), bench_qty(i.id, p) * bench_unit(i.id, p)
    from invoices i cross join lateral generate_series(1, bench_nlines(i.id)) p
    where i.id ${range}`;
  const payments = async (c: Kysely<DB>) => {
    await sql`
      insert into payments (id, account_id, number, received_on, amount_cents, currency, method, processor_ref)
      select i.id, i.account_id, 'PAY-' || (${sql.lit(INVOICE_BASE)} + i.id),
             greatest(i.issued_on, least(${D}::date, i.due_on - 10 + floor(bench_u(i.id, 20) * 25)::int)),
             i.paid_cents, i.currency,
             case when bench_u(i.id, 21) < 0.55 then 'Credit card' when bench_u(i.id, 21) < 0.85 then 'EFT' else 'Cheque' end,
             case when bench_u(i.id, 21) < 0.55 then 'pi_bench_' || i.id end
      from invoices i where i.id ${range} and i.paid_cents > 0`.execute(c);
    await sql`
      insert into payment_allocations (payment_id, invoice_id, amount_cents)
      select i.id, i.id, i.paid_cents from invoices i where i.id ${range} and i.paid_cents > 0`.execute(c);
  };
  const credits = async (c: Kysely<DB>) => {
    await sql`
      insert into credit_memos (id, account_id, number, issued_on, amount_cents, applied_cents, currency, reason)
      select i.id, i.account_id, 'CM-' || (${sql.lit(INVOICE_BASE)} + i.id), least(${D}::date, i.issued_on + 3),
             i.credited_cents, i.credited_cents, i.currency,
             case when bench_u(i.id, 22) < 0.5 then 'Return of damaged goods (RMA-' || (5000 + i.id % 90000) || ')'
                  else 'Price protection adjustment' end
      from invoices i where i.id ${range} and i.credited_cents > 0`.execute(c);
    await sql`
      insert into credit_applications (credit_memo_id, invoice_id, amount_cents, applied_on)
      select i.id, i.id, i.credited_cents, least(${D}::date, i.issued_on + 5)
      from invoices i where i.id ${range} and i.credited_cents > 0`.execute(c);
  };
  // Three independent chains on separate pooled connections (two cores).
  await Promise.all([
    bulk(db, 'invoice lines', notes, (c) => lines.execute(c)),
    bulk(db, 'payments, allocations', notes, payments),
    bulk(db, 'credit memos, applications', notes, credits),
  ]);
}

async function finishLoad(db: Kysely<DB>, notes: Set<string>): Promise<void> {
  for (const t of ['invoices', 'invoice_lines', 'payments', 'credit_memos']) {
    await sql`select setval(pg_get_serial_sequence(${t}, 'id'), (select max(id) from ${sql.table(t)}))`.execute(db);
  }
  // ANALYZE for the planner; VACUUM sets the visibility map, as autovacuum would in production,
  // so index-only scans do not visit the heap. A checkpoint keeps the flush out of the timings.
  await timed('vacuum (analyze)', () => sql`vacuum (analyze)`.execute(db));
  try {
    await timed('checkpoint', () => sql`checkpoint`.execute(db));
  } catch (err) {
    notes.add(`checkpoint skipped (${err instanceof Error ? err.message : String(err)})`);
  }
}

interface DataStats {
  invoices: number;
  paid: number;
  open: number;
  overdue: number;
  partial: number;
  voided: number;
  lines: number;
  payments: number;
  creditMemos: number;
  unappliedMemos: number;
  creditApplications: number;
  perAccountP50: number;
  perAccountMax: number;
  openPerAccountP50: number;
  openPerAccountP99: number;
  openPerAccountMax: number;
  invoicesSize: string;
  openIndexSize: string;
  databaseSize: string;
}

async function dataStats(db: Kysely<DB>): Promise<DataStats> {
  const r = await sql<Record<string, string | number | bigint>>`
    select
      (select count(*) from invoices) as invoices,
      (select count(*) from invoices where voided_at is null and amount_due_cents = 0) as paid,
      (select count(*) from invoices where voided_at is null and amount_due_cents > 0) as open,
      (select count(*) from invoices where voided_at is null and amount_due_cents > 0 and due_on < ${D}::date) as overdue,
      (select count(*) from invoices where voided_at is null and amount_due_cents > 0 and paid_cents + credited_cents > 0) as partial,
      (select count(*) from invoices where voided_at is not null) as voided,
      (select count(*) from invoice_lines) as lines,
      (select count(*) from payments) as payments,
      (select count(*) from credit_memos) as credit_memos,
      (select count(*) from credit_memos where amount_cents > applied_cents) as unapplied_memos,
      (select count(*) from credit_applications) as credit_applications,
      pg_size_pretty(pg_total_relation_size('invoices')) as invoices_size,
      pg_size_pretty(pg_relation_size('invoices_open_account_issued_idx')) as open_index_size,
      pg_size_pretty(pg_database_size(current_database())) as database_size`.execute(db);
  const dist = await sql<Record<string, number>>`
    select percentile_disc(0.5) within group (order by total) as p50, max(total) as max,
           percentile_disc(0.5) within group (order by open) as open_p50,
           percentile_disc(0.99) within group (order by open) as open_p99, max(open) as open_max
    from (
      select a.id, count(i.id) as total, count(i.id) filter (where i.amount_due_cents > 0 and i.voided_at is null) as open
      from accounts a left join invoices i on i.account_id = a.id group by a.id
    ) x`.execute(db);
  const row = r.rows[0];
  const d = dist.rows[0];
  if (!row || !d) throw new Error('statistics query returned no row');
  const n = (v: unknown) => Number(v);
  return {
    invoices: n(row.invoices),
    paid: n(row.paid),
    open: n(row.open),
    overdue: n(row.overdue),
    partial: n(row.partial),
    voided: n(row.voided),
    lines: n(row.lines),
    payments: n(row.payments),
    creditMemos: n(row.credit_memos),
    unappliedMemos: n(row.unapplied_memos),
    creditApplications: n(row.credit_applications),
    perAccountP50: n(d.p50),
    perAccountMax: n(d.max),
    openPerAccountP50: n(d.open_p50),
    openPerAccountP99: n(d.open_p99),
    openPerAccountMax: n(d.open_max),
    invoicesSize: String(row.invoices_size),
    openIndexSize: String(row.open_index_size),
    databaseSize: String(row.database_size),
  };
}

// ---------------------------------------------------------------------------------------------
// Measurement

/** mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type QueryKey = 'getBalance' | 'getInvoicePlanned' | 'getInvoice' | 'listOutstanding' | 'roundTrip';
const QUERY_LABELS: Record<QueryKey, string> = {
  getBalance: 'getBalance',
  getInvoicePlanned: 'getInvoice before: the same statement unnamed, planned on every call',
  getInvoice: 'getInvoice (lines, payments, credits), named statement',
  listOutstanding: 'listOutstanding (first page, 25)',
  roundTrip: 'baseline: `select 1` round trip',
};
/** The baseline has no target: it shows the floor the machine allows for one round trip. */
const hasTarget = (key: QueryKey) => key !== 'roundTrip';
/** The superseded form of a query, measured in the same run for comparison only. */
const isBefore = (key: QueryKey) => key === 'getInvoicePlanned';
const planLabel = (key: QueryKey) => (key === 'getInvoicePlanned' ? 'getInvoice unnamed (before)' : key === 'getInvoice' ? 'getInvoice named' : key);

interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

interface QueryResultSummary extends Percentiles {
  key: QueryKey;
  calls: number;
  p99Runs: number[];
}

function percentile(sorted: Float64Array, p: number): number {
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? Number.NaN;
}

function summarise(samples: Float64Array): Percentiles {
  const s = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of s) sum += v;
  return { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] ?? Number.NaN, mean: sum / s.length };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? Number.NaN) + (s[m] ?? Number.NaN)) / 2;
}

interface Samples {
  accounts: string[];
  invoices: Array<{ accountId: string; number: string }>;
}

async function drawSamples(db: Kysely<DB>, rnd: () => number, count: number, invoiceCount: number): Promise<Samples> {
  const accounts = Array.from({ length: count }, () => `R${ACCOUNT_BASE + Math.floor(rnd() * ACCOUNTS)}`);
  const numbers = Array.from({ length: count }, () => `IN${INVOICE_BASE + 1 + Math.floor(rnd() * invoiceCount)}`);
  const owners = new Map<string, string>();
  for (let i = 0; i < numbers.length; i += 5000) {
    const chunk = numbers.slice(i, i + 5000);
    const rows = await db.selectFrom('invoices').select(['number', 'account_id']).where('number', 'in', chunk).execute();
    for (const r of rows) owners.set(r.number, r.account_id);
  }
  const invoices = numbers.map((number) => {
    const accountId = owners.get(number);
    if (!accountId) throw new Error(`sampled invoice ${number} does not exist`);
    return { accountId, number };
  });
  return { accounts, invoices };
}

type Call = (i: number) => Promise<void>;

function calls(db: Kysely<DB>, samples: Samples): Record<QueryKey, Call> {
  const pick = <T>(xs: T[], i: number): T => {
    const x = xs[i % xs.length];
    if (x === undefined) throw new Error('empty sample');
    return x;
  };
  return {
    getBalance: async (i) => {
      const b = await getBalance(db, pick(samples.accounts, i), AS_OF);
      if (!b) throw new Error('getBalance returned null for an existing account');
    },
    getInvoicePlanned: async (i) => {
      const s = pick(samples.invoices, i);
      const inv = await getInvoicePlannedEachCall(db, s.accountId, s.number, AS_OF);
      if (!inv || inv.lines.length === 0) throw new Error(`getInvoicePlannedEachCall(${s.accountId}, ${s.number}) returned ${inv ? 'no lines' : 'null'}`);
    },
    getInvoice: async (i) => {
      const s = pick(samples.invoices, i);
      const inv = await getInvoice(db, s.accountId, s.number, AS_OF);
      if (!inv || inv.lines.length === 0) throw new Error(`getInvoice(${s.accountId}, ${s.number}) returned ${inv ? 'no lines' : 'null'}`);
    },
    listOutstanding: async (i) => {
      const p = await listOutstanding(db, pick(samples.accounts, i), PAGE, AS_OF);
      if (p.items.length > PAGE.limit) throw new Error('listOutstanding returned more than a page');
    },
    roundTrip: async () => {
      await sql`select 1`.execute(db);
    },
  };
}

async function timeCalls(call: Call, from: number, n: number): Promise<Float64Array> {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const t0 = process.hrtime.bigint();
    await call(from + k);
    out[k] = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  return out;
}

async function measure(db: Kysely<DB>, cfg: BenchConfig, samples: Samples): Promise<QueryResultSummary[]> {
  const fns = calls(db, samples);
  const keys = Object.keys(QUERY_LABELS) as QueryKey[];
  for (const key of keys) await timeCalls(fns[key], 0, cfg.warmup);
  const perRun = new Map<QueryKey, Percentiles[]>(keys.map((k) => [k, []]));
  for (let run = 0; run < cfg.runs; run++) {
    for (const key of keys) {
      const from = cfg.warmup + run * cfg.iterations;
      perRun.get(key)?.push(summarise(await timeCalls(fns[key], from, cfg.iterations)));
    }
  }
  return keys.map((key) => {
    const runs = perRun.get(key) ?? [];
    const med = (f: (p: Percentiles) => number) => median(runs.map(f));
    return {
      key,
      calls: cfg.runs * cfg.iterations,
      p50: med((p) => p.p50),
      p95: med((p) => p.p95),
      p99: med((p) => p.p99),
      max: med((p) => p.max),
      mean: med((p) => p.mean),
      p99Runs: runs.map((p) => p.p99),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Plans: capture the SQL the real functions send (a pass-through plugin records each operation
// node; the Postgres compiler turns it into the same SQL and parameters the dialect sends), then
// EXPLAIN (ANALYZE, BUFFERS) it with the same parameters.

class CapturePlugin implements KyselyPlugin {
  readonly captured: Array<{ node: RootOperationNode; queryId: QueryId }> = [];
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.captured.push({ node: args.node, queryId: args.queryId });
    return args.node;
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

interface StatementPlan {
  sql: string;
  parameters: readonly unknown[];
  plan: string;
  accessPaths: string[];
  seqScans: string[];
  executionMs: number;
  planningMs: number;
  buffers: string;
}

interface QueryPlans {
  key: QueryKey;
  who: string;
  statements: StatementPlan[];
}

function summarisePlan(plan: string): Omit<StatementPlan, 'sql' | 'parameters' | 'plan'> {
  const accessPaths = new Set<string>();
  const seqScans = new Set<string>();
  for (const m of plan.matchAll(/((?:Bitmap Index|Index Only|Index) Scan(?: Backward)?) (?:using (\S+) )?on (\S+)/g)) {
    accessPaths.add(`${m[1]} ${m[2] ?? ''} on ${m[3]}`.replace(/\s+/g, ' '));
  }
  for (const m of plan.matchAll(/Seq Scan on (\S+)/g)) seqScans.add(m[1] ?? '?');
  const heap = [...plan.matchAll(/Heap Fetches: (\d+)/g)].map((m) => Number(m[1]));
  const paths = [...accessPaths];
  if (heap.length > 0) paths.push(`heap fetches ${heap.reduce((a, b) => a + b, 0)}`);
  const buffers = /Buffers: ([^\n]+)/.exec(plan)?.[1]?.trim() ?? '';
  return {
    accessPaths: paths,
    seqScans: [...seqScans],
    executionMs: Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? Number.NaN),
    planningMs: Number(/Planning Time: ([\d.]+) ms/.exec(plan)?.[1] ?? Number.NaN),
    buffers,
  };
}

/** Runs one real call and returns the statements it sent, as the Postgres dialect compiled them. */
async function captureStatements(db: Kysely<DB>, run: (db: Kysely<DB>) => Promise<unknown>): Promise<CompiledQuery[]> {
  const plugin = new CapturePlugin();
  await run(db.withPlugin(plugin));
  const compiler = new PostgresQueryCompiler();
  return plugin.captured.map(({ node, queryId }) => compiler.compileQuery(node, queryId));
}

async function explain(db: Kysely<DB>, key: QueryKey, who: string, run: (db: Kysely<DB>) => Promise<unknown>): Promise<QueryPlans> {
  const statements: StatementPlan[] = [];
  // The named statement shows its cached generic plan (EXPLAIN EXECUTE), the others the plan of
  // the statement as sent.
  const prepared = key === 'getInvoice' ? new PreparedExplain() : null;
  await db.connection().execute(async (conn) => {
    try {
      for (const compiled of await captureStatements(conn, run)) {
        let plan: string;
        if (prepared) {
          plan = await prepared.explainText(conn, compiled);
        } else {
          // Run twice and keep the second: the first pays for catalog lookups of a fresh statement.
          const q = CompiledQuery.raw(`explain (analyze, buffers) ${compiled.sql}`, [...compiled.parameters]);
          await conn.executeQuery(q);
          const r = await conn.executeQuery<{ 'QUERY PLAN': string }>(q);
          plan = r.rows.map((x) => x['QUERY PLAN']).join('\n');
        }
        statements.push({ sql: compiled.sql.replace(/\s+/g, ' ').trim(), parameters: compiled.parameters, plan, ...summarisePlan(plan) });
      }
    } finally {
      await prepared?.deallocate(conn);
    }
  });
  return { key, who, statements };
}

type MeasuredKey = Exclude<QueryKey, 'roundTrip'>;

type ExplainJson = { 'QUERY PLAN': Array<{ 'Planning Time': number; 'Execution Time': number; Plan?: unknown }> };

/**
 * EXPLAIN of a statement as a session-level prepared statement (what a pg named statement is on
 * the server): PREPARE once, six plain EXECUTEs so PostgreSQL has moved past its five custom
 * plans to the cached generic plan, then `EXPLAIN ... EXECUTE` with the call's parameters as
 * literals (they are sampled ids, never input).
 */
class PreparedExplain {
  readonly name = 'bench_prepared_explain';
  #text: string | null = null;

  async #ensure(conn: Kysely<DB>, c: CompiledQuery): Promise<string> {
    if (this.#text !== c.sql) {
      await this.deallocate(conn);
      await conn.executeQuery(CompiledQuery.raw(`prepare ${this.name} as ${c.sql}`));
      this.#text = c.sql;
      const exec = this.#execute(c, '');
      for (let k = 0; k < 6; k++) await conn.executeQuery(CompiledQuery.raw(exec));
    }
    return this.#execute(c, 'explain (analyze, timing off, summary, format json) ');
  }

  #execute(c: CompiledQuery, prefix: string): string {
    const args = c.parameters.map((p) => `'${String(p).replace(/'/g, "''")}'`).join(', ');
    return `${prefix}execute ${this.name}(${args})`;
  }

  async explainJson(conn: Kysely<DB>, c: CompiledQuery) {
    const r = await conn.executeQuery<ExplainJson>(CompiledQuery.raw(await this.#ensure(conn, c)));
    return r.rows[0]?.['QUERY PLAN'][0];
  }

  async explainText(conn: Kysely<DB>, c: CompiledQuery): Promise<string> {
    const q = (await this.#ensure(conn, c)).replace('(analyze, timing off, summary, format json)', '(analyze, buffers)');
    const r = await conn.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(q));
    return r.rows.map((x) => x['QUERY PLAN']).join('\n');
  }

  async deallocate(conn: Kysely<DB>): Promise<void> {
    if (this.#text === null) return;
    await conn.executeQuery(CompiledQuery.raw(`deallocate ${this.name}`));
    this.#text = null;
  }
}

interface ServerTime {
  key: MeasuredKey;
  calls: number;
  statements: number;
  planningP50: number;
  executionP50: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Server-side cost of a call: for sampled calls, EXPLAIN (ANALYZE, TIMING OFF) each statement it
 * sent and add planning and execution time. Set against the client-side latency, this separates
 * the work PostgreSQL does from round trips, client overhead and scheduling noise.
 */
async function serverTimes(db: Kysely<DB>, samples: Samples, n: number): Promise<ServerTime[]> {
  const runs: Record<MeasuredKey, (d: Kysely<DB>, i: number) => Promise<unknown>> = {
    getBalance: (d, i) => getBalance(d, samples.accounts[i % samples.accounts.length] ?? '', AS_OF),
    getInvoicePlanned: (d, i) => {
      const s = samples.invoices[i % samples.invoices.length];
      return s ? getInvoicePlannedEachCall(d, s.accountId, s.number, AS_OF) : Promise.resolve(null);
    },
    getInvoice: (d, i) => {
      const s = samples.invoices[i % samples.invoices.length];
      return s ? getInvoice(d, s.accountId, s.number, AS_OF) : Promise.resolve(null);
    },
    listOutstanding: (d, i) => listOutstanding(d, samples.accounts[i % samples.accounts.length] ?? '', PAGE, AS_OF),
  };
  const out: ServerTime[] = [];
  for (const key of Object.keys(runs) as MeasuredKey[]) {
    const total = new Float64Array(n);
    const planning = new Float64Array(n);
    const execution = new Float64Array(n);
    let statements = 0;
    // The named statement is explained the way the server runs it: EXECUTE of a prepared
    // statement on one session, warmed past the five custom plans.
    const prepared = key === 'getInvoice' ? new PreparedExplain() : null;
    await db.connection().execute(async (conn) => {
      try {
        for (let i = 0; i < n; i++) {
          const compiled = await captureStatements(conn, (d) => runs[key](d, i));
          statements = compiled.length;
          for (const c of compiled) {
            const top = prepared
              ? await prepared.explainJson(conn, c)
              : (
                  await conn.executeQuery<ExplainJson>(CompiledQuery.raw(`explain (analyze, timing off, summary, format json) ${c.sql}`, [...c.parameters]))
                ).rows[0]?.['QUERY PLAN'][0];
            if (!top) throw new Error('EXPLAIN returned no plan');
            planning[i] = (planning[i] ?? 0) + top['Planning Time'];
            execution[i] = (execution[i] ?? 0) + top['Execution Time'];
          }
          total[i] = (planning[i] ?? 0) + (execution[i] ?? 0);
        }
      } finally {
        await prepared?.deallocate(conn);
      }
    });
    const t = summarise(total);
    out.push({
      key,
      calls: n,
      statements,
      planningP50: summarise(planning).p50,
      executionP50: summarise(execution).p50,
      p50: t.p50,
      p99: t.p99,
      max: t.max,
    });
  }
  return out;
}

async function explainAll(db: Kysely<DB>, samples: Samples): Promise<QueryPlans[]> {
  // The account with the most open invoices (worst case for balance and outstanding lists), its
  // most settled invoice, and the first PRNG-sampled account and invoice (a typical case).
  const heavy = await sql<{ account_id: string }>`
    select account_id from invoices where amount_due_cents > 0 and voided_at is null
    group by account_id order by count(*) desc, account_id limit 1`.execute(db);
  const heavyAccount = heavy.rows[0]?.account_id;
  if (!heavyAccount) throw new Error('no open invoices in the data set');
  const heavyInvoice = await sql<{ number: string }>`
    select number from invoices where account_id = ${heavyAccount}
    order by (paid_cents > 0)::int + (credited_cents > 0)::int desc, number desc limit 1`.execute(db);
  const heavyNumber = heavyInvoice.rows[0]?.number;
  const typicalAccount = samples.accounts[0];
  const typicalInvoice = samples.invoices[0];
  if (!heavyNumber || !typicalAccount || !typicalInvoice) throw new Error('no sample to explain');
  const out: QueryPlans[] = [];
  for (const [who, account, inv] of [
    ['heaviest', heavyAccount, { accountId: heavyAccount, number: heavyNumber }],
    ['sampled', typicalAccount, typicalInvoice],
  ] as const) {
    out.push(await explain(db, 'getBalance', `${who} ${account}`, (d) => getBalance(d, account, AS_OF)));
    out.push(await explain(db, 'getInvoicePlanned', `${who} ${inv.accountId} ${inv.number}`, (d) => getInvoicePlannedEachCall(d, inv.accountId, inv.number, AS_OF)));
    out.push(await explain(db, 'getInvoice', `${who} ${inv.accountId} ${inv.number}, generic plan`, (d) => getInvoice(d, inv.accountId, inv.number, AS_OF)));
    out.push(await explain(db, 'listOutstanding', `${who} ${account}`, (d) => listOutstanding(d, account, PAGE, AS_OF)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Report

interface PhaseResult {
  size: number;
  loadSeconds: number;
  measureSeconds: number;
  /** 1-minute load average before and after the timed runs (other work on the machine). */
  load: [number, number];
  notes: Set<string>;
  stats: DataStats;
  results: QueryResultSummary[];
  server: ServerTime[];
  plans: QueryPlans[];
}

const fmt = (n: number) => n.toLocaleString('en-US');
const ms = (n: number) => (n >= 10 ? n.toFixed(1) : n.toFixed(2));
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;
const sizeLabel = (n: number) => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n % 1000 === 0 ? `${n / 1000}k` : fmt(n));

function renderSection(p: {
  cfg: BenchConfig;
  startedAt: Date;
  totalSeconds: number;
  machine: string;
  phases: PhaseResult[];
}): string {
  const { cfg, phases } = p;
  const out: string[] = [];
  const env: string[] = [];
  if (process.env.DATABASE_URL) env.push(`DATABASE_URL=${redact(cfg.adminUrl)}`);
  for (const k of ['BENCH_DB', 'BENCH_SIZES', 'BENCH_RUNS', 'BENCH_ITERATIONS', 'BENCH_WARMUP', 'BENCH_SEED', 'BENCH_POOL_MAX', 'BENCH_REUSE']) {
    if (process.env[k]) env.push(`${k}=${process.env[k]}`);
  }
  out.push(SECTION_HEADING, '');
  out.push(`- Command: \`${[...env, 'npm run bench:db'].join(' ')}\` (server ${redact(cfg.adminUrl)}, database \`${cfg.dbName}\`)`);
  out.push(`- Date: ${p.startedAt.toISOString()}; total runtime ${p.totalSeconds.toFixed(0)} s (${phases.map((x) => `${sizeLabel(x.size)}: load ${x.loadSeconds.toFixed(0)} s, measure ${x.measureSeconds.toFixed(0)} s`).join('; ')})`);
  out.push(`- Machine: ${p.machine}; 1-minute load average around the timed runs: ${phases.map((x) => `${sizeLabel(x.size)} ${x.load[0].toFixed(1)} → ${x.load[1].toFixed(1)}`).join(', ')}`);
  out.push(
    `- Method: one client awaiting one call at a time; the real \`getBalance\`, \`getInvoice\`, \`listOutstanding\` from \`src/billing/queries.ts\` over \`openDatabase({ url, poolMax: ${cfg.poolMax} })\`, and \`getInvoicePlannedEachCall\` (the same SQL sent unnamed, as getInvoice ran before it became a named statement) in the same runs, on the same samples. As-of day ${AS_OF}. Per size: ${fmt(cfg.warmup)} warm-up calls per query, then ${cfg.runs} runs of ${fmt(cfg.iterations)} calls per query (${fmt(cfg.runs * cfg.iterations)} timed calls), accounts drawn uniformly and invoices drawn uniformly from a seeded PRNG (seed ${cfg.seed}). Each figure is the median over the runs of that run's percentile; latency is wall time in Node, round trips included. Target: p99 < ${TARGET_P99_MS} ms.`,
  );
  const notes = [...new Set(phases.flatMap((x) => [...x.notes]))];
  if (notes.length) out.push(`- Notes: ${notes.join('; ')}`);
  out.push('');

  out.push('### Latency (ms)', '');
  out.push(`| invoices | query | median (p50) | p95 | p99 | max | mean | p99 of each run | p99 < ${TARGET_P99_MS} ms |`);
  out.push('| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | :---: |');
  for (const ph of phases) {
    for (const r of ph.results) {
      out.push(
        `| ${fmt(ph.size)} | ${QUERY_LABELS[r.key]} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} | ${ms(r.mean)} | ${r.p99Runs.map(ms).join(', ')} | ${!hasTarget(r.key) ? 'n/a' : r.p99 < TARGET_P99_MS ? 'yes' : '**no**'} |`,
      );
    }
  }
  out.push('');

  out.push('### getInvoice: planning cut (before and after in the same run)', '');
  out.push(
    'Before: the statement sent unnamed, so PostgreSQL parses and plans it on every call. After: the same text as a pg named statement (`src/billing/named-statement.ts`): parsed once per pooled connection, planned for its first five executions, then the cached generic plan. The runs alternate (before, after, before, …) on the same sampled invoices.',
    '',
  );
  out.push('| invoices | | p50 | p95 | p99 | mean | server planning p50 | server execution p50 | server total p99 |');
  out.push('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const ph of phases) {
    for (const key of ['getInvoicePlanned', 'getInvoice'] as const) {
      const r = ph.results.find((x) => x.key === key);
      const sv = ph.server.find((x) => x.key === key);
      if (!r || !sv) continue;
      out.push(
        `| ${fmt(ph.size)} | ${key === 'getInvoice' ? '**after** (named)' : 'before (unnamed)'} | ${ms(r.p50)} | ${ms(r.p95)} | ${key === 'getInvoice' ? `**${ms(r.p99)}**` : ms(r.p99)} | ${ms(r.mean)} | ${sv.planningP50.toFixed(3)} | ${sv.executionP50.toFixed(3)} | ${sv.p99.toFixed(3)} |`,
      );
    }
  }
  out.push('');

  out.push('### Server-side time per call (ms)', '');
  out.push(
    `PostgreSQL's own planning + execution time, summed over the statements of one call, from \`EXPLAIN (ANALYZE, TIMING OFF)\` of the captured SQL for ${SERVER_SAMPLES} sampled calls per query (same samples as above); for the named getInvoice, \`EXPLAIN EXECUTE\` of the statement prepared on one session and executed six times first (the generic plan the server keeps). The gap to the latency table is round trips, the pg driver and Kysely, and waiting for a CPU.`,
    '',
  );
  out.push('| invoices | query | statements | planning p50 | execution p50 | total p50 | total p99 | total max |');
  out.push('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const ph of phases) {
    for (const r of ph.server) {
      out.push(`| ${fmt(ph.size)} | ${QUERY_LABELS[r.key]} | ${r.statements} | ${r.planningP50.toFixed(3)} | ${r.executionP50.toFixed(3)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.max.toFixed(3)} |`);
    }
  }
  out.push('');

  out.push('### Data', '');
  out.push(`10,000 accounts (R${ACCOUNT_BASE}..R${ACCOUNT_BASE + ACCOUNTS - 1}); invoice n is IN${INVOICE_BASE} + n. Issue dates uniform over the ${HISTORY_DAYS} days before ${AS_OF}; net 30/15/45/60; 1-4 lines; every account's first invoice carries the $50 opening fee; 20% of invoices belong to 100 large resellers; 10% of accounts pay late. Generated with \`INSERT ... SELECT\` over \`generate_series\` (deterministic hashes), then \`VACUUM (ANALYZE)\`.`, '');
  out.push(`| | ${phases.map((x) => sizeLabel(x.size)).join(' | ')} |`);
  out.push(`| --- | ${phases.map(() => '---:').join(' | ')} |`);
  const row = (label: string, f: (s: DataStats) => string) => out.push(`| ${label} | ${phases.map((x) => f(x.stats)).join(' | ')} |`);
  row('invoices', (s) => fmt(s.invoices));
  row('paid', (s) => `${fmt(s.paid)} (${pct(s.paid, s.invoices)})`);
  row('open (amount due > 0)', (s) => `${fmt(s.open)} (${pct(s.open, s.invoices)})`);
  row('of which overdue', (s) => `${fmt(s.overdue)} (${pct(s.overdue, s.invoices)})`);
  row('of which partially settled', (s) => fmt(s.partial));
  row('void', (s) => fmt(s.voided));
  row('invoice lines', (s) => fmt(s.lines));
  row('payments (one allocation each)', (s) => fmt(s.payments));
  row('credit memos (unapplied)', (s) => `${fmt(s.creditMemos)} (${fmt(s.unappliedMemos)})`);
  row('credit applications', (s) => fmt(s.creditApplications));
  row('invoices per account: median / max', (s) => `${fmt(s.perAccountP50)} / ${fmt(s.perAccountMax)}`);
  row('open invoices per account: median / p99 / max', (s) => `${fmt(s.openPerAccountP50)} / ${fmt(s.openPerAccountP99)} / ${fmt(s.openPerAccountMax)}`);
  row('invoices table + indexes', (s) => s.invoicesSize);
  row('partial index of open invoices', (s) => s.openIndexSize);
  row('database', (s) => s.databaseSize);
  out.push('');

  out.push('### Plans', '');
  out.push(
    'EXPLAIN (ANALYZE, BUFFERS) of the exact SQL and parameters Kysely sent for one call (captured with a pass-through plugin), after the timed runs, for the account with the most open invoices ("heaviest") and for the first sampled account/invoice. Times are server-side execution and planning.',
    '',
  );
  out.push('| invoices | query | case | statement | access paths | seq scans | exec ms | plan ms | buffers |');
  out.push('| ---: | --- | --- | --- | --- | --- | ---: | ---: | --- |');
  for (const ph of phases) {
    for (const qp of ph.plans) {
      qp.statements.forEach((s, i) => {
        const what = /^\s*select\s+(.{0,40})/i.exec(s.sql)?.[1] ?? s.sql.slice(0, 40);
        out.push(
          `| ${fmt(ph.size)} | ${planLabel(qp.key)} | ${qp.who} | ${i + 1}: \`${what.replace(/\|/g, '\\|')}…\` | ${s.accessPaths.join('; ') || '-'} | ${s.seqScans.join(', ') || 'none'} | ${s.executionMs.toFixed(3)} | ${s.planningMs.toFixed(3)} | ${s.buffers} |`,
        );
      });
    }
  }
  out.push('');
  const last = phases[phases.length - 1];
  if (last) {
    out.push(`Full plans at ${fmt(last.size)} invoices:`, '');
    for (const qp of last.plans) {
      out.push(`<details><summary>${planLabel(qp.key)}, ${qp.who}</summary>`, '');
      for (const s of qp.statements) {
        out.push('```sql', s.sql, `-- parameters: ${JSON.stringify(s.parameters, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`, '```');
        out.push('```text', s.plan, '```');
      }
      out.push('</details>', '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}


// ---------------------------------------------------------------------------------------------

function log(msg: string): void {
  process.stderr.write(`[bench:db ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

async function main(): Promise<void> {
  const cfg = readConfig();
  const startedAt = new Date();
  const t0 = performance.now();

  const admin = await openDatabase({ url: cfg.adminUrl, poolMax: 1 });
  let pgVersion: string;
  let sharedBuffers: string;
  try {
    const v = await sql<{ server_version: string; shared_buffers: string }>`
      select current_setting('server_version') as server_version, current_setting('shared_buffers') as shared_buffers`.execute(admin.db);
    pgVersion = v.rows[0]?.server_version ?? '?';
    sharedBuffers = v.rows[0]?.shared_buffers ?? '?';
    if (cfg.reuse) {
      log(`reusing database ${cfg.dbName} on ${redact(cfg.adminUrl)}`);
    } else {
      log(`recreating database ${cfg.dbName} on ${redact(cfg.adminUrl)}`);
      await sql`drop database if exists ${sql.id(cfg.dbName)} with (force)`.execute(admin.db);
      await sql`create database ${sql.id(cfg.dbName)}`.execute(admin.db);
    }
  } finally {
    await admin.close();
  }
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const machine = `${os.availableParallelism()} CPUs (nproc; ${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, PostgreSQL ${pgVersion} (shared_buffers ${sharedBuffers}, same host)`;

  const database = await openDatabase({ url: cfg.benchUrl, poolMax: cfg.poolMax });
  const phases: PhaseResult[] = [];
  try {
    const db = database.db;
    const rnd = prng(cfg.seed);
    const notes = new Set<string>();
    let loaded = 0;
    if (cfg.reuse) {
      const n = Number((await sql<{ n: string }>`select count(*)::text as n from invoices`.execute(db)).rows[0]?.n ?? 0);
      if (cfg.sizes.length !== 1 || cfg.sizes[0] !== n) throw new Error(`BENCH_REUSE: ${cfg.dbName} holds ${fmt(n)} invoices; set BENCH_SIZES=${n}`);
      loaded = n;
      notes.add('data reused from the previous run (BENCH_REUSE=1)');
    } else {
      await migrateToLatest(db);
      await createGenerators(db);
      await loadAccounts(db);
    }
    for (const size of cfg.sizes) {
      const l0 = performance.now();
      if (loaded < size) {
        log(`loading invoices ${fmt(loaded + 1)}..${fmt(size)}`);
        await loadInvoices(db, loaded + 1, size, notes);
        loaded = size;
        await finishLoad(db, notes);
      }
      const loadSeconds = (performance.now() - l0) / 1000;
      const stats = await dataStats(db);
      log(`loaded ${fmt(stats.invoices)} invoices in ${loadSeconds.toFixed(1)} s; measuring`);
      const load0 = os.loadavg()[0] ?? Number.NaN;
      const m0 = performance.now();
      const samples = await drawSamples(db, rnd, cfg.warmup + cfg.runs * cfg.iterations, size);
      const results = await measure(db, cfg, samples);
      const measureSeconds = (performance.now() - m0) / 1000;
      const load: [number, number] = [load0, os.loadavg()[0] ?? Number.NaN];
      const plans = await explainAll(db, samples);
      const server = await serverTimes(db, samples, SERVER_SAMPLES);
      for (const r of results) {
        log(`${fmt(size)} ${r.key}: p50 ${ms(r.p50)} ms, p95 ${ms(r.p95)} ms, p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms`);
      }
      for (const r of server) {
        log(`${fmt(size)} ${r.key} server-side: p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms`);
      }
      phases.push({ size, loadSeconds, measureSeconds, load, notes, stats, results, server, plans });
    }
  } finally {
    await database.close();
  }

  const section = renderSection({ cfg, startedAt, totalSeconds: (performance.now() - t0) / 1000, machine, phases });
  process.stdout.write(`${section}\n`);
  if (cfg.write) {
    writeBenchSection(SECTION_HEADING.replace(/^## /, ''), section.replace(SECTION_HEADING, ''));
    log('wrote BENCHMARKS.md');
  }
  const missed = phases.flatMap((ph) => ph.results.filter((r) => hasTarget(r.key) && !isBefore(r.key) && !(r.p99 < TARGET_P99_MS)).map((r) => `${r.key} at ${fmt(ph.size)}`));
  const seq = phases.flatMap((ph) => ph.plans.flatMap((qp) => qp.statements.flatMap((s) => s.seqScans.map((t) => `${qp.key} seq scan on ${t} at ${fmt(ph.size)}`))));
  if (missed.length) log(`p99 target missed: ${missed.join(', ')}`);
  if (seq.length) log(`sequential scans: ${seq.join(', ')}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:db failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
