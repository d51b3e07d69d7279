import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderHtmlReport } from '../../evals/html-report.js';
import { runEvals } from '../../evals/run.js';
import { REPORT_VERSION, type CaseReport, type CheckResult, type MatrixReport, type RunReport, type TokenUsage, type TurnReport } from '../../evals/report.js';
import { money } from '../../src/format/money.js';
import { projectPath } from '../../src/paths.js';
import { cardSchema, type Card } from '../../tools/cards.js';
import { describeWithBrowser, tempDir } from '../helpers/browser.js';
import { ARTIFACTS_DIR, launchBrowser, newPage } from '../helpers/e2e.js';

/**
 * The HTML eval report (evals/html-report.ts) opened from a file in headless Chromium: no console
 * errors (its CSP refuses anything but its own inline script and style, so a violation shows here),
 * case ids and a failing case's highlighted expectation on screen, the cards drawn by the widget's
 * code, the filters, the baseline diff, a matrix, and hostile text shown as text. Writes
 * docs/evals-report.png (the README's picture).
 */

// ---- a report written by hand: every part of the page, and text that must stay text ----

const HOSTILE = `<img src=x onerror="window.__pwned=1"></script><script>window.__pwned=2</script>`;
const NO_USAGE: TokenUsage = { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0 };
const usage = (i: number, o: number): TokenUsage => ({ input_tokens: i, output_tokens: o, cached_input_tokens: 0 });
const cad = (cents: number, locale: 'en-CA' | 'fr-CA' = 'en-CA') => money(BigInt(cents), 'CAD', locale);
const card = (c: unknown): Card => cardSchema.parse(c);

const balanceCard = (locale: 'en-CA' | 'fr-CA') =>
  card({
    type: 'balance',
    asOf: '2026-11-25',
    balance: cad(249496, locale),
    outstanding: cad(256996, locale),
    overdue: cad(171456, locale),
    overdueCount: 2,
    openCount: 4,
    unappliedCredits: cad(7500, locale),
    nextDueOn: '2026-12-05',
  });

const invoiceItem = (n: string, status: string, total: number, due: number) => ({
  invoiceNumber: n,
  issuedOn: '2026-10-01',
  dueOn: '2026-10-31',
  total: cad(total),
  amountDue: cad(due),
  status,
  statusLabel: status,
  url: `http://127.0.0.1:9/i/${n}?sig=abc`,
  payUrl: due > 0 ? `http://127.0.0.1:9/pay/${n}?sig=abc` : null,
});

const pass = (kind: string, expectation: string): CheckResult => ({ kind, expectation, verdict: 'pass' });

function turn(t: Partial<TurnReport> & Pick<TurnReport, 'user' | 'reply'>): TurnReport {
  const checks = t.checks ?? [];
  return {
    kind: 'user',
    tools: [],
    proposals: [],
    rejected: false,
    cards: [],
    failures: checks.filter((c) => c.verdict === 'fail').map((c) => `${c.kind}: ${c.reason ?? c.expectation}`),
    latency_ms: 42,
    usage: NO_USAGE,
    model_calls: 1,
    cache_hits: 0,
    ...t,
    checks,
  };
}

function caseReport(c: Partial<CaseReport> & Pick<CaseReport, 'id' | 'tags'> & { turns: TurnReport[] }): CaseReport {
  const passed = c.turns.every((t) => t.checks.every((x) => x.verdict !== 'fail'));
  const { turns, ...rest } = c;
  return {
    account: 'R10042',
    today: '2026-11-25',
    file: 'evals/cases/sample.yaml',
    passed,
    successes: passed ? 1 : 0,
    trials: [{ passed, turns, latency_ms: 42 * turns.length, usage: NO_USAGE }],
    latency_ms: 42 * turns.length,
    usage: NO_USAGE,
    cost_usd: 0,
    ...rest,
  };
}

const FAILED_EXPECTATION = 'reply_contains: "2,494.96"';

