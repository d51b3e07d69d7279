import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The layer rule (.dependency-cruiser.cjs, run in CI as `npm run lint:deps`) must fail on a bad
 * import: each case below builds a tiny tree with the project's folder names and one deliberate
 * violation, and runs the real dependency-cruiser with the real config on it.
 */

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const BIN = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** Writes `files` (path → source) into a fresh tree and returns the violations found. */
async function cruise(dir: string, files: Record<string, string>): Promise<Violation[]> {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [file, source] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), source);
  }
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowJs: true } }));
  const roots = ['src', 'tools', 'migrations'].filter((r) => fs.existsSync(path.join(dir, r)));
  try {
    const { stdout } = await run(process.execPath, [BIN, ...roots, '--config', CONFIG, '--output-type', 'json'], { cwd: dir, maxBuffer: 32 * 1024 * 1024 });
    return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
  } catch (err) {
    // Exit code = number of errors; the JSON report is still on stdout.
    const stdout = (err as { stdout?: string }).stdout;
    if (!stdout) throw err;
    return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
  }
}

const GOOD: Record<string, string> = {
  'src/config.ts': 'export const config = {};\n',
  'src/format/money.ts': 'export const formatMoney = (c: bigint) => String(c);\n',
  'src/identity/session.ts': "import { config } from '../config.js';\nexport interface Session { accountId: string }\nexport const c = config;\n",
  'src/db/index.ts': "import { config } from '../config.js';\nexport const db = config;\n",
  'src/billing/queries.ts': "import { db } from '../db/index.js';\nimport { formatMoney } from '../format/money.js';\nexport const q = [db, formatMoney];\n",
  'src/mail/service.ts': "import { q } from '../billing/queries.js';\nexport const mail = q;\n",
  'tools/getBalance.ts': "import { q } from '../src/billing/queries.js';\nimport type { Session } from '../src/identity/session.js';\nexport const t = (s: Session) => [q, s];\n",
  'src/agent/loop.ts': "import { t } from '../../tools/getBalance.js';\nexport const loop = t;\n",
  'src/mcp/server.ts': "import { t } from '../../tools/getBalance.js';\nexport const mcp = t;\n",
  'src/http/routes/chat.ts': "import { loop } from '../../agent/loop.js';\nimport { mcp } from '../../mcp/server.js';\nexport const route = [loop, mcp];\n",
  'src/web/page.ts': "import { route } from '../http/routes/chat.js';\nexport const page = route;\n",
  'src/web/widget/cards.ts': "import { formatMoney } from '../../format/money.js';\nimport type { Session } from '../../identity/session.js';\nexport const card = (s: Session) => [formatMoney, s];\n",
};

/** One deliberate bad import per rule: [rule, file, its source]. */
const BAD: Array<[rule: string, file: string, source: string]> = [
  ['lower-layers-never-import-the-doors', 'tools/bad.ts', "import { route } from '../src/http/routes/chat.js';\nexport const x = route;\n"],
  ['lower-layers-never-import-the-doors', 'src/agent/bad.ts', "import { page } from '../web/page.js';\nexport const x = page;\n"],
  ['lower-layers-never-import-the-doors', 'src/db/bad.ts', "import type { route } from '../http/routes/chat.js';\nexport type X = typeof route;\n"],
  ['documents-and-mail-never-import-web', 'src/documents/bad.ts', "import { page } from '../web/page.js';\nexport const x = page;\n"],
  ['billing-imports-nothing-above-it', 'src/billing/bad.ts', "import { mail } from '../mail/service.js';\nexport const x = mail;\n"],
  ['foundation-imports-only-foundation', 'src/format/bad.ts', "import { q } from '../billing/queries.js';\nexport const x = q;\n"],
  ['tools-never-import-the-agent', 'tools/bad2.ts', "import { loop } from '../src/agent/loop.js';\nexport const x = loop;\n"],
  ['services-never-import-tools-or-agent', 'src/payments/bad.ts', "import { t } from '../../tools/getBalance.js';\nexport const x = t;\n"],
  ['widget-bundle-stays-in-the-browser', 'src/web/widget/bad.ts', "import fs from 'node:fs';\nexport const x = fs;\n"],
  ['widget-bundle-imports-format-and-types-only', 'src/web/widget/bad2.ts', "import { q } from '../../billing/queries.js';\nexport const x = q;\n"],
  ['eventlog-imports-only-storage-and-foundation', 'src/eventlog/bad.ts', "import { q } from '../billing/queries.js';\nexport const x = q;\n"],
  ['mcp-and-agent-stay-apart', 'src/mcp/bad.ts', "import { loop } from '../agent/loop.js';\nexport const x = loop;\n"],
  ['mcp-and-agent-stay-apart', 'src/agent/bad2.ts', "import { mcp } from '../mcp/server.js';\nexport const x = mcp;\n"],
  ['tools-never-import-the-agent', 'tools/bad3.ts', "import { mcp } from '../src/mcp/server.js';\nexport const x = mcp;\n"],
  ['no-circular', 'src/billing/cycle-a.ts', "import { b } from './cycle-b.js';\nexport const a = () => b;\n"],
];
const CYCLE_PARTNER = { 'src/billing/cycle-b.ts': "import { a } from './cycle-a.js';\nexport const b = () => a;\n" };

describe('the layer rule (dependency-cruiser) fails on deliberate bad imports', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layers-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a tree that follows the layers has no violation', async () => {
    expect(await cruise(path.join(dir, 'good'), GOOD)).toStrictEqual([]);
  }, 60_000);

  it('each bad import is reported under its rule, and nothing else is', async () => {
    const files = { ...GOOD, ...CYCLE_PARTNER, ...Object.fromEntries(BAD.map(([, file, source]) => [file, source])) };
    const violations = await cruise(path.join(dir, 'bad'), files);
    for (const [rule, file] of BAD) {
      expect(
        violations.some((v) => v.rule.name === rule && v.from === file),
        `${rule} on ${file}: ${JSON.stringify(violations.map((v) => [v.rule.name, v.from, v.to]))}`,
      ).toBe(true);
    }
    const badFiles = new Set([...BAD.map(([, f]) => f), ...Object.keys(CYCLE_PARTNER)]);
    expect(violations.filter((v) => !badFiles.has(v.from))).toStrictEqual([]);
  }, 60_000);

  it('the repository itself passes the rule', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'src', 'tools', 'migrations', '--config', CONFIG, '--output-type', 'json'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }).catch(
      (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
    );
    const violations = (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
    expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toStrictEqual([]);
  }, 120_000);
});
