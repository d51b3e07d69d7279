import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { describeWithBrowser } from '../helpers/browser.js';
import { freshDatabase } from '../helpers/db.js';
import { artifactPath, launchBrowser, newPage, openWidget, runAxe, serious, signInWithCookie, startE2eApp, W, type E2eApp } from '../helpers/e2e.js';

/**
 * The portal, the pay page and the sandbox checkout on a phone and on a desktop (issue 12,
 * must-show 1): at 390 × 844 and 1280 × 800, every page (the Billing tabs, an invoice, the pay
 * page, the sandbox checkout, and the dashboard with the assistant open) has no sideways scroll,
 * keeps the widget's launcher and panel on screen, and axe finds nothing serious. On the phone the
 * invoice tables are one card per invoice whose number, amount due, status and Pay Now are all on
 * screen. From 320 to 430 px wide nothing scrolls sideways. After paying, the return page leads
 * back to the invoice and the dashboard.
 */

const T = 180_000;
const PHONE = { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 1 };
const DESKTOP = { width: 1280, height: 800 };
const PORTAL_PAGES = [
  ['dashboard', '/portal/billing'],
  ['invoices', '/portal/billing/invoices'],
  ['payments', '/portal/billing/payments'],
  ['credits', '/portal/billing/credits'],
  ['contacts', '/portal/billing/contacts'],
  ['invoice', '/portal/billing/invoices/IN7654322'],
] as const;

type TrackedPage = Page & { errors: string[] };
type Box = { left: number; top: number; right: number; bottom: number };

/** The document's width against the viewport's, and the widget's launcher and panel (null when not shown). */
function measure(page: Page) {
  return page.evaluate(() => {
    const root = document.querySelector('billing-assistant')?.shadowRoot;
    const box = (el: Element | null | undefined) => {
      const r = el?.getBoundingClientRect();
      return r && r.width > 0 && r.height > 0 ? { left: r.left, top: r.top, right: r.right, bottom: r.bottom } : null;
    };
    const panel = root?.querySelector<HTMLElement>('.panel');
    return {
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      screen: { left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight },
      launcher: box(root?.querySelector('.launcher')),
      panel: panel && !panel.hidden ? box(panel) : null,
    };
  });
}

function expectInside(inner: Box | null, outer: Box, what: string): void {
  expect(inner, `${what} is not shown`).not.toBeNull();
  expect(inner!.left, `${what} left`).toBeGreaterThanOrEqual(outer.left - 0.5);
  expect(inner!.top, `${what} top`).toBeGreaterThanOrEqual(outer.top - 0.5);
  expect(inner!.right, `${what} right`).toBeLessThanOrEqual(outer.right + 0.5);
  expect(inner!.bottom, `${what} bottom`).toBeLessThanOrEqual(outer.bottom + 0.5);
}

