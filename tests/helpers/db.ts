import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../src/db/index.js';

let counter = 0;

/** A fresh, migrated database holding the fixture (as of TEST_TODAY), private to the caller. */
export async function freshDatabase(opts: { empty?: boolean } = {}): Promise<Database & { url?: string }> {
  const mode = inject('dbMode');
  if (mode === 'postgres') {
    const adminUrl = inject('adminUrl');
    const name = `ba_t_${process.pid}_${Date.now()}_${counter++}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await admin.query(opts.empty ? `create database ${name}` : `create database ${name} template ${inject('pgTemplate')}`);
          break;
        } catch (err) {
          // Two suites copying the template at once: "source database is being accessed by other users".
          if (attempt >= 20 || !/being accessed by other users/.test(String(err))) throw err;
          await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
        }
      }
    } finally {
      await admin.end();
    }
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    let closing = false;
    const database = await openDatabase({
      url: url.toString(),
      poolMax: 10,
      onIdleError: (err) => {
        // pool.end() resolves before the server has seen every connection go; the drop below may
        // still end one ("terminating connection due to administrator command"). Anything else is real.
        if (!closing) throw err;
      },
    });
    return {
      ...database,
      url: url.toString(),
      close: async () => {
        closing = true;
        await database.close();
        const c = new pg.Client({ connectionString: adminUrl });
        await c.connect();
        try {
          // Let the closed pool's sessions finish ending before forcing the rest out.
          for (let i = 0; i < 40; i++) {
            const r = await c.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
            if (r.rows[0]?.n === 0) break;
            await new Promise((r) => setTimeout(r, 25));
          }
          await c.query(`drop database if exists ${name} with (force)`);
        } finally {
          await c.end();
        }
      },
    };
  }
  const pglite = opts.empty
    ? await PGlite.create('memory://')
    : await PGlite.create('memory://', { loadDataDir: new Blob([fs.readFileSync(inject('pgliteTemplate'))]) });
  return openDatabase({ pglite });
}
