import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { buildApp } from '../../src/app.js';
import type { ChatModel, ModelRequest, ModelResponse } from '../../src/agent/types.js';
import { createOfflineModel } from '../../src/agent/offline/engine.js';
import { fixedClock } from '../../src/billing/dates.js';
import { FIXTURE_ACCOUNTS } from '../../src/billing/fixture.js';
import { testConfig, type Config } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import { signSessionToken } from '../../src/identity/session.js';
import { projectPath } from '../../src/paths.js';
import { PORTAL_COOKIE } from '../../src/web/portal/session.js';
import { CHROMIUM } from './browser.js';
import { TEST_TODAY } from './constants.js';

/**
 * Browser (e2e) test support: the app listening on a real port, a headless system Chromium
 * through puppeteer-core, and helpers for the portal pages and the widget in its shadow root.
 * Chromium is resolved by tests/helpers/browser.ts (CHROMIUM_PATH, PUPPETEER_EXECUTABLE_PATH,
 * then the usual paths); suites use its describeWithBrowser (fails under CI when missing, loud
 * "did not run" banner otherwise). Nothing here imports vitest, so scripts can use it too.
 */

export const ARTIFACTS_DIR = projectPath('test-artifacts');

export const BROWSER_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
  '--no-default-browser-check',
  '--font-render-hinting=none',
];

export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM.ok) throw new Error(CHROMIUM.message);
  return puppeteer.launch({ executablePath: CHROMIUM.path, headless: true, args: BROWSER_ARGS });
}

/** A free TCP port on 127.0.0.1 (the app must know its own URL before it starts: signed links). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface E2eApp {
  app: FastifyInstance;
  config: Config;
  baseUrl: string;
  /** A portal token (the JWT the cookie and the widget carry) for a fixture account's user. */
  token(accountId: string): Promise<string>;
  close(): Promise<void>;
}

/** The app over `database`, listening on 127.0.0.1 with PUBLIC_BASE_URL pointing at itself. */
export async function startE2eApp(opts: { database: Database; env?: Record<string, string>; model?: ChatModel; port?: number }): Promise<E2eApp> {
  for (let attempt = 0; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const baseUrl = `http://127.0.0.1:${port}`;
    const config = testConfig({
      FIXED_TODAY: TEST_TODAY,
      PORT: String(port),
      PUBLIC_BASE_URL: baseUrl,
      CHAT_RATE_LIMIT_PER_MINUTE: '1000',
      // A browser test loads many pages from one address within a minute, and each page load asks
      // for /widget.js and the widget's messages (public, per IP); the limits have their own tests.
      RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
      RATE_LIMIT_READS_PER_MINUTE: '100000',
      // A tool's first PDF launches Chromium: slow on a loaded machine (timeouts have their own tests).
      AGENT_TOOL_TIMEOUT_MS: '60000',
      ...opts.env,
    });
    const app = await buildApp({ config, database: opts.database, clock: fixedClock(TEST_TODAY), ...(opts.model ? { model: opts.model } : {}) });
    try {
      await app.listen({ host: '127.0.0.1', port });
    } catch (err) {
      await app.close();
      // Another process took the port between picking and listening: pick again.
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5 && !opts.port) continue;
      throw err;
    }
    return {
      app,
      config,
      baseUrl,
      token: (accountId) => {
        const fx = FIXTURE_ACCOUNTS.find((a) => a.id === accountId);
        return signSessionToken(config, { accountId, userId: fx?.user ?? `user@${accountId.toLowerCase()}.test`, userName: fx?.userName ?? null });
      },
      close: () => app.close(),
    };
  }
}

/**
 * A tiny static server for a host page on another origin (the widget embedded elsewhere). `pages`
 * is read on every request, so it may be filled in after the server has started.
 */
