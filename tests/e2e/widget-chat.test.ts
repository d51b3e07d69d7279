import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { describeWithBrowser } from '../helpers/browser.js';
import { freshDatabase } from '../helpers/db.js';
import {
  artifactPath,
  ask,
  launchBrowser,
  newPage,
  openWidget,
  runAxe,
  serious,
  signInWithCookie,
  slowOfflineModel,
  startE2eApp,
  W,
  waitForAnswers,
  widgetState,
  type E2eApp,
} from '../helpers/e2e.js';

/**
 * The widget on the portal dashboard, in a real browser, against the real chat API. The model is
 * the offline engine slowed to a real model's pace (its text streams word by word), so the tests
 * can watch a reply stream and stop it half-way. Must-show 2, 3 and the widget half of 5.
 */

const T = 90_000;
const OUTSTANDING = ['IN7654323', 'IN7654320', 'IN7654321', 'IN7654322'];

describeWithBrowser('widget on the portal (browser)', () => {
  let database: Database;
  let e2e: E2eApp;
  let browser: Browser;
  const model = slowOfflineModel(60);

  beforeAll(async () => {
    database = await freshDatabase();
    e2e = await startE2eApp({ database, model });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await e2e?.close();
    await database?.close();
  });

  /** A signed-in dashboard in a fresh browser context (its own localStorage). */
  async function dashboard(account = 'R10042'): Promise<Page & { errors: string[] }> {
    const context = await browser.createBrowserContext();
    const page = await newPage(context as unknown as Browser);
    await signInWithCookie(page, e2e, account);
    await page.goto(`${e2e.baseUrl}/portal/billing`);
    await page.waitForSelector(W.launcher, { visible: true });
    return page;
  }

  it(
    'streams the reply to "List my outstanding invoices" with four invoice cards; Pay on IN7654321 opens its pay page',
    async () => {
      const page = await dashboard();
      await openWidget(page);
      // First use: the four commands of the product brief.
      expect((await widgetState(page)).suggestions).toEqual([
        'What is my current account balance?',
        'Show me invoice IN7654321',
        'List my outstanding invoices',
        'Email a PDF copy of IN7654321 to accounting@mycompany.com',
      ]);

      await ask(page, 'List my outstanding invoices');
      // Watch the reply arrive: tool progress, then partial text growing, then the final answer.
      const seen = new Set<string>();
      const progress = new Set<string>();
      for (const started = Date.now(); Date.now() - started < 30_000; ) {
        const a = (await widgetState(page)).messages.filter((m) => m.role === 'assistant').at(-1);
        if (a) {
          a.progress.forEach((p) => progress.add(p));
          if (a.busy === 'true' && a.text) seen.add(a.text);
          if (a.busy === 'false') break;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(progress).toContain('Finding your outstanding invoices…');
      expect(seen.size, 'partial texts seen while streaming').toBeGreaterThanOrEqual(3);
      const [answer] = await waitForAnswers(page, 1);
      for (const partial of seen) expect(answer!.text.startsWith(partial.trimEnd())).toBe(true);
      expect(answer!.text).toContain('IN7654321');
      expect(answer!.invoices).toEqual(OUTSTANDING);
      expect((await widgetState(page)).suggestions).toEqual([]);

      // Links come from the card (server-minted), not from the text.
      const links = await page.$$eval('billing-assistant >>> article[data-invoice="IN7654321"] a', (as) =>
        as.map((a) => ({ text: a.textContent, label: a.getAttribute('aria-label'), href: (a as HTMLAnchorElement).href })),
      );
      expect(links.map((l) => [l.text, l.label])).toEqual([
        ['View', 'View invoice IN7654321'],
        ['Pay', 'Pay invoice IN7654321'],
      ]);
      expect(links[1]!.href).toMatch(new RegExp(`^${e2e.baseUrl}/pay/v1\\.`));
      await page.screenshot({ path: artifactPath('widget-outstanding.png') });

      const pay = await page.waitForSelector('billing-assistant >>> article[data-invoice="IN7654321"] a.btn-primary', { visible: true });
      await Promise.all([page.waitForNavigation(), pay!.click()]);
      expect(new URL(page.url()).pathname).toMatch(/^\/pay\/v1\./);
      expect(await page.$eval('h1', (h) => h.textContent)).toContain('Invoice IN7654321');
      expect(await page.content()).toContain('$1,234.56');
      expect(page.errors).toEqual([]);

      // Back on the portal (a new page load): the conversation is still there.
      await page.goto(`${e2e.baseUrl}/portal/billing/invoices`);
      await page.waitForFunction(() => (document.querySelector('billing-assistant')?.shadowRoot?.querySelectorAll('.msg').length ?? 0) >= 2);
      const after = await widgetState(page);
      expect(after.open).toBe(true);
      expect(after.messages.map((m) => [m.role, m.role === 'user' ? m.text : m.invoices.join(',')])).toEqual([
        ['user', 'List my outstanding invoices'],
        ['assistant', OUTSTANDING.join(',')],
      ]);
      expect(after.messages[1]!.text).toBe(answer!.text);
      await page.browserContext().close();
    },
    T,
  );

  it(
    'Stop really stops a reply mid-stream; the next message works; after a reload the history shows the stored answer',
    async () => {
      const page = await dashboard();
      await openWidget(page);
      model.delayMs = 150;
      await ask(page, 'What is my current account balance?');
      // Wait for a few words, then stop.
      await page.waitForFunction(
        () => {
          const m = [...(document.querySelector('billing-assistant')?.shadowRoot?.querySelectorAll('.msg-assistant .bubble') ?? [])].at(-1);
          return (m?.textContent ?? '').split(' ').length >= 4;
        },
        { polling: 20 },
      );
      const stop = await page.waitForSelector(W.stop, { visible: true });
      await stop!.click();
      await page.waitForFunction(() => document.querySelector('billing-assistant')?.shadowRoot?.querySelector('.msg-assistant[data-state="stopped"]') !== null);
      const stopped = (await widgetState(page)).messages.at(-1)!;
      expect(stopped.state).toBe('stopped');
      expect(stopped.notes).toEqual(['Stopped. The reply above is incomplete.']);
      expect(stopped.text.length).toBeGreaterThan(0);
      // Really stopped: nothing more arrives while the server finishes the turn.
      await new Promise((r) => setTimeout(r, 1200));
      expect((await widgetState(page)).messages.at(-1)!.text).toBe(stopped.text);
      // Stop is gone, Send is back, focus is in the composer.
      expect(await page.$eval(W.send, (b) => (b as HTMLElement).hidden)).toBe(false);
      expect(await page.$eval(W.stop, (b) => (b as HTMLElement).hidden)).toBe(true);
      expect(await page.evaluate(() => document.querySelector('billing-assistant')?.shadowRoot?.activeElement?.tagName)).toBe('TEXTAREA');

      model.delayMs = 10;
      await ask(page, 'Show me invoice IN7654321');
      const answers = await waitForAnswers(page, 2);
      expect(answers[1]!.state).toBe('complete');
      expect(answers[1]!.invoices).toEqual(['IN7654321']);
      expect(answers[1]!.text).toContain('1,234.56');

      // The server finished and stored the stopped turn: after a reload it is there in full.
      let history: Awaited<ReturnType<typeof widgetState>>['messages'] = [];
      for (let i = 0; i < 20; i++) {
        await page.reload();
        await page.waitForFunction(() => (document.querySelector('billing-assistant')?.shadowRoot?.querySelectorAll('.msg').length ?? 0) >= 2);
        history = (await widgetState(page)).messages;
        if (history.length >= 4) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      const q = history.findIndex((m) => m.text === 'What is my current account balance?');
      expect(q).toBeGreaterThanOrEqual(0);
      const full = history[q + 1]!;
      expect(full.role).toBe('assistant');
      expect(full.text.startsWith(stopped.text.trimEnd())).toBe(true);
      expect(full.text.length).toBeGreaterThan(stopped.text.length);
      expect(full.text).toContain('$2,494.96');
      expect(full.cardTypes).toEqual(['card card-balance']);
      expect(history.filter((m) => m.role === 'user').map((m) => m.text).sort()).toEqual(['Show me invoice IN7654321', 'What is my current account balance?']);
      expect(page.errors).toEqual([]);
      await page.browserContext().close();
    },
    T,
  );

  it(
    'retries a send whose connection failed, and recovers a dropped stream from the history without sending twice',
    async () => {
      const page = await dashboard();
      await openWidget(page);
      model.delayMs = 10;

      // 1. The first POST of the message never gets an answer (connection reset): the widget looks
      //    at the history, sees the message did not arrive, and sends it again.
      await page.setRequestInterception(true);
      let failed = 0;
      page.on('request', (req) => {
        if (req.isInterceptResolutionHandled()) return;
        if (req.method() === 'POST' && /\/messages$/.test(req.url()) && failed === 0) {
          failed++;
          void req.abort('connectionreset');
        } else void req.continue();
      });
      await ask(page, 'What is my current account balance?');
      let answers = await waitForAnswers(page, 1);
      expect(failed).toBe(1);
      expect(answers[0]!.state).toBe('complete');
      expect(answers[0]!.text).toContain('$2,494.96');

      // 2. The stream drops mid-answer (the server side of the connection is cut: Chromium's
      //    offline mode does not reliably end a streaming fetch that is already open): the server
      //    still finishes the turn; the widget fetches it from the history instead of sending the
      //    message again.
      const failedStreams: string[] = [];
      page.on('requestfailed', (req) => {
        if (req.method() === 'POST' && /\/messages$/.test(req.url())) failedStreams.push(req.failure()?.errorText ?? 'failed');
      });
      model.delayMs = 120;
      await ask(page, 'List my outstanding invoices');
      await page.waitForFunction(
        () => {
          const m = [...(document.querySelector('billing-assistant')?.shadowRoot?.querySelectorAll('.msg-assistant .bubble') ?? [])].at(-1);
          return (m?.textContent ?? '').length > 0;
        },
        { polling: 20 },
      );
      e2e.app.server.closeAllConnections();
      answers = await waitForAnswers(page, 2, 40_000);
      expect(failedStreams.length, 'the reply stream was cut').toBe(1);
      expect(answers[1]!.state).toBe('complete');
      expect(answers[1]!.invoices).toEqual(OUTSTANDING);

      const convId = await page.evaluate(() => Object.entries(localStorage).find(([k]) => k.endsWith(':conversation'))?.[1]);
      const token = await e2e.token('R10042');
      const res = await fetch(`${e2e.baseUrl}/v1/chat/conversations/${convId}/messages`, { headers: { authorization: `Bearer ${token}` } });
      const { messages } = (await res.json()) as { messages: Array<{ role: string; text: string }> };
      expect(messages.filter((m) => m.role === 'user').map((m) => m.text)).toEqual(['What is my current account balance?', 'List my outstanding invoices']);
      await page.browserContext().close();
    },
    T,
  );

  it(
    'is usable by keyboard: Enter on the launcher opens it with focus in the composer, Escape closes it and focus returns to the launcher',
    async () => {
      const page = await dashboard();
      const focused = () => page.evaluate(() => {
        const host = document.activeElement;
        const inner = host?.shadowRoot?.activeElement;
        return inner ? `${host!.tagName.toLowerCase()} > ${inner.tagName.toLowerCase()}.${inner.className}` : (host?.tagName.toLowerCase() ?? '');
      });
      await page.focus(W.launcher);
      expect(await page.$eval(W.launcher, (b) => b.getAttribute('aria-expanded'))).toBe('false');
      await page.keyboard.press('Enter');
      await page.waitForSelector(W.panel, { visible: true });
      expect(await focused()).toBe('billing-assistant > textarea.');
      expect(await page.$eval(W.launcher, (b) => b.getAttribute('aria-expanded'))).toBe('true');
      // Tab order from the composer: Send, then out of the panel to the launcher.
      await page.keyboard.press('Tab');
      expect(await focused()).toBe('billing-assistant > button.send');
      // Suggestions are buttons; the first is reachable backwards from the composer.
      await page.keyboard.down('Shift');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await page.keyboard.up('Shift');
      expect(await focused()).toBe('billing-assistant > button.chip');
      await page.keyboard.press('Escape');
      await page.waitForSelector(W.panel, { hidden: true });
      expect(await focused()).toBe('billing-assistant > button.launcher');
      expect(await page.$eval(W.launcher, (b) => b.getAttribute('aria-expanded'))).toBe('false');
      // Labels and the live region screen readers rely on.
      const a11y = await page.evaluate(() => {
        const root = document.querySelector('billing-assistant')!.shadowRoot!;
        return {
          dialog: root.querySelector('.panel')?.getAttribute('aria-labelledby'),
          title: root.getElementById('ba-title')?.textContent,
          log: [root.querySelector('.log')?.getAttribute('role'), root.querySelector('.log')?.getAttribute('aria-live')],
          input: root.querySelector('label[for="ba-input"]')?.textContent,
          buttons: [...root.querySelectorAll('button')].map((b) => b.getAttribute('aria-label') ?? b.textContent),
        };
      });
      expect(a11y).toEqual({
        dialog: 'ba-title',
        title: 'Billing Assistant',
        log: ['log', 'polite'],
        input: 'Message to the billing assistant',
        buttons: [
          'Start a new conversation',
          'Close the billing assistant',
          'What is my current account balance?',
          'Show me invoice IN7654321',
          'List my outstanding invoices',
          'Email a PDF copy of IN7654321 to accounting@mycompany.com',
          'Send message',
          'Stop the reply',
          'Billing Assistant',
        ],
      });
      await page.browserContext().close();
    },
    T,
  );

  it(
    'axe finds no serious or critical violations with the widget open and answering (cards included)',
    async () => {
      const page = await dashboard();
      await openWidget(page);
      model.delayMs = 0;
      expect(serious(await runAxe(page)), 'empty widget').toEqual([]);
      await ask(page, 'What is my current account balance?');
      await waitForAnswers(page, 1);
      await ask(page, 'List my outstanding invoices');
      await waitForAnswers(page, 2);
      await ask(page, 'Show my payments and credits');
      await waitForAnswers(page, 3);
      const violations = await runAxe(page);
      expect(serious(violations), JSON.stringify(violations, null, 1)).toEqual([]);
      await page.screenshot({ path: artifactPath('widget-a11y.png') });
      await page.browserContext().close();
    },
    T,
  );
});
