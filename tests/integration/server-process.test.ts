import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testConfig } from '../../src/config.js';
import { signSessionToken } from '../../src/identity/session.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';

/**
 * The README's first command, as a process: `src/server.ts` on its embedded defaults (PGlite in a
 * fresh data directory; under DATABASE_URL, an empty PostgreSQL database), migrated and seeded at
 * start, answering the API and the offline assistant, and exiting cleanly on SIGTERM. On
 * PostgreSQL it also survives the server ending its idle connections.
 */

const mode = inject('dbMode');

describe(`the service process (npm start) on ${mode === 'postgres' ? 'an empty PostgreSQL database' : 'embedded PGlite'}`, () => {
  let server: ServerProcess;
  let base = '';
  let database: (Awaited<ReturnType<typeof freshDatabase>> & { url?: string }) | null = null;

  beforeAll(async () => {
    // Only what a new user's shell would have: spawnServer's clean environment (LOG_LEVEL info), and the database on PostgreSQL.
    const env: NodeJS.ProcessEnv = {};
    if (mode === 'postgres') {
      database = await freshDatabase({ empty: true });
      env['DATABASE_URL'] = database.url;
    }
    server = await spawnServer({ tmpPrefix: 'ba-server-', env });
    base = server.url;
    await server.waitForStart((s) => s.output.includes('Billing Assistant on'), 'the service to start', 60_000);
  }, 90_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
    // Only the server's own sessions are left to end: the forced drop takes care of them.
    await database?.close();
  });

  const auth = async () => ({ authorization: `Bearer ${await signSessionToken(testConfig(), { accountId: 'R10042', userId: 'jordan@mycompany.com' })}` });

  it('migrated and loaded the demo fixture into the empty database, and says which database it uses', async () => {
    expect(server.output).toMatch(/migrations applied: /);
    expect(server.output).toContain(`empty database: loaded the demo fixture as of ${TEST_TODAY}`);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toStrictEqual({ status: 'ready', database: mode });
  });

  it('answers the API and the offline assistant for a signed-in reseller', async () => {
    const balance = await fetch(`${base}/v1/billing/balance`, { headers: await auth() });
    expect(balance.status).toBe(200);
    expect(await balance.json()).toMatchObject({ accountId: 'R10042' });
    const conv = await fetch(`${base}/v1/chat/conversations`, { method: 'POST', headers: await auth() });
    expect(conv.status).toBe(201);
    const { id } = (await conv.json()) as { id: string };
    const reply = await fetch(`${base}/v1/chat/conversations/${id}/messages`, {
      method: 'POST',
      headers: { ...(await auth()), 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'What is my current account balance?' }),
    });
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as { text: string; model: string };
    expect(body.model).toBe('offline');
    expect(body.text).toContain('$2,494.96');
    expect((await fetch(`${base}/v1/billing/balance`)).status).toBe(401);
  });

  it.runIf(mode === 'postgres')('PostgreSQL server only: keeps serving after the server ends its idle connections (logged, not a crash)', async () => {
    const admin = new pg.Client({ connectionString: inject('adminUrl') });
    await admin.connect();
    try {
      const name = new URL(database!.url!).pathname.slice(1);
      const r = await admin.query<{ n: number }>('select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity where datname = $1) t', [name]);
      expect(r.rows[0]!.n).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    await server.waitFor((s) => s.output.includes('database: an idle connection failed and was dropped'), 'the warning', 10_000);
    expect(server.exitCode).toBeNull();
    const balance = await fetch(`${base}/v1/billing/balance`, { headers: await auth() });
    expect(balance.status).toBe(200);
  });

  it('exits 0 on SIGTERM after a graceful shutdown', async () => {
    server.child.kill('SIGTERM');
    const code = await Promise.race([server.exit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(code, server.output.slice(-2000)).toBe(0);
    expect(server.output).toContain('shutting down');
  }, 20_000);
});
