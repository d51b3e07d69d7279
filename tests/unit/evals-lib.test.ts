import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkExpectations, costOf, filterCases, latencyStats, loadCaseFile, loadCases, loadPrices, type ObservedTurn } from '../../evals/lib.js';
import { applyBaseline, failingNewCases } from '../../evals/baseline.js';
import { cacheKey, openResponseCache } from '../../evals/cache.js';
import { readVerdict } from '../../evals/judge.js';
import { createProgress, progressLine } from '../../evals/progress.js';
import { REPORT_VERSION, type CaseReport, type RunReport } from '../../evals/report.js';

/** Issue #15: the eval runner's pure parts: case files, checks, figures, baseline, cache keys, progress. */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evals-lib-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const caseFile = (name: string, text: string) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
};

describe('case files', () => {
  it('takes number and boolean scalars under user: as the text written (leading zeros, 19 digits, decimals)', () => {
    const f = caseFile(
      'numbers.yaml',
      ['cases:', '  - id: n', '    account: R10042', '    turns:', '      - user: 0042', '      - user: 5555555555554444555', '      - user: 12.50', '      - user: yes', '      - user: true', ''].join('\n'),
    );
    const [c] = loadCaseFile(f);
    expect(c!.turns.map((t) => ('user' in t ? t.user : null))).toEqual(['0042', '5555555555554444555', '12.50', 'yes', 'true']);
  });

  it('names the file and line of a schema error', () => {
    const f = caseFile('bad.yaml', ['cases:', '  - id: ok', '    account: R10042', '    turns:', '      - user: hi', '        expect: { tool: [getBalance] }', ''].join('\n'));
    expect(() => loadCaseFile(f)).toThrow(new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:\\d+: cases\\.0\\.turns\\.0`));
  });

  it('names the line of a YAML syntax error', () => {
    const f = caseFile('syntax.yaml', ['cases:', '  - id: x', '    account: R10042', '    turns: [', ''].join('\n'));
    expect(() => loadCaseFile(f)).toThrow(/syntax\.yaml:\d+:\d+: /);
  });

  it('reads a case-level today: and refuses one that is not a date', () => {
    const good = caseFile('today.yaml', ['cases:', '  - id: t', '    account: R10042', '    today: 2026-12-10', '    turns: [{ user: hi }]', ''].join('\n'));
    expect(loadCaseFile(good)[0]!.today).toBe('2026-12-10');
    const bad = caseFile('today-bad.yaml', ['cases:', '  - id: t', '    account: R10042', '    today: 2026-13-40', '    turns: [{ user: hi }]', ''].join('\n'));
    expect(() => loadCaseFile(bad)).toThrow(/today-bad\.yaml:4:\d+: cases\.0\.today/);
  });

  it('loads every case of evals/cases (ids unique, today: absent)', () => {
    const cases = loadCases(path.resolve(import.meta.dirname, '../../evals/cases'));
    expect(cases.length).toBeGreaterThan(300);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  it('--filter matches ids, id parts and tags, comma-separated', () => {
    const cases = loadCases(path.resolve(import.meta.dirname, '../../evals/cases'));
    const ids = (f: string) => filterCases(cases, f).map((c) => c.id);
    expect(ids('balance/seed-example')).toEqual(['balance/seed-example']);
    expect(ids('typo').length).toBeGreaterThan(1);
    expect(ids('balance/seed-example,security')).toContain('balance/seed-example');
    expect(ids('balance/seed-example,security').length).toBeGreaterThan(1);
    expect(ids('no-such-thing')).toEqual([]);
  });
});

describe('checks', () => {
  const turn: ObservedTurn = {
    user: 'pay IN7654321',
    tools: [{ name: 'createPaymentLink', args: { invoiceNumber: 'IN7654321' } }],
    proposals: [],
    rejected: false,
    reply: 'Here is the link to pay IN7654321 ($1,234.56).',
    cards: [{ type: 'invoice', invoiceNumber: 'IN7654321' } as never],
  };

  it('reports every expectation with a verdict, failures with a reason', () => {
    const checks = checkExpectations(
      { tools: [{ name: 'createPaymentLink', args: { invoiceNumber: 'IN7654321' } }], reply_contains: ['1,234.56', 'nope'], forbidden_tools: ['emailInvoicePdf'], cards: [{ type: 'balance' }], judge: 'polite' },
      turn,
    );
    expect(checks.map((c) => [c.kind, c.verdict])).toEqual([
      ['tools', 'pass'],
      ['reply_contains', 'pass'],
      ['reply_contains', 'fail'],
      ['forbidden_tools', 'pass'],
      ['cards', 'fail'],
    ]);
    expect(checks[2]).toMatchObject({ expectation: 'reply_contains: "nope"', reason: 'not in the reply' });
  });
});

describe('figures', () => {
  it('latency percentiles by nearest rank', () => {
    const s = latencyStats(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(s).toEqual({ p50: 50, p95: 95, p99: 99, mean: 50.5, count: 100 });
    expect(latencyStats([])).toEqual({ p50: 0, p95: 0, p99: 0, mean: 0, count: 0 });
  });

  it('cost from evals/prices.yaml: offline is free, an unknown model has no price, cached input at its own rate', () => {
    const prices = loadPrices();
    const usage = { input_tokens: 1_000_000, output_tokens: 1_000_000, cached_input_tokens: 0 };
    expect(costOf(prices, 'offline', usage)).toBe(0);
    expect(costOf(prices, 'no-such-model', usage)).toBeNull();
    expect(costOf({ m: { input: 1, output: 2, cached_input: 0.5 } }, 'm', { input_tokens: 2_000_000, output_tokens: 1_000_000, cached_input_tokens: 1_000_000 })).toBe(3.5);
    expect(costOf({ m: { input: 1, output: 2 } }, 'openai/m', { input_tokens: 1_000_000, output_tokens: 0, cached_input_tokens: 0 })).toBe(1);
  });

  it('progress line with ETA from the time per item so far', () => {
    expect(progressLine(10, 40, 20_000, 'x/y')).toBe('10/40 (25%) 0:20 elapsed, ETA 1:00  x/y');
    expect(progressLine(40, 40, 3_725_000, 'x/y')).toBe('40/40 (100%) 1:02:05 elapsed  x/y');
    let t = 0;
    const out: string[] = [];
    const p = createProgress({ total: 3, stream: { write: (s) => out.push(s), isTTY: true, columns: 60 }, now: () => (t += 1000) });
    p.tick('a');
    p.tick('b');
    p.done();
    expect(out[0]).toMatch(/^\r {2}1\/3 \(33%\) 0:01 elapsed, ETA 0:02 {2}a/);
    expect(out.at(-1)).toBe('\n');
  });
});

function caseReport(id: string, successes: number, trials = 1): CaseReport {
  const t = { passed: true, turns: [], latency_ms: 0, usage: { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0 } };
  return {
    id,
    tags: [],
    account: 'R10042',
    today: '2026-11-25',
    file: 'x.yaml',
    passed: successes === trials,
    successes,
    trials: Array.from({ length: trials }, (_, i) => ({ ...t, passed: i < successes })),
    latency_ms: 0,
    usage: t.usage,
    cost_usd: 0,
  };
}

function runReport(results: CaseReport[]): RunReport {
  const passed = results.filter((r) => r.passed).length;
  return {
    kind: 'run',
    version: REPORT_VERSION,
    summary: {
      cases: results.length,
      passed,
      failed: results.length - passed,
      pass_rate: passed / results.length,
      trials: results[0]!.trials.length,
      pass_hat_k: {},
      model: 'offline',
      prompt: { name: 'system.v1', version: 'system.v1@x' },
      date: '2026-11-25T00:00:00Z',
      duration_ms: 0,
      latency_ms: latencyStats([]),
      usage: { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0 },
      cost_usd: 0,
      judge: { model: null, passed: 0, failed: 0, skipped: 0 },
      cache: { enabled: false, hits: 0, misses: 0 },
      regressions: [],
      fixes: [],
    },
    tags: {},
    results,
  };
}

describe('baseline', () => {
  it('regressed, fixed, flaky, unchanged, new and removed per case; a regression counts even when the rate went up', () => {
    const before = runReport([caseReport('a', 1), caseReport('b', 0), caseReport('c', 0), caseReport('d', 1), caseReport('gone', 1)]);
    const now = runReport([caseReport('a', 0), caseReport('b', 1), caseReport('c', 1), caseReport('d', 1), caseReport('e', 0)]);
    now.summary.pass_rate = 0.6;
    const b = applyBaseline(now, before, 'prev.json');
    expect(b).toMatchObject({ regressions: ['a'], fixes: ['b', 'c'], unchanged: ['d'], new: ['e'], removed: ['gone'] });
    expect(now.summary.regressions).toEqual(['a']);
    expect(now.summary.fixes).toEqual(['b', 'c']);
    expect(now.results.map((r) => r.baseline?.status)).toEqual(['regressed', 'fixed', 'fixed', 'unchanged', 'new']);
    expect(failingNewCases(now)).toEqual(['e']);
  });

  it('flaky: the verdict held but the trials disagreed; a case that passed all trials and now fails one is a regression', () => {
    const before = runReport([caseReport('x', 3, 3), caseReport('y', 1, 3)]);
    const now = runReport([caseReport('x', 2, 3), caseReport('y', 0, 3)]);
    applyBaseline(now, before, 'prev.json');
    expect(now.results.map((r) => r.baseline?.status)).toEqual(['regressed', 'flaky']);
  });
});

describe('response cache', () => {
  it('keys mask UUIDs (proposal ids) but not the rest', () => {
    const a = cacheKey({ m: 'proposal 1b4e28ba-2fa1-11d2-883f-0016d3cca427 ok' });
    expect(cacheKey({ m: 'proposal 6fa459ea-ee8a-3ca4-894e-db77e160355e ok' })).toBe(a);
    expect(cacheKey({ m: 'proposal 6fa459ea-ee8a-3ca4-894e-db77e160355e no' })).not.toBe(a);
  });

  it('stores and reads back, counting hits and misses', () => {
    const cache = openResponseCache(path.join(dir, 'cache'));
    expect(cache.get('ab12')).toBeUndefined();
    cache.set('ab12', { content: 'hi' });
    expect(cache.get('ab12')).toEqual({ content: 'hi' });
    expect(cache.stats).toEqual({ hits: 1, misses: 1 });
  });
});

describe('judge answers', () => {
  it('reads the verdict JSON, fenced or bare; anything else is unreadable', () => {
    expect(readVerdict('{"verdict":"pass","reason":"Explains the fee."}')).toEqual({ verdict: 'pass', reason: 'Explains the fee.' });
    expect(readVerdict('```json\n{"verdict": "fail", "reason": "No\\nfee."}\n```')).toEqual({ verdict: 'fail', reason: 'No fee.' });
    expect(readVerdict('pass')).toBeNull();
    expect(readVerdict('{"verdict":"maybe","reason":"?"}')).toBeNull();
  });
});