export async function startHostServer(pages: Record<string, string>, port?: number): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const body = pages[(req.url ?? '/').split('?')[0] ?? '/'];
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    const type = req.url?.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/html; charset=utf-8';
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(port ?? 0, '127.0.0.1', resolve));
  const p = (server.address() as net.AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${p}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A new page with a desktop viewport that records console errors and uncaught exceptions. */
export async function newPage(browser: Browser, viewport = { width: 1280, height: 860 }): Promise<Page & { errors: string[]; warnings: string[] }> {
  const page = (await browser.newPage()) as Page & { errors: string[]; warnings: string[] };
  page.errors = [];
  page.warnings = [];
  await page.setViewport(viewport);
  page.on('pageerror', (err) => page.errors.push(`pageerror: ${err instanceof Error ? err.message : String(err)}`));
  page.on('console', (msg) => {
    // Failed loads are reported below with their URL.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) page.errors.push(`console: ${msg.text()}`);
    // Kept apart (not failures): what a test prints when something it waits for never comes.
    if (msg.type() === 'warn') page.warnings.push(`console.warn: ${msg.text()}`);
  });
  page.on('response', (res) => {
    // Browsers ask every origin for /favicon.ico; pages we don't own (the pay page) may not have one.
    if (res.status() >= 400 && new URL(res.url()).pathname !== '/favicon.ico') page.errors.push(`http ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  page.setDefaultTimeout(15_000);
  return page;
}

/** Signs the page in as a fixture account by setting the portal cookie directly. */
export async function signInWithCookie(page: Page, e2e: E2eApp, accountId: string): Promise<string> {
  const token = await e2e.token(accountId);
  await page.setCookie({ name: PORTAL_COOKIE, value: token, url: `${e2e.baseUrl}/portal`, path: '/portal', httpOnly: true, sameSite: 'Lax' });
  return token;
}

// ---- the widget ---------------------------------------------------------------------------

// Waits on these selectors pass { visible: true } or { hidden: true }. Puppeteer polls a `>>>`
// selector with a MutationObserver on the document, which never sees a change inside the widget's
// shadow root: a plain wait that starts before the change waits until its timeout (CI saw the panel
// open and the wait still time out). visible/hidden make it poll on animation frames instead.
// tests/unit/e2e-waits.test.ts holds every test file to that.
export const W = {
  launcher: 'billing-assistant >>> .launcher',
  panel: 'billing-assistant >>> .panel',
  input: 'billing-assistant >>> #ba-input',
  stop: 'billing-assistant >>> .stop',
  send: 'billing-assistant >>> .send',
};

export interface WidgetMessage {
  role: string;
  text: string;
  state: string | null;
  busy: string | null;
  invoices: string[];
  cardTypes: string[];
  progress: string[];
  notes: string[];
}

/** What the widget shows, read from its shadow root. */
export function widgetState(page: Page): Promise<{ open: boolean; suggestions: string[]; messages: WidgetMessage[] }> {
  return page.evaluate(() => {
    const root = document.querySelector('billing-assistant')?.shadowRoot;
    if (!root) return { open: false, suggestions: [], messages: [] };
    const panel = root.querySelector<HTMLElement>('.panel');
    return {
      open: Boolean(panel && !panel.hidden),
      suggestions: [...root.querySelectorAll('.suggestions .chip')].map((b) => b.textContent ?? ''),
      messages: [...root.querySelectorAll<HTMLElement>('.msg')].map((m) => ({
        role: m.dataset['role'] ?? '',
        text: m.querySelector('.bubble')?.textContent ?? '',
        state: m.getAttribute('data-state'),
        busy: m.getAttribute('aria-busy'),
        invoices: [...m.querySelectorAll<HTMLElement>('article[data-invoice]')].map((a) => a.dataset['invoice'] ?? ''),
        cardTypes: [...m.querySelectorAll<HTMLElement>('.cards > *')].map((c) => c.className),
        progress: [...m.querySelectorAll('.progress li')].map((l) => l.textContent ?? ''),
        // The answer's notes, not the thumbs-down form's status line.
        notes: [...m.querySelectorAll('.note:not(.fb *)')].map((n) => n.textContent ?? ''),
      })),
    };
  });
}

export async function openWidget(page: Page): Promise<void> {
  const state = await widgetState(page);
  if (state.open) return;
  const launcher = await page.waitForSelector(W.launcher, { visible: true });
  await launcher!.click();
  await page.waitForSelector(W.panel, { visible: true });
}

/** Types a message in the widget and sends it with Enter. */
export async function ask(page: Page, text: string): Promise<void> {
  const input = await page.waitForSelector(W.input, { visible: true });
  await input!.click();
  await input!.type(text);
  await page.keyboard.press('Enter');
}

/** Waits until the widget shows `count` assistant messages that are no longer streaming. */
export async function waitForAnswers(page: Page, count: number, timeout = 20_000): Promise<WidgetMessage[]> {
  await page.waitForFunction(
    (n) => {
      const root = document.querySelector('billing-assistant')?.shadowRoot;
      const done = root ? [...root.querySelectorAll('.msg-assistant')].filter((m) => m.getAttribute('aria-busy') === 'false') : [];
      return done.length >= n;
    },
    { timeout, polling: 50 },
    count,
  );
  return (await widgetState(page)).messages.filter((m) => m.role === 'assistant');
}

// ---- models -------------------------------------------------------------------------------

/**
 * The offline engine, but its text streams word by word with a delay (a real model's pace), so
 * tests can watch a reply arrive and stop it half-way. `delayMs` may be changed between turns.
 */
export function slowOfflineModel(delayMs = 80): ChatModel & { delayMs: number; turns: number } {
  const inner = createOfflineModel({ today: () => TEST_TODAY });
  const model = {
    id: 'offline-slow',
    delayMs,
    turns: 0,
    async respond(req: ModelRequest, onTextDelta?: (t: string) => void): Promise<ModelResponse> {
      const pieces: string[] = [];
      const res = await inner.respond(req, (t) => pieces.push(t));
      const words = pieces.join('').match(/\s*\S+\s*/g) ?? [];
      for (const w of words) {
        await new Promise((r) => setTimeout(r, model.delayMs));
        onTextDelta?.(w);
      }
      if (res.toolCalls.length === 0) model.turns++;
      return res;
    },
  };
  return model;
}

// ---- accessibility --------------------------------------------------------------------------

const AXE_SOURCE = fs.readFileSync(path.join(projectPath('node_modules'), 'axe-core', 'axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * Runs axe-core (WCAG 2.x A/AA rules plus best practices) in the page, shadow DOM included.
 * The source is evaluated through the DevTools protocol, so the page's CSP (script-src 'self')
 * does not block it.
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Array<{ id: string; impact?: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.map((n) => `${JSON.stringify(n.target)} ${(n as { failureSummary?: string }).failureSummary ?? ''}`),
    }));
  });
}

export const serious = (v: AxeViolation[]) => v.filter((x) => x.impact === 'serious' || x.impact === 'critical');

export function artifactPath(name: string): string {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return path.join(ARTIFACTS_DIR, name);
}
