import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testConfig } from '../../src/config.js';
import { signSessionToken } from '../../src/identity/session.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';

/**
 * The README's first command, as a process: `src/server.ts` on its embedded defaults (PGlite in a
 * fresh data directory; under DATABASE_URL, an empty PostgreSQL database), migrated and seeded at
 * start, answering the API and the offline assistant, and exiting cleanly on SIGTERM. On
 * PostgreSQL it also survives the server ending its idle connections.
 */

const mode = inject('dbMode');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe(`the service process (npm start) on ${mode === 'postgres' ? 'an empty PostgreSQL database' : 'embedded PGlite'}`, () => {
  let child: ChildProcess;
  let output = '';
  let base = '';
  let dataDir = '';
  let database: (Awaited<ReturnType<typeof freshDatabase>> & { url?: string }) | null = null;
  let exit: Promise<number | null>;

  beforeAll(async () => {
    const port = await freePort();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ba-server-'));
    // Only what a new user's shell would have: none of our settings but the ones below.
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'] ?? os.tmpdir() };
    Object.assign(env, { NODE_ENV: 'development', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', FIXED_TODAY: TEST_TODAY, PGLITE_DATA_DIR: path.join(dataDir, 'pglite') });
    if (mode === 'postgres') {
      database = await freshDatabase({ empty: true });
      env['DATABASE_URL'] = database.url;
    }
    child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    base = `http://127.0.0.1:${port}`;
    await until(() => output.includes('Billing Assistant on') || child.exitCode !== null, 'the service to start');
    expect(child.exitCode, output).toBeNull();
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await exit;
    }
    // Only the server's own sessions are left to end: the forced drop takes care of them.
    await database?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const auth = async () => ({ authorization: `Bearer ${await signSessionToken(testConfig(), { accountId: 'R10042', userId: 'jordan@mycompany.com' })}` });

  it('migrated and loaded the demo fixture into the empty database, and says which database it uses', async () => {
    expect(output).toMatch(/migrations applied: /);
    expect(output).toContain(`empty database: loaded the demo fixture as of ${TEST_TODAY}`);
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
    await until(() => output.includes('database: an idle connection failed and was dropped'), 'the warning', 10_000);
    expect(child.exitCode).toBeNull();
    const balance = await fetch(`${base}/v1/billing/balance`, { headers: await auth() });
    expect(balance.status).toBe(200);
  });

  it('exits 0 on SIGTERM after a graceful shutdown', async () => {
    child.kill('SIGTERM');
    const code = await Promise.race([exit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(code, output.slice(-2000)).toBe(0);
    expect(output).toContain('shutting down');
  }, 20_000);
});
