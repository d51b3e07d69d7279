import type { Browser, BrowserContext, HTTPRequest, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { describeWithBrowser } from '../helpers/browser.js';
import { freshDatabase } from '../helpers/db.js';
import { artifactPath, ask, launchBrowser, newPage, openWidget, signInWithCookie, startE2eApp, W, waitForAnswers, widgetState, type E2eApp } from '../helpers/e2e.js';

/**
 * The Payments issue's demo item 1 in a real browser: ask the widget to pay IN7654321, pay in the
 * sandbox in another tab, and the open widget's card turns Paid without a reload (through the
 * conversation's live stream, GET /v1/chat/conversations/:id/events); the next balance answer,
 * the portal and the API agree. Then the stream's life cycle: not held for a panel never opened,
 * let go when the panel closes or the widget goes, reconnected (and caught up) after a drop,
 * given up on a 401.
 */

const T = 120_000;
const EVENTS = /\/v1\/chat\/conversations\/[^/]+\/events$/;
const INVOICE_API = /\/v1\/billing\/invoices\/[^/?]+$/;

type TrackedPage = Page & { errors: string[] };

/** The widget's view of one invoice card (the first one in the log with that number). */
function invoiceCard(page: Page, number: string) {
  return page.evaluate((n) => {
    const root = document.querySelector('billing-assistant')?.shadowRoot;
    const card = [...(root?.querySelectorAll<HTMLElement>('article[data-invoice]') ?? [])].find((a) => a.dataset['invoice'] === n);
    if (!card) return null;
    const pay = card.querySelector<HTMLElement>('a[data-action="pay"]');
    return {
      status: card.dataset['status'] ?? null,
      label: card.querySelector('.pill')?.textContent ?? null,
      pillClass: card.querySelector('.pill')?.className ?? null,
      amountDue: card.querySelector('[data-field="amount-due"]')?.textContent ?? null,
      payShown: pay ? pay.offsetParent !== null : null,
      viewShown: (card.querySelector<HTMLElement>('a[data-action="view"]')?.offsetParent ?? null) !== null,
    };
  }, number);
}

/** Waits until every card of `number` in the widget shows `status`. */
async function waitForCardStatus(page: Page, number: string, status: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    (n, s) => {
      const cards = [...(document.querySelector('billing-assistant')?.shadowRoot?.querySelectorAll<HTMLElement>('article[data-invoice]') ?? [])].filter((a) => a.dataset['invoice'] === n);
      return cards.length > 0 && cards.every((a) => a.dataset['status'] === s);
    },
    { timeout, polling: 50 },
    number,
    status,
  );
}

const liveRegion = (page: Page) => page.evaluate(() => document.querySelector('billing-assistant')?.shadowRoot?.querySelector('p.sr-only[role="status"]')?.textContent ?? '');

