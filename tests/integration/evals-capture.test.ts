import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { captureConversation, keyFigures } from '../../evals/capture.js';
import { runEvals } from '../../evals/run.js';
import { buildApp } from '../../src/app.js';
import { fixedClock } from '../../src/billing/dates.js';
import { seedFixture } from '../../src/billing/fixture.js';
import { openConfiguredDatabase } from '../../src/bootstrap.js';
import { testConfig } from '../../src/config.js';
import { migrateToLatest } from '../../src/db/index.js';
import { signSessionToken } from '../../src/identity/session.js';
import { projectPath } from '../../src/paths.js';

/**
 * `npm run evals:capture`: a conversation held by the server's embedded database (a PGlite data
 * directory, as `npm start` keeps it) becomes an eval case that passes when run unchanged
 * through the eval runner. The server ran at a billing day other than the evals' default, so the
 * case only passes because it records `today:` and the runner honours it. While the server holds
 * the database, the command refuses and names it.
 */

const exec = promisify(execFile);
/** Not the evals' default day (2026-11-25): "last month" is November here, October there. */
const DAY = '2026-12-10';
const USER = 'jordan@mycompany.com';

describe('evals:capture', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ba-capture-'));
  const dataDir = path.join(dir, 'pglite');
  const outboxDir = path.join(dir, 'outbox');
  const out = path.join(dir, 'captured.yaml');
  const env = { PGLITE_DATA_DIR: dataDir, FIXED_TODAY: DAY, OUTBOX_DIR: outboxDir, AUTO_SEED: 'false', LOG_LEVEL: 'silent' };
  const config = testConfig(env);
  let conversationId = '';
  let closeServer: () => Promise<void> = async () => undefined;

  /** Runs the command as QA does (tsx evals/capture.ts, which `npm run evals:capture` runs), with the server's environment. */
  const capture = (args: string[]) =>
    exec(process.execPath, ['--import', 'tsx', projectPath('evals/capture.ts'), ...args], {
      cwd: projectPath('.'),
      env: { ...process.env, ...env, NODE_ENV: 'development', DATABASE_URL: '' },
      timeout: 90_000,
    }).then(
      (r) => ({ code: 0, ...r }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );

  beforeAll(async () => {
    // The server: its data directory under the lock, migrated, the fixture as of its day.
    const database = await openConfiguredDatabase(config, undefined, { command: 'npm start' });
    await migrateToLatest(database.db);
    await seedFixture(database.db, DAY);
    const app = await buildApp({ config, database, clock: fixedClock(DAY), closeDatabase: true });
    await app.ready();
    closeServer = async () => {
      await app.close();
      closeServer = async () => undefined;
    };
    const headers = { authorization: `Bearer ${await signSessionToken(config, { accountId: 'R10042', userId: USER })}` };
    conversationId = (await app.inject({ method: 'POST', url: '/v1/chat/conversations', headers })).json<{ id: string }>().id;
    const say = async (text: string) => {
      const res = await app.inject({ method: 'POST', url: `/v1/chat/conversations/${conversationId}/messages`, headers, payload: { text } });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ id: string; cards: Array<{ type: string; proposalId?: string }> }>();
    };
    await say('What is my current account balance?');
    await say('show me the invoices issued last month');
    await say('email IN7654321 to ap@mycompany.com');
    // Proposed (the address comes from the turn before), then approved with the button.
    const proposed = await say('send IN7654320 there too');
    const confirm = proposed.cards.find((c) => c.type === 'confirm');
    expect(confirm?.proposalId).toBeTruthy();
    const approved = await app.inject({ method: 'POST', url: `/v1/chat/conversations/${conversationId}/proposals/${confirm!.proposalId}/approve`, headers });
    expect(approved.statusCode, approved.body).toBe(200);
    // The user flags the balance answer in the widget.
    const messages = (await app.inject({ url: `/v1/chat/conversations/${conversationId}/messages`, headers })).json<{ messages: Array<{ id: string; role: string }> }>().messages;
    const flagged = await app.inject({
      method: 'POST',
      url: `/v1/chat/conversations/${conversationId}/messages/${messages[1]!.id}/feedback`,
      headers,
      payload: { comment: 'Should say which invoices are overdue' },
    });
    expect(flagged.statusCode, flagged.body).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await closeServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses while the server holds the embedded database, naming it', async () => {
    const res = await capture(['--conversation', conversationId, '--out', out]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`is held by process ${process.pid} (npm start)`);
    expect(res.stderr).toMatch(/Stop the server/);
    expect(fs.existsSync(out)).toBe(false);
  }, 120_000);

  it('with the server stopped: writes the case (account, turns, tools and arguments, key figures, today), taking the lock and saying so', async () => {
    await closeServer();
    const res = await capture(['--conversation', conversationId, '--out', out]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(`reading the embedded database at ${dataDir} (holding its lock, as npm start does)`);
    expect(res.stderr).toContain(`wrote ${out} (5 turns, billing day ${DAY})`);

    const text = fs.readFileSync(out, 'utf8');
    expect(text).toContain(`# Captured from conversation ${conversationId}`);
    expect(text).toContain('# flagged in the widget (thumbs-down): Should say which invoices are overdue');
    const c = YAML.parse(text).cases[0];
    expect(c).toMatchObject({ id: `captured/${conversationId}`, account: 'R10042', user: USER, today: DAY, tags: ['captured', 'feedback'] });
    expect(c.turns.map((t: Record<string, unknown>) => t['user'] ?? Object.keys(t)[0])).toEqual([
      'What is my current account balance?',
      'show me the invoices issued last month',
      'email IN7654321 to ap@mycompany.com',
      'send IN7654320 there too',
      'approve',
    ]);
    expect(c.turns[0].expect).toMatchObject({ tools: [{ name: 'getBalance' }], reply_contains: expect.arrayContaining(['2,494.96']), cards: [{ type: 'balance' }] });
    expect(c.turns[2].expect.tools).toEqual([{ name: 'emailInvoicePdf', args: { invoiceNumber: 'IN7654321', to: 'ap@mycompany.com' } }]);
    expect(c.turns[3].expect).toMatchObject({ no_tools: true, proposed: [{ name: 'emailInvoicePdf', args: { invoiceNumber: 'IN7654320', to: 'ap@mycompany.com' } }] });
    expect(c.turns[4].expect.tools).toEqual([{ name: 'emailInvoicePdf', args: { invoiceNumber: 'IN7654320', to: 'ap@mycompany.com' } }]);
    // The tool arguments of "last month" are dates of the server's day.
    expect(JSON.stringify(c.turns[1].expect.tools)).toContain('2026-11');
  }, 120_000);

  it('the captured case passes when run unchanged through the eval runner (it needs its today:)', async () => {
    const report = await runEvals({ cases: out, model: 'offline', trials: 1, quiet: true });
    const failures = report.results.flatMap((r) => r.trials.flatMap((t) => t.turns.flatMap((turn) => turn.failures)));
    expect(failures).toEqual([]);
    expect(report.summary).toMatchObject({ cases: 1, passed: 1 });

    // Without today: the runner's default day reads "last month" as October: the same case fails.
    const shifted = path.join(dir, 'default-day.yaml');
    fs.writeFileSync(shifted, fs.readFileSync(out, 'utf8').replace(`today: ${DAY}`, ''));
    const atDefault = await runEvals({ cases: shifted, model: 'offline', trials: 1, quiet: true });
    expect(atDefault.summary.passed).toBe(0);
  }, 180_000);

  it('without a pinned day, the billing day is the day of the first message in the billing time zone; figures in both languages', async () => {
    const database = await openConfiguredDatabase(config, undefined, { command: 'test' });
    try {
      const first = await database.db.selectFrom('chat_messages').select('created_at').where('conversation_id', '=', conversationId).orderBy('seq').executeTakeFirstOrThrow();
      const viaZone = await captureConversation(database.db, conversationId, { timeZone: 'Pacific/Kiritimati' });
      expect(viaZone.case.today).toBe(new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Kiritimati' }).format(first.created_at));
      await expect(captureConversation(database.db, '00000000-0000-4000-8000-000000000000', { timeZone: 'UTC' })).rejects.toThrow(/no conversation/);
    } finally {
      await database.close();
    }
    expect(keyFigures('Your balance is $2,494.96 on IN7654321 and IN7654321; PAY-300205, CM-100202.')).toEqual(['2,494.96', 'IN7654321', 'PAY-300205', 'CM-100202']);
    expect(keyFigures('Votre solde est de 2\u00a0494,96\u00a0$ (facture IN7654320).')).toEqual(['2\u00a0494,96', 'IN7654320']);
  }, 60_000);
});