function sampleRun(opts: { hostile?: boolean } = {}): RunReport {
  const results: CaseReport[] = [
    caseReport({
      id: 'balance/seed-example',
      tags: ['balance', 'seed'],
      baseline: { status: 'unchanged', successes: 1, trials: 1 },
      turns: [
        turn({
          user: 'What is my current account balance?',
          reply: 'Your balance is **$2,494.96**: $2,569.96 on 4 open invoices, less a $75.00 credit.',
          tools: [{ name: 'getBalance', args: {} }],
          cards: [balanceCard('en-CA')],
          checks: [pass('tools_exact', 'tools_exact: [getBalance]'), pass('reply_contains', FAILED_EXPECTATION), pass('cards', 'cards: {"type":"balance"}')],
        }),
      ],
    }),
    caseReport({
      id: 'outstanding/list-open',
      tags: ['outstanding'],
      baseline: { status: 'regressed', successes: 1, trials: 1 },
      turns: [
        turn({
          user: 'List my outstanding invoices',
          reply: 'You have 4 open invoices:\n- IN7654320 overdue\n- IN7654321 due',
          tools: [{ name: 'listInvoices', args: { status: 'open', limit: 10 } }],
          cards: [
            card({
              type: 'invoice_list',
              title: 'Open invoices',
              items: [invoiceItem('IN7654320', 'overdue', 120000, 120000), invoiceItem('IN7654321', 'due', 85540, 85540)],
              total: cad(205540),
              more: false,
            }),
          ],
          checks: [
            pass('tools', 'tools: [{"name":"listInvoices","args":{"status":"open"}}]'),
            { kind: 'reply_contains', expectation: 'reply_contains: "2,569.96"', verdict: 'fail', reason: 'the reply does not contain "2,569.96"' },
          ],
        }),
      ],
    }),
    caseReport({
      id: 'fr-balance/quel-est-mon-solde',
      tags: ['fr', 'balance'],
      baseline: { status: 'fixed', successes: 0, trials: 1 },
      turns: [
        turn({
          user: 'Quel est mon solde ?',
          reply: 'Votre solde est de 2\u00a0494,96\u00a0$.',
          tools: [{ name: 'getBalance', args: {} }],
          cards: [balanceCard('fr-CA')],
          checks: [pass('tools_exact', 'tools_exact: [getBalance]'), pass('reply_contains', 'reply_contains: "2\u00a0494,96\u00a0$"')],
        }),
      ],
    }),
    caseReport({
      id: 'confirm/email-then-approve',
      tags: ['confirm', 'email'],
      baseline: { status: 'unchanged', successes: 1, trials: 1 },
      turns: [
        turn({
          user: 'Email invoice IN7654321 to ap@example.com',
          reply: 'I can email invoice IN7654321 to ap@example.com. Approve?',
          proposals: [{ name: 'emailInvoice', args: { invoiceNumber: 'IN7654321', to: 'ap@example.com' } }],
          cards: [
            card({
              type: 'confirm',
              proposalId: 'p_1',
              tool: 'emailInvoice',
              action: 'email_invoice',
              summary: 'Email invoice IN7654321 to ap@example.com.',
              invoiceNumber: 'IN7654321',
              to: 'ap@example.com',
              expiresAt: '2026-11-25T15:00:00.000Z',
            }),
          ],
          checks: [pass('proposed', 'proposed: [emailInvoice]')],
        }),
        turn({
          user: '[approve]',
          kind: 'approve',
          reply: 'Sent invoice IN7654321 to ap@example.com.',
          tools: [{ name: 'emailInvoice', args: { invoiceNumber: 'IN7654321', to: 'ap@example.com' } }],
          cards: [card({ type: 'email_receipt', invoiceNumber: 'IN7654321', to: 'ap@example.com', sentAt: '2026-11-25T14:05:00.000Z', status: 'sent', duplicate: false })],
          checks: [
            pass('tools', 'tools: [emailInvoice]'),
            { kind: 'judge', expectation: 'judge: says the invoice was sent and to whom', verdict: 'skipped', reason: 'no --judge-model', judge_model: null },
          ],
        }),
      ],
    }),
  ];
  // Hostile text in every place a run's text can go: ids, tags, the user's words, the reply, arguments.
  if (opts.hostile !== false) {
    results.push(
      caseReport({
        id: `security/${HOSTILE}`,
        tags: ['security', HOSTILE],
        baseline: { status: 'new', successes: null, trials: null },
        turns: [
          turn({
            user: HOSTILE,
            reply: `I can't do that. ${HOSTILE}`,
            tools: [{ name: 'lookupInvoice', args: { invoiceNumber: HOSTILE } }],
            checks: [pass('no_tools', 'no_tools: true')],
          }),
        ],
      }),
    );
  }
  const passedCount = results.filter((r) => r.passed).length;
  return {
    kind: 'run',
    version: REPORT_VERSION,
    summary: {
      cases: results.length,
      passed: passedCount,
      failed: results.length - passedCount,
      pass_rate: passedCount / results.length,
      trials: 1,
      pass_hat_k: { '1': passedCount / results.length },
      model: 'offline',
      prompt: { name: 'system', version: 'system@1a2b3c4d' },
      date: '2026-11-25T14:00:00.000Z',
      duration_ms: 2150,
      latency_ms: { p50: 38, p95: 61, p99: 64, mean: 41, count: 6 },
      usage: usage(0, 0),
      cost_usd: 0,
      judge: { model: null, passed: 0, failed: 0, skipped: 1 },
      cache: { enabled: false, hits: 0, misses: 0 },
      regressions: ['outstanding/list-open'],
      fixes: ['fr-balance/quel-est-mon-solde'],
    },
    tags: tagTable(results),
    results,
    baseline: {
      path: 'evals/results/main.json',
      date: '2026-11-24T14:00:00.000Z',
      model: 'offline',
      pass_rate: 0.75,
      regressions: ['outstanding/list-open'],
      fixes: ['fr-balance/quel-est-mon-solde'],
      flaky: [],
      unchanged: ['balance/seed-example', 'confirm/email-then-approve'],
      new: opts.hostile === false ? [] : [`security/${HOSTILE}`],
      removed: ['history/deleted-case'],
    },
  };
}

