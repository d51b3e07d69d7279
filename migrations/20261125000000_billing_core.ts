import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any>: they describe the schema as it was at that point in time,
// not the application's current types.
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^R[0-9]{5,}$'`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('currency', 'char(3)', (c) => c.notNull().defaultTo('CAD'))
    .addColumn('opened_on', 'date', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('account_users')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('account_users_pk', ['account_id', 'email'])
    .execute();

  await db.schema
    .createTable('account_domains')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('domain', 'text', (c) => c.notNull().check(sql`domain = lower(domain)`))
    .addColumn('verified_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('account_domains_pk', ['account_id', 'domain'])
    .execute();

  await db.schema
    .createTable('billing_contacts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull().check(sql`email = lower(email)`))
    .addColumn('name', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('billing_contacts_account_email_uq', ['account_id', 'email'])
    .execute();

  await sql`create sequence invoice_number_seq start with 7660000`.execute(db);
  await db.schema
    .createTable('invoices')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('number', 'text', (c) => c.notNull().unique().check(sql`number ~ '^IN[0-9]{7}$'`))
    .addColumn('issued_on', 'date', (c) => c.notNull())
    .addColumn('due_on', 'date', (c) => c.notNull())
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    .addColumn('total_cents', 'bigint', (c) => c.notNull().check(sql`total_cents >= 0`))
    .addColumn('paid_cents', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`paid_cents >= 0`))
    .addColumn('credited_cents', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`credited_cents >= 0`))
    .addColumn('amount_due_cents', 'bigint', (c) =>
      c.notNull().generatedAlwaysAs(sql`total_cents - paid_cents - credited_cents`).stored(),
    )
    .addColumn('memo', 'text')
    .addColumn('is_opening', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('voided_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('invoices_due_after_issue', sql`due_on >= issued_on`)
    .addCheckConstraint('invoices_not_overapplied', sql`paid_cents + credited_cents <= total_cents`)
    .execute();
  // History (all invoices of an account, newest first, optional date range).
  await db.schema.createIndex('invoices_account_issued_idx').on('invoices').columns(['account_id', 'issued_on desc', 'id desc']).execute();
  // Balance and outstanding lists: only open invoices, so the index stays small as history grows.
  await db.schema
    .createIndex('invoices_open_account_due_idx')
    .on('invoices')
    .columns(['account_id', 'due_on'])
    .where(sql.ref('amount_due_cents'), '>', 0)
    .where(sql.ref('voided_at'), 'is', null)
    .execute();
  await sql`create index invoices_open_account_issued_idx on invoices (account_id, issued_on desc, id desc) include (amount_due_cents, due_on) where amount_due_cents > 0 and voided_at is null`.execute(db);
  // One opening fee per account, whatever the concurrency.
  await sql`create unique index invoices_one_opening_per_account on invoices (account_id) where is_opening`.execute(db);

  await db.schema
    .createTable('invoice_lines')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('invoice_id', 'bigint', (c) => c.notNull().references('invoices.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('opening_fee', 'order', 'service', 'adjustment')`))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('quantity', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('unit_cents', 'bigint', (c) => c.notNull())
    .addColumn('amount_cents', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('invoice_lines_position_uq', ['invoice_id', 'position'])
    .execute();

  await db.schema
    .createTable('payments')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('number', 'text', (c) => c.notNull().unique())
    .addColumn('received_on', 'date', (c) => c.notNull())
    .addColumn('amount_cents', 'bigint', (c) => c.notNull().check(sql`amount_cents > 0`))
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('processor_ref', 'text', (c) => c.unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('payments_account_received_idx').on('payments').columns(['account_id', 'received_on desc', 'id desc']).execute();
  await sql`create sequence payment_number_seq start with 400000`.execute(db);

  await db.schema
    .createTable('payment_allocations')
    .addColumn('payment_id', 'bigint', (c) => c.notNull().references('payments.id').onDelete('cascade'))
    .addColumn('invoice_id', 'bigint', (c) => c.notNull().references('invoices.id'))
    .addColumn('amount_cents', 'bigint', (c) => c.notNull().check(sql`amount_cents > 0`))
    .addPrimaryKeyConstraint('payment_allocations_pk', ['payment_id', 'invoice_id'])
    .execute();
  await db.schema.createIndex('payment_allocations_invoice_idx').on('payment_allocations').column('invoice_id').execute();

  await db.schema
    .createTable('credit_memos')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('number', 'text', (c) => c.notNull().unique())
    .addColumn('issued_on', 'date', (c) => c.notNull())
    .addColumn('amount_cents', 'bigint', (c) => c.notNull().check(sql`amount_cents > 0`))
    .addColumn('applied_cents', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('credit_memos_applied_range', sql`applied_cents >= 0 and applied_cents <= amount_cents`)
    .execute();
  await db.schema.createIndex('credit_memos_account_issued_idx').on('credit_memos').columns(['account_id', 'issued_on desc', 'id desc']).execute();
  // Unapplied credits for the balance: only memos with something left, so history never slows it.
  await sql`create index credit_memos_unapplied_account_idx on credit_memos (account_id) include (amount_cents, applied_cents) where amount_cents > applied_cents`.execute(db);
  await sql`create sequence credit_memo_number_seq start with 200000`.execute(db);

  await db.schema
    .createTable('credit_applications')
    .addColumn('credit_memo_id', 'bigint', (c) => c.notNull().references('credit_memos.id').onDelete('cascade'))
    .addColumn('invoice_id', 'bigint', (c) => c.notNull().references('invoices.id'))
    .addColumn('amount_cents', 'bigint', (c) => c.notNull().check(sql`amount_cents > 0`))
    .addColumn('applied_on', 'date', (c) => c.notNull())
    .addPrimaryKeyConstraint('credit_applications_pk', ['credit_memo_id', 'invoice_id'])
    .execute();
  await db.schema.createIndex('credit_applications_invoice_idx').on('credit_applications').column('invoice_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'credit_applications',
    'credit_memos',
    'payment_allocations',
    'payments',
    'invoice_lines',
    'invoices',
    'billing_contacts',
    'account_domains',
    'account_users',
    'accounts',
  ]) {
    await db.schema.dropTable(t).execute();
  }
  for (const s of ['invoice_number_seq', 'payment_number_seq', 'credit_memo_number_seq']) {
    await sql`drop sequence ${sql.id(s)}`.execute(db);
  }
}