/** No sideways scroll; the launcher (or the open panel) on screen; axe finds nothing serious. */
async function expectFits(page: Page, what: string, opts: { widget: boolean; axe?: boolean }): Promise<void> {
  const m = await measure(page);
  expect(m.scrollWidth, `${what}: the page scrolls sideways`).toBeLessThanOrEqual(m.clientWidth);
  if (opts.widget) expectInside(m.panel ?? m.launcher, m.screen, `${what}: the widget's ${m.panel ? 'panel' : 'launcher'}`);
  if (opts.axe === false) return;
  const violations = await runAxe(page);
  expect(serious(violations), `${what}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

/**
 * Each invoice row on a phone: whether its number, amount due, status and Pay Now are on screen
 * (inside the viewport's width, not clipped, not hidden), and whether the row is a card (no wider
 * than the screen).
 */
function phoneRows(page: Page) {
  return page.$$eval('tr[data-invoice]', (trs) => {
    const width = document.documentElement.clientWidth;
    const shown = (el: Element | null) => {
      if (!el) return false;
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= width + 0.5 && style.visibility !== 'hidden' && el.scrollWidth <= el.clientWidth + 1;
    };
    return trs.map((tr) => ({
      number: tr.getAttribute('data-invoice'),
      numberShown: shown(tr.querySelector('th a')),
      amountDueShown: shown(tr.querySelector('td[data-label="Balance due"]')),
      statusShown: shown(tr.querySelector('[data-col="status"] .status')),
      status: tr.querySelector('[data-col="status"]')?.textContent?.trim() ?? '',
      payShown: shown(tr.querySelector('a.button')),
      rowFits: tr.getBoundingClientRect().right <= width + 0.5,
    }));
  });
}

describeWithBrowser('the portal, the pay page and the sandbox checkout on a phone and a desktop (browser)', () => {
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

  async function signedIn(viewport: typeof PHONE | typeof DESKTOP): Promise<TrackedPage> {
    const context = await browser.createBrowserContext();
    const page = await newPage(context as unknown as Browser, viewport as never);
    await signInWithCookie(page, e2e, 'R10042');
    return page;
  }

  for (const [name, viewport] of [
    ['phone 390 × 844', PHONE],
    ['desktop 1280 × 800', DESKTOP],
  ] as const) {
    const tag = viewport === PHONE ? 'phone' : 'desktop';

    it(
      `${name}: the Billing tabs, Contacts and an invoice fit the screen, with the launcher on screen and axe clean`,
      async () => {
        const page = await signedIn(viewport);
        for (const [label, path] of PORTAL_PAGES) {
          const res = await page.goto(`${e2e.baseUrl}${path}`);
          expect(res?.status(), path).toBe(200);
          await page.waitForSelector(W.launcher, { visible: true });
          await expectFits(page, `${tag} ${path}`, { widget: true });
          await page.screenshot({ path: artifactPath(`responsive-${tag}-${label}.png`), fullPage: true });
        }
        expect(page.errors).toEqual([]);
        await page.browserContext().close();
      },
      T,
    );

    it(
      `${name}: the pay page and the sandbox checkout fit the screen and pass axe`,
      async () => {
        const page = await signedIn(viewport);
        await page.goto(`${e2e.baseUrl}/portal/billing/invoices`);
        const pay = await page.$eval('tr[data-invoice="IN7654320"] a.button', (a) => (a as HTMLAnchorElement).href);
        await page.goto(pay);
        expect(await page.$eval('h1', (h) => h.textContent)).toContain('IN7654320');
        await expectFits(page, `${tag} pay page`, { widget: false });
        await page.screenshot({ path: artifactPath(`responsive-${tag}-pay.png`), fullPage: true });
        await Promise.all([page.waitForNavigation(), page.click('form[action$="/checkout"] button[type="submit"]')]);
        expect(new URL(page.url()).pathname).toMatch(/^\/sandbox\/checkout\/cs_sandbox_/);
        await expectFits(page, `${tag} sandbox checkout`, { widget: false });
        // The three outcomes are on screen, side by side or stacked.
        const buttons = await page.$$eval('button[name="outcome"]', (bs) => bs.map((b) => b.getBoundingClientRect().right <= document.documentElement.clientWidth));
        expect(buttons).toEqual([true, true, true]);
        await page.screenshot({ path: artifactPath(`responsive-${tag}-sandbox.png`), fullPage: true });
        expect(page.errors).toEqual([]);
        await page.browserContext().close();
      },
      T,
    );

    it(
      `${name}: the dashboard with the assistant open: the panel on screen, no sideways scroll, axe clean`,
      async () => {
        const page = await signedIn(viewport);
        await page.goto(`${e2e.baseUrl}/portal/billing`);
        await openWidget(page);
        const m = await measure(page);
        expectInside(m.panel, m.screen, `${tag}: the open panel`);
        if (viewport === PHONE) expect(m.panel!.right - m.panel!.left).toBeCloseTo(PHONE.width, 0);
        await expectFits(page, `${tag} dashboard with the widget open`, { widget: true });
        await page.screenshot({ path: artifactPath(`responsive-${tag}-widget.png`) });
        expect(page.errors).toEqual([]);
        await page.browserContext().close();
      },
      T,
    );
  }

  it(
    'phone 390 × 844: each invoice is one card with its number, amount due, status and (when due) Pay Now on screen; Pay Now opens the pay page',
    async () => {
      const page = await signedIn(PHONE);
      for (const path of ['/portal/billing', '/portal/billing/invoices']) {
        await page.goto(`${e2e.baseUrl}${path}`);
        const rows = await phoneRows(page);
        expect(rows.length, path).toBeGreaterThanOrEqual(3);
        for (const r of rows) {
          expect(r, `${path} ${r.number}`).toMatchObject({ numberShown: true, amountDueShown: true, statusShown: true, rowFits: true, payShown: r.status !== 'Paid' });
        }
        // One card per row: the rows stack (each starts below the one before).
        const tops = await page.$$eval('tr[data-invoice]', (trs) => trs.map((tr) => tr.getBoundingClientRect().top));
        expect([...tops].sort((a, b) => a - b)).toEqual(tops);
        expect(new Set(tops).size).toBe(tops.length);
      }
      // Payments and credits are cards too: nothing past the screen's edge.
      for (const [path, sel] of [
        ['/portal/billing/payments', 'tr[data-payment]'],
        ['/portal/billing/credits', 'tr[data-credit]'],
      ] as const) {
        await page.goto(`${e2e.baseUrl}${path}`);
        const rights = await page.$$eval(`${sel} th, ${sel} td`, (cells) => cells.map((c) => c.getBoundingClientRect().right <= document.documentElement.clientWidth + 0.5));
        expect(rights.length, path).toBeGreaterThan(0);
        expect(rights.every(Boolean), path).toBe(true);
      }
      // The invoice view: its line table fits, every amount on screen.
      await page.goto(`${e2e.baseUrl}/portal/billing/invoices/IN7654322`);
      const amounts = await page.$$eval('.invoice td.num', (tds) => tds.map((td) => td.getBoundingClientRect().right <= document.documentElement.clientWidth + 0.5));
      expect(amounts.every(Boolean)).toBe(true);
      // Pay Now from a card.
      await page.goto(`${e2e.baseUrl}/portal/billing`);
      await Promise.all([page.waitForNavigation(), page.tap('tr[data-invoice="IN7654321"] a.button')]);
      expect(await page.$eval('h1', (h) => h.textContent)).toContain('IN7654321');
      expect(page.errors).toEqual([]);
      await page.browserContext().close();
    },
    T,
  );

  it(
    'from 320 to 430 px wide, no page scrolls sideways (portal pages, the pay page and the sandbox checkout)',
    async () => {
      const page = await signedIn(PHONE);
      await page.goto(`${e2e.baseUrl}/portal/billing/invoices`);
      const pay = await page.$eval('tr[data-invoice="IN7654323"] a.button', (a) => (a as HTMLAnchorElement).href);
      await page.goto(pay);
      await Promise.all([page.waitForNavigation(), page.click('form[action$="/checkout"] button[type="submit"]')]);
      const sandbox = page.url();
      for (const width of [320, 360, 375, 414, 430]) {
        await page.setViewport({ ...PHONE, width });
        for (const [, path] of PORTAL_PAGES) {
          await page.goto(`${e2e.baseUrl}${path}`);
          // The widget builds its launcher once its messages (in the page's language) have loaded.
          await page.waitForSelector(W.launcher, { visible: true });
          await expectFits(page, `${width} px ${path}`, { widget: true, axe: false });
        }
        for (const [what, url] of [
          ['pay page', pay],
          ['sandbox checkout', sandbox],
        ] as const) {
          await page.goto(url);
          await expectFits(page, `${width} px ${what}`, { widget: false, axe: false });
        }
      }
      expect(page.errors).toEqual([]);
      await page.browserContext().close();
    },
    T,
  );

  it(
    'phone 390 × 844: after paying, the return page links back to the invoice and to the Billing dashboard',
    async () => {
      const page = await signedIn(PHONE);
      await page.goto(`${e2e.baseUrl}/portal/billing/invoices/IN7654322`);
      await Promise.all([page.waitForNavigation(), page.tap('.actions a.button:not(.secondary)')]);
      await Promise.all([page.waitForNavigation(), page.tap('form[action$="/checkout"] button[type="submit"]')]);
      await Promise.all([page.waitForNavigation(), page.tap('button[name="outcome"][value="success"]')]);
      expect(new URL(page.url()).pathname).toBe('/pay/return');
      expect(await page.$eval('h1', (h) => h.textContent)).toBe('Invoice IN7654322 is paid');
      const links = await page.$$eval('nav.back-links a', (as) => as.map((a) => [a.textContent, new URL((a as HTMLAnchorElement).href).pathname]));
      expect(links).toEqual([
        ['View invoice IN7654322', '/portal/billing/invoices/IN7654322'],
        ['Billing dashboard', '/portal/billing'],
      ]);
      await expectFits(page, 'phone return page', { widget: false });
      await page.screenshot({ path: artifactPath('responsive-phone-return.png'), fullPage: true });

      // Back to the invoice (the portal session goes along): it shows Paid.
      await Promise.all([page.waitForNavigation(), page.tap('nav.back-links a[href$="/IN7654322"]')]);
      expect(new URL(page.url()).pathname).toBe('/portal/billing/invoices/IN7654322');
      expect(await page.$eval('.invoice .doc .status', (s) => s.textContent)).toBe('Paid');
      await page.goBack();
      await Promise.all([page.waitForNavigation(), page.tap('nav.back-links a[href="/portal/billing"]')]);
      expect(new URL(page.url()).pathname).toBe('/portal/billing');
      expect(await page.$$eval('tr[data-invoice]', (trs) => trs.map((tr) => tr.getAttribute('data-invoice')))).not.toContain('IN7654322');
      expect(page.errors).toEqual([]);
      await page.browserContext().close();
    },
    T,
  );
});
