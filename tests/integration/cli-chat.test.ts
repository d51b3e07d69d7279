import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { acquireDataDirLock } from '../../src/db/lock.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { describeWithBrowser } from '../helpers/browser.js';
import { freePort } from '../helpers/e2e.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';

/**
 * `npm run chat -- R10042`, as support staff and scripts use it: questions piped on stdin, the
 * answers (streamed text, then cards as text tables) on stdout. Without a server it opens the
 * database itself (PGlite under the lock `npm start` also takes; PostgreSQL under DATABASE_URL);
 * with a server answering on PORT it goes through the HTTP API; and while another process holds
 * the PGlite directory it refuses, naming that process.
 */

const mode = inject('dbMode');

const SEED_COMMANDS = [
  'What is my current account balance?',
  'Show me invoice IN7654321',
  'List my outstanding invoices',
  'Email a PDF copy of IN7654321 to accounting@mycompany.com',
];

/** Only what a new user's shell would have, and the settings given. */
function shellEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'] ?? os.tmpdir(), npm_config_update_notifier: 'false' };
  for (const key of ['CHROMIUM_PATH', 'PUPPETEER_EXECUTABLE_PATH']) if (process.env[key]) env[key] = process.env[key];
  return { ...env, NODE_ENV: 'development', HOST: '127.0.0.1', FIXED_TODAY: TEST_TODAY, ...settings };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with `lines` piped on stdin (then EOF) and collects its output. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, lines: string[], timeoutMs = 150_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  });
}

