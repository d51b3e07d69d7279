import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { seedFixture } from '../../src/billing/fixture.js';
import { migrateToLatest, openDatabase } from '../../src/db/index.js';
import { TEST_TODAY } from './constants.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dbMode: 'pglite' | 'postgres';
    pgliteTemplate: string;
    pgTemplate: string;
    adminUrl: string;
  }
}

/**
 * Builds one migrated and seeded template for the whole run: a PGlite data-dir tarball, or a
 * PostgreSQL template database when DATABASE_URL is set. Each suite then gets a fresh copy.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env['DATABASE_URL'] ?? '';
  if (adminUrl) {
    const name = `ba_tpl_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const database = await openDatabase({ url: url.toString(), poolMax: 2 });
    await migrateToLatest(database.db);
    await seedFixture(database.db, TEST_TODAY);
    await database.close();
    project.provide('dbMode', 'postgres');
    project.provide('pgTemplate', name);
    project.provide('adminUrl', adminUrl);
    project.provide('pgliteTemplate', '');
    process.stdout.write(`[tests] database: PostgreSQL (${url.host}), template ${name}\n`);
    return async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      // Drop the per-suite copies and the template.
      const rows = await c.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`ba_%_${process.pid}_%`]);
      for (const r of rows.rows) await c.query(`drop database if exists ${r.datname} with (force)`);
      await c.end();
    };
  }
  const pglite = await PGlite.create('memory://');
  const database = await openDatabase({ pglite });
  await migrateToLatest(database.db);
  await seedFixture(database.db, TEST_TODAY);
  const blob = await pglite.dumpDataDir('none');
  const file = path.join(os.tmpdir(), `ba-pglite-template-${process.pid}.tar`);
  fs.writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
  await database.close();
  project.provide('dbMode', 'pglite');
  project.provide('pgliteTemplate', file);
  project.provide('pgTemplate', '');
  project.provide('adminUrl', '');
  process.stdout.write('[tests] database: PGlite (embedded); set DATABASE_URL to run against PostgreSQL\n');
  return async () => {
    fs.rmSync(file, { force: true });
  };
}
