import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { openDatabase, type Database } from '../../src/db/index.js';
import { freshDatabase } from '../helpers/db.js';

/**
 * A PostgreSQL server can end an idle pooled connection at any time (restart, failover, an
 * administrator's pg_terminate_backend). pg reports it as an 'error' on the pool; with no listener
 * that is an uncaught exception and the service dies. These run against a real server only: PGlite
 * is in-process and has no server to end a session.
 */
const onServer = inject('dbMode') === 'postgres';

describe.runIf(onServer)('database pool: an idle connection ended by the server (PostgreSQL server only)', () => {
  let owner: Database & { url?: string };
  const opened: Database[] = [];

  beforeAll(async () => {
    owner = await freshDatabase();
  });
  afterAll(async () => {
    await Promise.all(opened.splice(0).map((d) => d.close()));
    await owner.close();
  });

  async function backendPid(db: Database): Promise<number> {
    const r = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db.db);
    return r.rows[0]!.pid;
  }

  async function terminate(pid: number): Promise<void> {
    const r = await sql<{ ok: boolean }>`select pg_terminate_backend(${pid}) as ok`.execute(owner.db);
    expect(r.rows[0]!.ok).toBe(true);
  }

  async function until(cond: () => boolean, ms = 5_000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('reports it to onIdleError, drops it, and the next query opens a new connection', async () => {
    const errors: Error[] = [];
    const database = await openDatabase({ url: owner.url!, poolMax: 1, onIdleError: (err) => errors.push(err) });
    opened.push(database);
    const first = await backendPid(database);
    await terminate(first);
    await until(() => errors.length === 1);
    expect((errors[0] as Error & { code?: string }).code).toBe('57P01');
    const second = await backendPid(database);
    expect(second).not.toBe(first);
    const r = await sql<{ n: number }>`select count(*)::int as n from invoices`.execute(database.db);
    expect(r.rows[0]!.n).toBeGreaterThan(0);
  });

  it('without a handler, writes one line to stderr instead of crashing the process', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const database = await openDatabase({ url: owner.url!, poolMax: 1 });
      opened.push(database);
      await terminate(await backendPid(database));
      await until(() => lines.some((l) => l.startsWith('database: an idle connection failed')));
      expect(lines.find((l) => l.startsWith('database:'))).toMatch(/\(57P01\): terminating connection due to administrator command/);
      expect(await backendPid(database)).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
  });
});