function tagTable(results: CaseReport[]): RunReport['tags'] {
  const tags: RunReport['tags'] = {};
  for (const r of results) {
    for (const t of r.tags) {
      tags[t] ??= { cases: 0, passed: 0 };
      tags[t].cases++;
      if (r.passed) tags[t].passed++;
    }
  }
  return tags;
}

/** Two combinations over the same cases: the second one fails the balance case. */
function sampleMatrix(): MatrixReport {
  const a = sampleRun();
  delete a.baseline;
  for (const r of a.results) delete r.baseline;
  const b: RunReport = structuredClone(a);
  b.summary.model = 'gpt-4.1-mini';
  const balance = b.results[0]!;
  balance.passed = false;
  balance.successes = 0;
  balance.trials[0]!.passed = false;
  balance.trials[0]!.turns[0]!.checks[1] = { kind: 'reply_contains', expectation: FAILED_EXPECTATION, verdict: 'fail', reason: 'the reply does not contain "2,494.96"' };
  b.summary.passed--;
  b.summary.failed++;
  b.summary.pass_rate = b.summary.passed / b.summary.cases;
  b.summary.pass_hat_k = { '1': b.summary.pass_rate };
  for (const r of [a, b]) r.summary = { ...r.summary, regressions: [], fixes: [] };
  b.tags = tagTable(b.results);
  const row = (r: RunReport) => ({
    model: r.summary.model,
    prompt: r.summary.prompt,
    cases: r.summary.cases,
    passed: r.summary.passed,
    pass_rate: r.summary.pass_rate,
    latency_ms: r.summary.latency_ms,
    usage: usage(12000, 800),
    cost_usd: r.summary.model === 'offline' ? 0 : 0.0034,
    regressions: [],
    fixes: [],
  });
  return { kind: 'matrix', version: REPORT_VERSION, date: '2026-11-25T14:00:00.000Z', duration_ms: 5000, rows: [row(a), row(b)], runs: [a, b] };
}

// ---- in the browser ----

/** What is on show: the visible cases' ids, in order. */
const visibleIds = (page: Page): Promise<string[]> =>
  page.$$eval('.run:not([hidden]) article.case', (els) => els.filter((e) => !(e as HTMLElement).hidden && (e as HTMLElement).offsetParent !== null).map((e) => (e as HTMLElement).dataset['id'] ?? ''));

