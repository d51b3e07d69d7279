import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../evals/report.js';

/**
 * Issue #15, must show 1: `npm run evals -- --baseline prev.json` as CI runs it (the CLI, in its own
 * process). The baseline says a case passed that fails now: the run exits 1 and lists it in
 * `summary.regressions`, although the pass rate went up (two cases it marks failed pass now). The
 * same run writes --json, --junit and --html (package F's renderer).
 */

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evals-baseline-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const cases = path.join(dir, 'cases.yaml');
fs.writeFileSync(
  cases,
  `cases:
  - id: base/still-passing
    account: R10042
    tags: [base]
    turns:
      - user: What is my current account balance?
        expect: { tools: [getBalance], reply_contains: ["2,494.96"] }
  - id: base/now-failing
    account: R10042
    tags: [base]
    turns:
      - user: What is my current account balance?
        expect: { reply_contains: ["a figure this reply never holds"] }
  - id: base/fixed-one
    account: R10042
    tags: [base]
    turns:
      - user: 7654321
        expect: { cards: [{ type: invoice, invoiceNumber: IN7654321 }] }
  - id: base/fixed-two
    account: R10042
    tags: [base]
    turns:
      - user: show me invoice IN7654320
        expect: { cards: [{ type: invoice, invoiceNumber: IN7654320 }] }
`,
);

/** A report of the first version's shape (no kind): what an older CI run left as its artifact. */
const baseline = path.join(dir, 'previous.json');
const prev = (id: string, passed: boolean) => ({ id, tags: ['base'], passed, successes: passed ? 1 : 0, trials: [{ passed, turns: [] }] });
fs.writeFileSync(
  baseline,
  JSON.stringify({
    summary: { cases: 4, passed: 2, failed: 2, pass_rate: 0.5, trials: 1, pass_hat_k: { '1': 0.5 }, model: 'offline', date: '2026-11-20T10:00:00.000Z', duration_ms: 1 },
    tags: { base: { cases: 4, passed: 2 } },
    results: [prev('base/still-passing', true), prev('base/now-failing', true), prev('base/fixed-one', false), prev('base/fixed-two', false), prev('base/deleted', true)],
  }),
);

describe('--baseline', () => {
  it('exits 1 on a case the baseline marks passed that fails now, listing it in summary.regressions, even though the rate went up', async () => {
    const out = { json: path.join(dir, 'now.json'), junit: path.join(dir, 'now.xml'), html: path.join(dir, 'now.html') };
    const args = ['tsx', 'evals/run.ts', '--cases', cases, '--model', 'offline', '--baseline', baseline, '--json', out.json, '--junit', out.junit, '--html', out.html];
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '' };
    delete env['EVALS_DATABASE_URL'];
    const result = await run('npx', args, { cwd: root, env }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );
    expect(result.stderr).not.toMatch(/^evals: /m);
    expect(result.code).toBe(1);

    const report = JSON.parse(fs.readFileSync(out.json, 'utf8')) as RunReport;
    expect(report.summary.pass_rate).toBe(0.75);
    expect(report.summary.regressions).toEqual(['base/now-failing']);
    expect(report.summary.fixes).toEqual(['base/fixed-one', 'base/fixed-two']);
    expect(report.baseline).toMatchObject({ path: baseline, pass_rate: 0.5, unchanged: ['base/still-passing'], new: [], removed: ['base/deleted'] });
    expect(report.results.map((r) => r.baseline?.status)).toEqual(['unchanged', 'regressed', 'fixed', 'fixed']);

    expect(result.stdout).toContain('REGRESSED: passed in the baseline, failing now (1):\n    base/now-failing');
    expect(result.stdout).toContain('baseline');
    expect(fs.readFileSync(out.junit, 'utf8')).toMatch(/<testcase [^>]*name="base\/now-failing"[^>]*><failure /);
    const html = fs.readFileSync(out.html, 'utf8');
    expect(html).toContain('base/now-failing');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
  }, 300_000);

  it('exits 0 when nothing regressed (a known failure of the baseline is no regression)', async () => {
    const same = path.join(dir, 'same.json');
    fs.writeFileSync(
      same,
      JSON.stringify({
        summary: { cases: 1, passed: 0, failed: 1, pass_rate: 0, trials: 1, model: 'offline', date: '2026-11-20T10:00:00.000Z' },
        results: [prev('base/now-failing', false)],
      }),
    );
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '' };
    delete env['EVALS_DATABASE_URL'];
    const r = await run('npx', ['tsx', 'evals/run.ts', '--cases', cases, '--filter', 'base/now-failing', '--baseline', same], { cwd: root, env });
    expect(r.stdout).toContain('0 regressed, 0 fixed, 0 flaky, 1 unchanged, 0 new, 0 not run');
  }, 300_000);
});
