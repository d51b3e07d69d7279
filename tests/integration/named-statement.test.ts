import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statementName } from '../../src/billing/named-statement.js';
import { getInvoice, getInvoicePlannedEachCall } from '../../src/billing/queries.js';
import type { Database } from '../../src/db/index.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';

// getInvoice runs as a pg named statement (src/billing/named-statement.ts) to skip planning on
// repeated calls. These checks run on whichever engine the suite uses (PGlite or PostgreSQL).
describe('getInvoice as a named statement', () => {
  let database: Database;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it('returns exactly what the same statement returns unnamed, for a hit, a miss and another account', async () => {
    const db = database.db;
    for (const [account, number] of [
      ['R10042', 'IN7654321'],
      ['R10042', 'in 7654321'],
      ['R10042', 'IN0000001'],
      ['R20077', 'IN7654321'],
      ['R10042', 'not a number'],
    ] as const) {
      const named = await getInvoice(db, account, number, TEST_TODAY);
      expect(named).toEqual(await getInvoicePlannedEachCall(db, account, number, TEST_TODAY));
    }
    const hit = await getInvoice(db, 'R10042', 'IN7654321', TEST_TODAY);
    expect(hit?.number).toBe('IN7654321');
    expect(hit?.lines.length).toBeGreaterThan(0);
    expect(await getInvoice(db, 'R20077', 'IN7654321', TEST_TODAY)).toBeNull();
  });

  it('is prepared once per connection and switches to a generic plan after repeated calls', async () => {
    // One pinned connection: pg_prepared_statements is per session (PGlite has only one, which
    // the test above already used).
    await database.db.connection().execute(async (c) => {
      const plans = async () => {
        const r = await sql<{ name: string; generic_plans: string; custom_plans: string }>`
          select name, generic_plans::text, custom_plans::text from pg_prepared_statements where name like 'get_invoice_%'`.execute(c);
        expect(r.rows.length).toBeLessThanOrEqual(1);
        const row = r.rows[0];
        return { generic: Number(row?.generic_plans ?? 0), custom: Number(row?.custom_plans ?? 0) };
      };
      const before = await plans();
      for (let i = 0; i < 8; i++) expect((await getInvoice(c, 'R10042', 'IN7654321', TEST_TODAY))?.number).toBe('IN7654321');
      const after = await plans();
      expect(after.generic + after.custom - before.generic - before.custom).toBe(8);
      // PostgreSQL plans the first five executions per parameter set, then keeps the generic plan.
      expect(after.custom).toBeLessThanOrEqual(5);
      expect(after.generic).toBeGreaterThan(before.generic);
    });
  });

  it('names a statement after its text, so a changed text never collides with a prepared one', () => {
    expect(statementName('get_invoice', 'select 1')).toBe(statementName('get_invoice', 'select 1'));
    expect(statementName('get_invoice', 'select 1')).not.toBe(statementName('get_invoice', 'select 2'));
    expect(statementName('get_invoice', 'select 1')).toMatch(/^get_invoice_[0-9a-f]{12}$/);
  });
});