describeWithBrowser('HTML eval report in Chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    browser = await launchBrowser();
    dir = tempDir('evals-html-');
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(name: string, htmlText: string, viewport?: { width: number; height: number }) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, htmlText);
    const page = await newPage(browser, viewport);
    // The widget's times (a receipt's sentAt) are in the browser's zone: the same picture everywhere.
    await page.emulateTimezone('America/Toronto');
    // Every CSP violation, recorded before any script of the page runs.
    await page.evaluateOnNewDocument(() => {
      const w = window as unknown as { __violations: string[] };
      w.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
    });
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('html[data-ready="true"]');
    return { page, requests };
  }

  const violations = (page: Page): Promise<string[]> => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);

  it('one self-contained file: summary, per-tag table, case ids, the failing expectation highlighted, cards drawn by the widget, no console errors, no request', async () => {
    const text = await renderHtmlReport(sampleRun());
    // Nothing to fetch: no src/href to anything but the page's own anchors.
    expect(text).not.toMatch(/\s(?:src|href)="(?!#)/);
    expect(text).toContain('Content-Security-Policy');
    const { page, requests } = await open('run.html', text);

    expect(await page.$eval('.summary .tile.bad .big', (e) => e.textContent)).toBe('80.0 %');
    // The per-tag table: one row per tag, failures counted.
    const tagRows = await page.$$eval('.tags tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('th, td')].slice(0, 4).map((c) => c.textContent?.trim())));
    expect(tagRows).toContainEqual(['outstanding', '1', '0', '1']);
    expect(tagRows).toContainEqual(['balance', '2', '2', '0']);

    // Case ids on screen, the regressed one first.
    const ids = await visibleIds(page);
    expect(ids).toHaveLength(5);
    expect(ids[0]).toBe('outstanding/list-open');
    for (const id of ['balance/seed-example', 'fr-balance/quel-est-mon-solde', 'confirm/email-then-approve']) {
      const idVisible = await page.$eval(`article.case[data-id="${id}"] .case-id`, (e) => (e as HTMLElement).offsetParent !== null && e.textContent);
      expect(idVisible).toBe(id);
    }

    // The failing case is open and its failed expectation is highlighted and in view when scrolled to.
    const failed = await page.$eval('article.case[data-id="outstanding/list-open"] .check-fail', (e) => {
      e.scrollIntoView();
      const r = e.getBoundingClientRect();
      const style = getComputedStyle(e);
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return { text: e.textContent?.replace(/\s+/g, ' ').trim(), background: style.backgroundColor, border: style.borderLeftColor, onTop: Boolean(hit && e.contains(hit)), height: r.height };
    });
    expect(failed.text).toContain('reply_contains: "2,569.96"');
    expect(failed.text).toContain('the reply does not contain');
    expect(failed.background).toBe('rgb(253, 232, 231)');
    expect(failed.border).toBe('rgb(180, 35, 24)');
    expect(failed.onTop).toBe(true);
    expect(failed.height).toBeGreaterThan(10);
    // The passing expectations of a passing case are not highlighted.
    expect(await page.$$eval('article.case[data-id="balance/seed-example"] .check-fail', (e) => e.length)).toBe(0);

    // Tool calls with their arguments.
    const call = await page.$eval('article.case[data-id="outstanding/list-open"] .calls.ran li', (li) => ({ name: li.querySelector('.tool')?.textContent, args: JSON.parse(li.querySelector('.args')?.textContent ?? 'null') }));
    expect(call).toEqual({ name: 'listInvoices', args: { status: 'open', limit: 10 } });
    expect(await page.$eval('article.case[data-id="confirm/email-then-approve"] .calls.proposed .tool', (e) => e.textContent)).toBe('emailInvoice');

    // The cards, drawn in the widget's shadow root by the widget's code, in the turn's language.
    const drawn = await page.$eval('article.case[data-id="outstanding/list-open"] .widget-view', (host) => {
      const root = host.shadowRoot!;
      return {
        invoices: [...root.querySelectorAll<HTMLElement>('article[data-invoice]')].map((a) => a.dataset['invoice']),
        pill: root.querySelector('.pill-overdue')?.textContent,
        pillColor: getComputedStyle(root.querySelector('.pill-overdue')!).backgroundColor,
        user: root.querySelector('.msg-user .bubble')?.textContent,
        listItem: root.querySelector('.msg-assistant .bubble li')?.textContent,
        links: root.querySelectorAll('a[href]').length,
      };
    });
    expect(drawn.invoices).toEqual(['IN7654320', 'IN7654321']);
    expect(drawn.pill).toBe('Overdue');
    expect(drawn.pillColor).toBe('rgb(253, 232, 231)');
    expect(drawn.user).toBe('List my outstanding invoices');
    expect(drawn.listItem).toBe('IN7654320 overdue');
    // The eval run's signed links lead nowhere now: shown, not followed.
    expect(drawn.links).toBe(0);
    // Passing cases are closed; opening one draws its turns.
    expect(await page.$eval('article.case[data-id="fr-balance/quel-est-mon-solde"] details', (d) => (d as HTMLDetailsElement).open)).toBe(false);
    for (const id of ['fr-balance/quel-est-mon-solde', 'confirm/email-then-approve']) await page.click(`article.case[data-id="${id}"] summary`);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('article.case[data-id="fr-balance/quel-est-mon-solde"] .widget-view, article.case[data-id="confirm/email-then-approve"] .widget-view')].every((h) => h.shadowRoot),
    );
    const french = await page.$eval('article.case[data-id="fr-balance/quel-est-mon-solde"] .widget-view', (host) => host.shadowRoot?.querySelector('.card-balance')?.textContent ?? '');
    expect(french).toContain('Solde');
    expect(french).toContain('2\u00a0494,96\u00a0$');
    const confirm = await page.$$eval('article.case[data-id="confirm/email-then-approve"] .widget-view', (hosts) =>
      hosts.map((host) => ({
        decision: host.shadowRoot?.querySelector('[data-role="decision"]')?.textContent ?? null,
        cards: [...(host.shadowRoot?.querySelectorAll('.cards > *') ?? [])].map((c) => c.className),
        text: host.shadowRoot?.querySelector('.cards')?.textContent ?? '',
      })),
    );
    expect(confirm.map((t) => t.cards)).toEqual([['card card-confirm'], ['card card-receipt']]);
    expect(confirm[1]?.decision).toBe('→ Approve');
    expect(confirm[1]?.text).toContain('ap@example.com');

    // Hostile text is text: nothing ran, no element was made from it.
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.$$eval('img', (e) => e.length)).toBe(0);
    expect(await page.$eval(`article.case[data-id^="security/"] .fallback-user, article.case[data-id^="security/"] .case-id`, (e) => e.textContent)).toContain('<img src=x');
    await page.click('article.case[data-id^="security/"] summary');
    await page.waitForFunction(() => Boolean(document.querySelector('article.case[data-id^="security/"] .widget-view')?.shadowRoot));
    const hostileTurn = await page.$eval('article.case[data-id^="security/"] .widget-view', (host) => host.shadowRoot?.querySelector('.msg-user .bubble')?.textContent);
    expect(hostileTurn).toBe(HOSTILE);

    // The baseline diff: its lists, the regressed case linked.
    const diff = await page.$$eval('.baseline .diff', (ds) => ds.map((d) => d.querySelector('summary')?.textContent?.replace(/\s+/g, ' ').trim()));
    expect(diff).toEqual(['Regressed (passed before, failing now) 1', 'Fixed (failed before, passing now) 1', 'New 1', 'Removed (in the baseline, not run now) 1', 'Unchanged 2']);
    expect(await page.$eval('.diff-regressed a', (a) => [a.textContent, document.querySelector(a.getAttribute('href')!)?.getAttribute('data-id')])).toEqual([
      'outstanding/list-open',
      'outstanding/list-open',
    ]);

    await page.waitForFunction(() => document.fonts.status === 'loaded');
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'evals-report-full.png'), fullPage: true });
    expect(requests).toEqual([]);
    expect(await violations(page)).toEqual([]);
    expect(page.errors).toEqual([]);

    // The policy is in force: the page cannot load anything, even from a script of its own.
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.src = 'http://127.0.0.1:9/beacon.png';
      document.body.append(img);
    });
    await page.waitForFunction(() => (window as unknown as { __violations: string[] }).__violations.length > 0);
    expect(await violations(page)).toEqual(['img-src http://127.0.0.1:9/beacon.png']);
    await page.close();
  });

  it('the filters: failing, regressed, tag (also from the per-tag table) and id', async () => {
    const { page } = await open('filters.html', await renderHtmlReport(sampleRun()));
    const count = () => page.$eval('#filter-count', (e) => e.textContent);
    expect(await count()).toBe('5 of 5 cases shown');

    await page.click('#filter-failing');
    expect(await visibleIds(page)).toEqual(['outstanding/list-open']);
    await page.click('#filter-failing');
    expect(await visibleIds(page)).toHaveLength(5);

    await page.click('#filter-regressed');
    expect(await visibleIds(page)).toEqual(['outstanding/list-open']);
    expect(await count()).toBe('1 of 5 cases shown');
    await page.click('#filter-regressed');

    await page.select('#filter-tag', 'balance');
    expect(await visibleIds(page)).toEqual(['balance/seed-example', 'fr-balance/quel-est-mon-solde']);
    // With failing on as well: no balance case fails, and the page says so.
    await page.click('#filter-failing');
    expect(await visibleIds(page)).toEqual([]);
    expect(await page.$eval('.run .no-match', (e) => (e as HTMLElement).hidden)).toBe(false);
    await page.click('#filter-failing');

    // A tag in the per-tag table filters by it.
    await page.click('.tags button[data-tag="confirm"]');
    expect(await page.$eval('#filter-tag', (e) => (e as HTMLSelectElement).value)).toBe('confirm');
    expect(await visibleIds(page)).toEqual(['confirm/email-then-approve']);
    await page.select('#filter-tag', '');

    await page.type('#filter-text', 'FR-bal');
    expect(await visibleIds(page)).toEqual(['fr-balance/quel-est-mon-solde']);

    // A passing case opens on click, and its turn is drawn then.
    await page.click('article.case[data-id="fr-balance/quel-est-mon-solde"] summary');
    await page.waitForFunction(() => Boolean(document.querySelector('article.case[data-id="fr-balance/quel-est-mon-solde"] .widget-view')?.shadowRoot));
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('a matrix: the combinations side by side, the differing case first, the picker shows each combination\'s cases', async () => {
    const { page, requests } = await open('matrix.html', await renderHtmlReport(sampleMatrix()));
    const rows = await page.$$eval('.matrix table.combos tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].slice(0, 4).map((c) => c.textContent?.trim())));
    expect(rows).toEqual([
      ['offline', 'system', '4/5', '80.0 %'],
      ['gpt-4.1-mini', 'system', '3/5', '60.0 %'],
    ]);
    const firstGridRow = await page.$eval('.matrix table.per-case tbody tr', (tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent?.trim()));
    expect(firstGridRow).toEqual(['balance/seed-example', '✓', '✗']);
    // Regressed needs a baseline: this run had none.
    expect(await page.$eval('#filter-regressed', (e) => (e as HTMLInputElement).disabled)).toBe(true);

    await page.click('#filter-failing');
    expect(await visibleIds(page)).toEqual(['outstanding/list-open']);
    await page.select('#run-picker', '1');
    expect(await visibleIds(page)).toEqual(['balance/seed-example', 'outstanding/list-open']);
    const highlighted = await page.$eval('.run:not([hidden]) article.case[data-id="balance/seed-example"] .check-fail .expectation', (e) => e.textContent);
    expect(highlighted).toBe(FAILED_EXPECTATION);
    expect(await page.$eval('.run:not([hidden]) .run-title', (e) => e.textContent)).toBe('gpt-4.1-mini · system');

    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'evals-report-matrix.png') });

    // A combination's model links to its cases.
    await page.click('.matrix table.combos tbody tr:first-child a');
    await page.waitForFunction(() => (document.querySelector('#run-picker') as HTMLSelectElement).value === '0');
    expect(await page.$eval('.run:not([hidden]) .run-title', (e) => e.textContent)).toBe('offline · system');
    // A grid cell links to that combination's case, switching the picker.
    await page.click('.matrix table.per-case tbody tr:first-child td:nth-child(3) a');
    await page.waitForFunction(() => (document.querySelector('#run-picker') as HTMLSelectElement).value === '1');
    expect(requests).toEqual([]);
    expect(await violations(page)).toEqual([]);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('a real run through runEvals --baseline --html: the regressed case (its baseline said passed) with its failed expectation, the real cards', async () => {
    const cases = path.join(dir, 'cases.yaml');
    fs.writeFileSync(
      cases,
      [
        'cases:',
        '  - id: html/balance-passes',
        '    account: R10042',
        '    tags: [balance]',
        '    turns:',
        '      - user: What is my current account balance?',
        '        expect: { tools: [getBalance], reply_contains: ["2,494.96"], cards: [{ type: balance }] }',
        '  - id: html/outstanding-fails-on-purpose',
        '    account: R10042',
        '    tags: [outstanding]',
        '    turns:',
        '      - user: List my outstanding invoices',
        '        expect: { tools: [listOutstanding], reply_contains: ["9,999.99"] }',
        '',
      ].join('\n'),
    );
    // A baseline (a report of the same shape) where both cases passed: the failing one is now a regression.
    const before = path.join(dir, 'before.json');
    const baseline = sampleRun();
    delete baseline.baseline;
    baseline.results = ['html/balance-passes', 'html/outstanding-fails-on-purpose'].map((id) => ({ ...baseline.results[0]!, id, baseline: undefined }));
    baseline.summary = { ...baseline.summary, cases: 2, passed: 2, failed: 0, pass_rate: 1, regressions: [], fixes: [] };
    fs.writeFileSync(before, JSON.stringify(baseline));
    const out = path.join(dir, 'real.html');
    const report = await runEvals({ cases, model: 'offline', trials: 1, quiet: true, baseline: before, html: out });
    expect(report.summary.regressions).toEqual(['html/outstanding-fails-on-purpose']);

    const { page, requests } = await open('real-opened.html', fs.readFileSync(out, 'utf8'));
    expect(await visibleIds(page)).toEqual(['html/outstanding-fails-on-purpose', 'html/balance-passes']);
    await page.click('#filter-regressed');
    expect(await visibleIds(page)).toEqual(['html/outstanding-fails-on-purpose']);
    // One expectation failed (the reply), the tool call passed.
    expect(await page.$$eval('article.case[data-id="html/outstanding-fails-on-purpose"] .check', (els) => els.map((e) => (e as HTMLElement).dataset['verdict']))).toEqual(['pass', 'fail']);
    const failedCheck = await page.$eval('article.case[data-id="html/outstanding-fails-on-purpose"] .check-fail', (e) => ({
      text: e.textContent?.replace(/\s+/g, ' ') ?? '',
      visible: (e as HTMLElement).offsetParent !== null && e.getBoundingClientRect().height > 0,
      background: getComputedStyle(e).backgroundColor,
    }));
    expect(failedCheck.text).toContain('9,999.99');
    expect(failedCheck.visible).toBe(true);
    expect(failedCheck.background).toBe('rgb(253, 232, 231)');
    // The offline engine's real answer: its invoice cards, drawn by the widget's code.
    const invoices = await page.$eval('article.case[data-id="html/outstanding-fails-on-purpose"] .widget-view', (host) =>
      [...(host.shadowRoot?.querySelectorAll<HTMLElement>('article[data-invoice]') ?? [])].map((a) => a.dataset['invoice']),
    );
    expect(invoices.length).toBeGreaterThan(0);
    expect(await page.$eval('article.case[data-id="html/outstanding-fails-on-purpose"] .calls.ran .tool', (e) => e.textContent)).toBe('listOutstanding');
    expect(requests).toEqual([]);
    expect(await violations(page)).toEqual([]);
    expect(page.errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('docs/evals-report.png: the report at desktop size, the regressed case first', async () => {
    const { page } = await open('shot.html', await renderHtmlReport(sampleRun({ hostile: false }), { title: 'Evals: offline, 3/4 passed' }), { width: 1280, height: 1360 });
    await page.waitForFunction(() => document.fonts.status === 'loaded');
    await page.screenshot({ path: projectPath('docs/evals-report.png') });
    expect(page.errors).toEqual([]);
    await page.close();
  });
});