/** Records the page's live-stream and invoice look-up requests. */
function trackRequests(page: Page) {
  const seen = { events: [] as HTTPRequest[], invoiceLookups: [] as string[] };
  page.on('request', (req) => {
    const path = new URL(req.url()).pathname;
    if (req.method() === 'GET' && EVENTS.test(path)) seen.events.push(req);
    if (req.method() === 'GET' && INVOICE_API.test(path)) seen.invoiceLookups.push(path);
  });
  return seen;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeout = 15_000): Promise<void> {
  for (const started = Date.now(); ; ) {
    if (await check()) return;
    if (Date.now() - started > timeout) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeWithBrowser('paying from the widget (browser)', () => {
  let database: Database;
  let e2e: E2eApp;
  let browser: Browser;

  beforeAll(async () => {
    database = await freshDatabase();
    e2e = await startE2eApp({ database });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await e2e?.close();
    await database?.close();
  }, T);

  /** Open chat streams the server holds for an account (one per listening widget). */
  const streams = (account = 'R10042') => e2e.app.services.payments.bus.listenerCount(account);

  async function dashboard(context: BrowserContext, account = 'R10042'): Promise<TrackedPage> {
    const page = await newPage(context as unknown as Browser);
    await signInWithCookie(page, e2e, account);
    await page.goto(`${e2e.baseUrl}/portal/billing`);
    await page.waitForSelector(W.launcher, { visible: true });
    return page;
  }

  it(
    'demo: "Pay invoice IN7654321", pay in the sandbox in another tab, and the open widget shows Paid without reloading; balance $1,260.40; portal and API say Paid',
    async () => {
      const context = await browser.createBrowserContext();
      const page = await dashboard(context);
      const seen = trackRequests(page);
      expect(streams()).toBe(0);

      await openWidget(page);
      await ask(page, 'Pay invoice IN7654321');
      const [answer] = await waitForAnswers(page, 1);
      expect(answer!.state).toBe('complete');
      expect(answer!.invoices).toContain('IN7654321');
      expect(await invoiceCard(page, 'IN7654321')).toEqual({
        status: 'overdue',
        label: 'Overdue',
        pillClass: 'pill pill-overdue',
        amountDue: '$1,234.56',
        payShown: true,
        viewShown: true,
      });
      const payHref = await page.$eval('billing-assistant >>> article[data-invoice="IN7654321"] a[data-action="pay"]', (a) => (a as HTMLAnchorElement).href);
      expect(payHref).toMatch(new RegExp(`^${e2e.baseUrl}/pay/v1\\.`));

      // The widget listens to its conversation (one stream, the page's own token).
      await until('the live stream', () => streams() === 1);
      expect(seen.events).toHaveLength(1);
      expect(seen.events[0]!.headers()['authorization']).toMatch(/^Bearer ey/);
      // Proof below that the page does not reload: this marker would be gone.
      await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
      const lookupsBefore = seen.invoiceLookups.length;

      // The Pay link, in a second tab: the pay page, Pay, the sandbox checkout, Success.
      const payTab = await newPage(context as unknown as Browser);
      await payTab.goto(payHref);
      expect(await payTab.$eval('h1', (h) => h.textContent)).toContain('Invoice IN7654321');
      await Promise.all([payTab.waitForNavigation(), payTab.click('form[action$="/checkout"] button[type="submit"]')]);
      expect(new URL(payTab.url()).pathname).toMatch(/^\/sandbox\/checkout\/cs_sandbox_[A-Za-z0-9]+$/);
      expect(await payTab.$eval('.sandbox-banner', (b) => b.textContent)).toContain('Sandbox — no real payment');
      expect(await payTab.$$('input')).toHaveLength(0);
      await Promise.all([payTab.waitForNavigation(), payTab.click('button[name="outcome"][value="success"]')]);
      expect(new URL(payTab.url()).pathname).toBe('/pay/return');
      expect(await payTab.$eval('h1', (h) => h.textContent)).toBe('Invoice IN7654321 is paid');
      expect(payTab.errors).toEqual([]);

      // Back on the first tab, no reload: the card turns Paid, the Pay button goes, it is announced.
      await page.bringToFront();
      await waitForCardStatus(page, 'IN7654321', 'paid');
      expect(await invoiceCard(page, 'IN7654321')).toEqual({
        status: 'paid',
        label: 'Paid',
        pillClass: 'pill pill-paid',
        amountDue: '$0.00',
        payShown: false,
        viewShown: true,
      });
      await page.waitForFunction(
        () => (document.querySelector('billing-assistant')?.shadowRoot?.querySelector('p.sr-only[role="status"]')?.textContent ?? '').includes('Invoice IN7654321 is now Paid'),
        { polling: 50 },
      );
      expect(await liveRegion(page)).toBe('Invoice IN7654321 is now Paid.');
      expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
      // It came through the open stream, not from a reconnect's catch-up.
      expect(seen.events).toHaveLength(1);
      expect(seen.invoiceLookups.length).toBe(lookupsBefore);
      await page.screenshot({ path: artifactPath('widget-paid.png') });

      // The next balance answer reflects it: 2,494.96 − 1,234.56.
      await ask(page, 'What is my current account balance?');
      const answers = await waitForAnswers(page, 2);
      expect(answers[1]!.state).toBe('complete');
      expect(answers[1]!.text).toContain('$1,260.40');
      expect(await page.$eval('billing-assistant >>> .card-balance .big', (b) => b.textContent)).toBe('$1,260.40');
      expect(page.errors).toEqual([]);

      // The portal's Invoices tab and the API.
      await page.goto(`${e2e.baseUrl}/portal/billing/invoices`);
      const row = await page.$eval('table[data-table="invoices"] tbody tr[data-invoice="IN7654321"]', (tr) => ({
        status: tr.querySelector('[data-col="status"]')?.textContent?.trim(),
        pay: tr.querySelector('a.button') !== null,
      }));
      expect(row).toEqual({ status: 'Paid', pay: false });
      const token = await e2e.token('R10042');
      const res = await fetch(`${e2e.baseUrl}/v1/billing/invoices/IN7654321`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ invoiceNumber: 'IN7654321', status: 'paid', statusLabel: 'Paid', amountDue: { amount: '0.00' }, paid: { amount: '1234.56' } });

      // After that page load the history shows the stored card (a snapshot taken before the
      // payment): the widget looks it up once its stream is open, and it shows Paid again.
      await page.waitForFunction(() => (document.querySelector('billing-assistant')?.shadowRoot?.querySelectorAll('.msg').length ?? 0) >= 4);
      await waitForCardStatus(page, 'IN7654321', 'paid');
      expect((await invoiceCard(page, 'IN7654321'))!.payShown).toBe(false);
      expect((await widgetState(page)).messages.filter((m) => m.role === 'assistant')).toHaveLength(2);
      expect(page.errors).toEqual([]);
      await context.close();
      await until('the streams to close', () => streams() === 0);
    },
    T,
  );

  it(
    'the stream: not held for a panel never opened, let go on close and removal, reconnected with a catch-up after a drop, given up on 401',
    async () => {
      const context = await browser.createBrowserContext();
      const first = await dashboard(context);
      await openWidget(first);
      await ask(first, 'List my outstanding invoices');
      const [answer] = await waitForAnswers(first, 1);
      expect(answer!.invoices).toContain('IN7654322');
      expect((await invoiceCard(first, 'IN7654322'))!.label).toBe('Overdue (partially paid)');
      await until('the first tab stream', () => streams() === 1);

      // A second tab of the same portal session: the conversation exists (local storage), but
      // this tab's panel has never been opened, so it holds no stream.
      const second = await dashboard(context);
      const seen = trackRequests(second);
      await new Promise((r) => setTimeout(r, 1500));
      expect((await widgetState(second)).open).toBe(false);
      expect(seen.events).toHaveLength(0);
      expect(streams()).toBe(1);
      // Opened: it listens. Closed: it lets go. Opened again: back, and caught up.
      await openWidget(second);
      await until('the second tab stream', () => streams() === 2);
      await second.keyboard.press('Escape');
      await until('the closed panel to let go', () => streams() === 1);
      await openWidget(second);
      await until('the reopened panel stream', () => streams() === 2);
      expect(seen.events).toHaveLength(2);
      // Removed from the page: gone too.
      await second.evaluate(() => document.querySelector('billing-assistant')?.remove());
      await until('the removed widget to let go', () => streams() === 1);

      // The first tab's stream drops, and reconnecting fails for a while (the network is down),
      // while IN7654322 gets paid: the update is lost. Once the network is back it reconnects
      // and looks the invoices on screen up again.
      const firstSeen = trackRequests(first);
      let network: 'up' | 'down' | 'refusing' = 'up';
      let failedReconnects = 0;
      const refused: string[] = [];
      await first.setRequestInterception(true);
      first.on('request', (req) => {
        if (req.isInterceptResolutionHandled()) return;
        if (EVENTS.test(new URL(req.url()).pathname) && network === 'down') {
          failedReconnects++;
          void req.abort('internetdisconnected');
        } else if (EVENTS.test(new URL(req.url()).pathname) && network === 'refusing') {
          refused.push(req.headers()['authorization'] ?? '');
          void req.respond({ status: 401, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unauthorized', message: 'Token expired' } }) });
        } else void req.continue();
      });
      network = 'down';
      e2e.app.server.closeAllConnections();
      await until('the dropped stream', () => streams() === 0);
      await until('a failed reconnect', () => failedReconnects >= 1);
      const payToken = e2e.app.services.links.mint({ purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654322' });
      const checkout = await fetch(`${e2e.baseUrl}/pay/${payToken}/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
        redirect: 'manual',
      });
      expect(checkout.status).toBe(303);
      const sandbox = `${e2e.baseUrl}${checkout.headers.get('location')!}`;
      const paid = await fetch(sandbox, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'outcome=success', redirect: 'manual' });
      expect(paid.status).toBe(303);
      await new Promise((r) => setTimeout(r, 500));
      expect((await invoiceCard(first, 'IN7654322'))!.status).toBe('overdue');
      network = 'up';
      await waitForCardStatus(first, 'IN7654322', 'paid', 40_000);
      expect(await invoiceCard(first, 'IN7654322')).toMatchObject({ label: 'Paid', amountDue: '$0.00', payShown: false });
      expect(await liveRegion(first)).toBe('Invoice IN7654322 is now Paid.');
      expect(firstSeen.events.length).toBeGreaterThanOrEqual(failedReconnects + 1);
      expect(firstSeen.invoiceLookups).toContain('/v1/billing/invoices/IN7654322');
      await until('the reconnected stream', () => streams() === 1);

      // The token is refused (401, even after asking the page for a fresh one): it stops trying.
      network = 'refusing';
      await first.bringToFront();
      await first.keyboard.press('Escape');
      await until('the closed panel to let go', () => streams() === 0);
      await openWidget(first);
      await until('the refused stream', () => refused.length === 2);
      await new Promise((r) => setTimeout(r, 3000));
      expect(refused).toHaveLength(2);
      // Closing and opening again does not knock again either.
      await first.keyboard.press('Escape');
      await openWidget(first);
      await new Promise((r) => setTimeout(r, 1000));
      expect(refused).toHaveLength(2);
      expect(streams()).toBe(0);
      expect(first.errors.filter((e) => !/^http 401: GET .*\/events\?locale=en-CA$/.test(e))).toEqual([]);
      expect(refused.every((a) => a.startsWith('Bearer '))).toBe(true);
      await context.close();
    },
    T,
  );
});
