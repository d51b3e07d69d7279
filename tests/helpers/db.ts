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
    const database = await openDatabase({ url: url.toString(), poolMax: 10 });
    return {
      ...database,
      url: url.toString(),
      close: async () => {
        await database.close();
        const c = new pg.Client({ connectionString: adminUrl });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      },
    };
  }
  const pglite = opts.empty
    ? await PGlite.create('memory://')
    : await PGlite.create('memory://', { loadDataDir: new Blob([fs.readFileSync(inject('pgliteTemplate'))]) });
  return openDatabase({ pglite });
}