const chat = (env: NodeJS.ProcessEnv, lines: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/chat.ts', 'R10042'], env, lines);

/** The answer printed after each echoed "> question" line, by question. */
function answers(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = stdout.split(/^> (.*)$/m);
  for (let i = 1; i < parts.length; i += 2) out.set(parts[i]!, parts[i + 1] ?? '');
  return out;
}

describeWithBrowser('npm run chat -- R10042 without a server: the chat service in the process, on the configured database', () => {
  let dir = '';
  let database: (Awaited<ReturnType<typeof freshDatabase>> & { url?: string }) | null = null;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ba-cli-chat-'));
    if (mode === 'postgres') database = await freshDatabase();
  });
  afterAll(async () => {
    await database?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers the four seed commands piped on stdin and exits 0 at the end of input', async () => {
    const outbox = path.join(dir, 'outbox');
    const env = shellEnv({ PORT: String(await freePort()), PGLITE_DATA_DIR: path.join(dir, 'pglite'), OUTBOX_DIR: outbox, ...(database?.url ? { DATABASE_URL: database.url } : {}) });
    const r = await run('npm', ['run', 'chat', '--', 'R10042'], env, SEED_COMMANDS);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stderr).toContain(`chat: R10042 as jordan@mycompany.com, in this process on the ${mode === 'postgres' ? 'PostgreSQL database (DATABASE_URL)' : `PGlite database at ${path.join(dir, 'pglite')}`}`);
    // Piped: no prompt, no ANSI.
    expect(r.stdout).not.toContain(String.fromCharCode(27));
    expect(r.stdout).not.toContain('you›');
    // npm's own banner ("> billing-assistant@0.1.0 chat", "> tsx src/cli/chat.ts R10042") comes first.
    const by = answers(r.stdout.replace(/^\s*> billing-assistant@\S+ chat\n> tsx src\/cli\/chat\.ts R10042\n/, ''));
    expect([...by.keys()]).toStrictEqual(SEED_COMMANDS);

    const balance = by.get(SEED_COMMANDS[0]!)!;
    expect(balance).toContain('Your current balance is $2,494.96');
    expect(balance).toMatch(/Balance as of Nov 25, 2026\n {2}Balance +\$2,494\.96\n/);

    const invoice = by.get(SEED_COMMANDS[1]!)!;
    expect(invoice).toContain('Invoice IN7654321 (issued Oct 21, 2026, due Nov 20, 2026) totals $1,234.56 and is Overdue');
    expect(invoice).toMatch(/Invoice IN7654321 · Overdue\n(.*\n)* {2}Amount due +\$1,234\.56\n/);
    expect(invoice).toMatch(/ {2}Pay: http:\/\/localhost:\d+\/pay\/v1\./);

    const list = by.get(SEED_COMMANDS[2]!)!;
    expect(list).toContain('You have 4 outstanding invoices, $2,569.96 due in all');
    expect(list).toContain('Outstanding invoices (4)');
    for (const [number, due, status] of [
      ['IN7654323', '$215.40', 'Due'],
      ['IN7654320', '$640.00', 'Due'],
      ['IN7654321', '$1,234.56', 'Overdue'],
      ['IN7654322', '$480.00', 'Overdue'],
    ]) {
      expect(list).toMatch(new RegExp(`^ {2}${number} .* \\${due} {2}${status}`, 'm'));
    }
    expect(list).toContain('Total due: $2,569.96');

    const email = by.get(SEED_COMMANDS[3]!)!;
    expect(email).toContain("Done: I've emailed a PDF copy of IN7654321 to accounting@mycompany.com");
    expect(email).toMatch(/Email sent\n {2}Invoice +IN7654321\n {2}To +accounting@mycompany\.com\n/);

    // The outbox holds the message, with the PDF.
    const messages = fs.readdirSync(outbox);
    expect(messages).toHaveLength(1);
    const message = JSON.parse(fs.readFileSync(path.join(outbox, messages[0]!, 'message.json'), 'utf8')) as { to: string; subject: string };
    expect(message).toMatchObject({ to: 'accounting@mycompany.com' });
    expect(message.subject).toContain('IN7654321');
    expect(fs.readFileSync(path.join(outbox, messages[0]!, 'IN7654321.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
    // The lock is given back at exit.
    expect(fs.existsSync(path.join(dir, 'pglite', 'billing-assistant.lock'))).toBe(false);
  }, 180_000);
});

describe(`npm run chat with a server answering on PORT (${mode === 'postgres' ? 'PostgreSQL' : 'PGlite'}): the chat goes through the HTTP API`, () => {
  let server: ChildProcess;
  let output = '';
  let port = 0;
  let dir = '';
  let database: (Awaited<ReturnType<typeof freshDatabase>> & { url?: string }) | null = null;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    port = await freePort();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ba-cli-api-'));
    if (mode === 'postgres') database = await freshDatabase();
    env = shellEnv({ PORT: String(port), PGLITE_DATA_DIR: path.join(dir, 'pglite'), OUTBOX_DIR: path.join(dir, 'outbox'), ...(database?.url ? { DATABASE_URL: database.url } : {}) });
    server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: PROJECT_ROOT, env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    server.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    const end = Date.now() + 90_000;
    while (!output.includes('Billing Assistant on') && server.exitCode === null && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(server.exitCode, output).toBeNull();
  }, 120_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await database?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('answers through the API, streams, and approves a confirm card through the proposals endpoint', async () => {
    const r = await chat(env, ['What is my current account balance?', 'I want to dispute invoice IN7654320, the quantity is wrong', '/approve', '/history']);
    // On failure, the server's warnings and errors say why (a failed turn is logged there, not sent to the client).
    const serverErrors = () => output.split('\n').filter((l) => /"level":(40|50|60)/.test(l)).join('\n');
    expect(r.code, `${r.stdout}\n${r.stderr}\nserver warnings and errors:\n${serverErrors()}`).toBe(0);
    expect(r.stderr).toContain(`chat: R10042 as jordan@mycompany.com, through the server at http://127.0.0.1:${port}`);
    const by = answers(r.stdout);
    expect(by.get('What is my current account balance?')).toContain('Your current balance is $2,494.96');
    const proposed = by.get('I want to dispute invoice IN7654320, the quantity is wrong')!;
    expect(proposed).toMatch(/Confirm: .*IN7654320.*\n {2}Type \/approve to go ahead or \/decline to cancel/);
    expect(by.get('/approve')).toMatch(/Follow-up FU-\d+\n {2}Topic +dispute\n {2}Invoice +IN7654320/);
    // The conversation as the server stored it: both questions, the three answers.
    const history = by.get('/history')!;
    expect(history.match(/^you: /gm)).toHaveLength(2);
    expect(history.match(/^assistant: /gm)).toHaveLength(3);
    // The server's request log shows the chat's calls.
    expect(output).toMatch(/\/v1\/chat\/conversations\/[0-9a-f-]+\/proposals\/[0-9a-f-]+\/approve/);
  }, 60_000);

  it.runIf(mode === 'pglite')('PGlite: a chat that cannot reach that server refuses to open its data directory, naming the server', async () => {
    const other = await freePort();
    const r = await chat({ ...env, PORT: String(other) }, ['What is my current account balance?']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      `the database at ${path.join(dir, 'pglite')} is in use by process ${server.pid} (node src/server.ts); stop it or let the chat use its API at http://127.0.0.1:${other}`,
    );
  }, 60_000);
});

describe('npm run chat while another process holds the PGlite data directory', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ba-cli-lock-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses clearly, naming the holder, and leaves its lock alone', async () => {
    const dataDir = path.join(dir, 'pglite');
    const lock = acquireDataDirLock(dataDir, { command: 'npm start' });
    try {
      const port = await freePort();
      const r = await chat(shellEnv({ PORT: String(port), PGLITE_DATA_DIR: dataDir }), ['What is my current account balance?']);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`the database at ${dataDir} is in use by process ${process.pid} (npm start); stop it or let the chat use its API at http://127.0.0.1:${port}`);
      expect(fs.readdirSync(dataDir)).toStrictEqual(['billing-assistant.lock']);
    } finally {
      lock.release();
    }
  }, 60_000);

  it('held by another chat, it says to start the server so that both chats share it', async () => {
    const dataDir = path.join(dir, 'pglite');
    const lock = acquireDataDirLock(dataDir, { command: 'npm run chat' });
    try {
      const r = await chat(shellEnv({ PORT: String(await freePort()), PGLITE_DATA_DIR: dataDir }), ['hello']);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`the database at ${dataDir} is in use by process ${process.pid} (npm run chat); stop it, or start the server (npm start) and both chats will use its API`);
    } finally {
      lock.release();
    }
  }, 60_000);

  it('refuses a malformed account number or email, and a secret that is not the development one', async () => {
    const usage = await run(process.execPath, ['--import', 'tsx', 'src/cli/chat.ts', 'X10042'], shellEnv({ PGLITE_DATA_DIR: path.join(dir, 'unused') }), []);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('usage: npm run chat -- <account number, e.g. R10042> [user email]\n');
    const badEmail = await run(process.execPath, ['--import', 'tsx', 'src/cli/chat.ts', 'R10042', 'not-an-email'], shellEnv({ PGLITE_DATA_DIR: path.join(dir, 'unused') }), []);
    expect(badEmail.code).toBe(2);
    const secret = await run(process.execPath, ['--import', 'tsx', 'src/cli/chat.ts', 'R10042'], shellEnv({ PGLITE_DATA_DIR: path.join(dir, 'unused'), AUTH_JWT_SECRET: 'x'.repeat(40) }), []);
    expect(secret.code).toBe(1);
    expect(secret.stderr).toContain('refused: AUTH_JWT_SECRET is not the development default');
    expect(fs.existsSync(path.join(dir, 'unused'))).toBe(false);
  }, 60_000);
});
