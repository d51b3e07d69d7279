import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { describeWithBrowser, pdfText } from '../helpers/browser.js';
import { freshDatabase } from '../helpers/db.js';
import { artifactPath, launchBrowser, newPage, runAxe, serious, startE2eApp, W, type E2eApp } from '../helpers/e2e.js';

/**
 * The portal's language switch in a real browser (issue 13, Must show 2): sign in, switch to
 * Français, see "Solde", move to other pages and stay in French (the widget's tag follows), open
 * Pay Now in French, switch back to English. The switch is a plain form: it works with JavaScript
 * off, and on a phone.
 */

const T = 120_000;
const NBSP = '\u00a0';

describeWithBrowser('portal in French: the language switch (browser)', () => {
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

  const text = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent?.trim() ?? '');
  const balance = (page: Page) => text(page, '[data-stat="balance"] dt');
  const lang = (page: Page) => page.$eval('html', (h) => h.getAttribute('lang'));
  const widgetLocale = (page: Page) => page.$eval('script[src="/widget.js"]', (s) => s.getAttribute('data-locale'));

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${e2e.baseUrl}/portal/sign-in`);
    await Promise.all([page.waitForNavigation(), page.click('button[data-account="R10042"]')]);
    expect(new URL(page.url()).pathname).toBe('/portal/billing');
  }

  async function choose(page: Page, locale: 'en-CA' | 'fr-CA'): Promise<void> {
    await Promise.all([page.waitForNavigation(), page.click(`form.lang button[value="${locale}"]`)]);
  }

  it(
    'signs in, switches to Français (Solde), keeps French across pages and in Pay Now, then switches back to English',
    async () => {
      const page = await newPage(browser);
      await signIn(page);
      // The browser asks for English (Chromium's en-US): the portal starts in English.
      expect(await lang(page)).toBe('en-CA');
      expect(await balance(page)).toBe('Current balance');
      expect(await text(page, 'form.lang button[aria-current="true"]')).toBe('English');

      await choose(page, 'fr-CA');
      expect(new URL(page.url()).pathname).toBe('/portal/billing');
      expect(await lang(page)).toBe('fr-CA');
      expect(await balance(page)).toBe('Solde actuel');
      expect(await text(page, '[data-stat="balance"] .value')).toBe(`2${NBSP}494,96${NBSP}$`);
      expect(await text(page, '[data-stat="next-due"] .value')).toBe('5 déc. 2026');
      expect(await text(page, 'h1')).toBe('Facturation');
      expect(await text(page, 'form.lang button[aria-current="true"]')).toBe('Français');
      expect(await widgetLocale(page)).toBe('fr-CA');
      await page.waitForSelector(W.launcher, { visible: true });
      await page.screenshot({ path: artifactPath('portal-french-dashboard.png') });
      // The language choice is kept in an HttpOnly cookie scoped to the portal, like the session.
      const cookie = (await page.cookies()).find((c) => c.name === 'ba_portal_locale');
      expect(cookie).toMatchObject({ value: 'fr-CA', httpOnly: true, sameSite: 'Lax', path: '/portal' });

      // Another page: still French, and the switch comes back to the page it was used on.
      await Promise.all([page.waitForNavigation(), page.click('nav.tabs a[href="/portal/billing/invoices"]')]);
      expect(await lang(page)).toBe('fr-CA');
      expect(await text(page, 'nav.tabs a[aria-current="page"]')).toBe('Factures');
      expect(await text(page, 'tr[data-invoice="IN7654321"] [data-col="status"]')).toBe('En retard');
      expect(await text(page, 'tr[data-invoice="IN7654322"] [data-col="status"]')).toBe('En retard (partiellement payée)');
      await Promise.all([page.waitForNavigation(), page.click('nav.tabs a[href="/portal/billing/payments"]')]);
      expect(await text(page, 'table[data-table="payments"] thead')).toContain('Mode de paiement');
      // From the cheque's "Applied to" link to the partly paid invoice.
      await Promise.all([page.waitForNavigation(), page.click('tr[data-payment="PAY-300205"] a[href="/portal/billing/invoices/IN7654322"]')]);
      expect(await text(page, '.actions a.button:not(.secondary)')).toBe('Payer la facture IN7654322');
      expect(await widgetLocale(page)).toBe('fr-CA');
      // Download PDF gives the French invoice (the portal's choice travels with the session cookie).
      const pdf = await page.evaluate(async () => {
        const res = await fetch('/portal/billing/invoices/IN7654322/pdf');
        const bytes = new Uint8Array(await res.arrayBuffer());
        let bin = '';
        for (const b of bytes) bin += String.fromCharCode(b);
        return { status: res.status, language: res.headers.get('content-language'), base64: btoa(bin) };
      });
      expect(pdf.status).toBe(200);
      expect(pdf.language).toBe('fr-CA');
      const pdfWords = pdfText(Buffer.from(pdf.base64, 'base64'), { layout: false });
      expect(pdfWords).toContain('Facture IN7654322');
      expect(pdfWords).toContain('Montant dû (CAD)');

      // Pay Now opens the pay page in the portal's language.
      await Promise.all([page.waitForNavigation(), page.click('.actions a.button:not(.secondary)')]);
      expect(new URL(page.url()).pathname).toMatch(/^\/pay\/v1\./);
      expect(await lang(page)).toBe('fr-CA');
      expect(await text(page, 'form button[type="submit"]')).toBe(`Payer 480,00${NBSP}$ maintenant`);
      await page.goBack();

      await Promise.all([page.waitForNavigation(), page.click('nav.crumbs a[href="/portal/billing/invoices"]')]);
      await choose(page, 'en-CA');
      expect(new URL(page.url()).pathname).toBe('/portal/billing/invoices');
      expect(await lang(page)).toBe('en-CA');
      expect(await text(page, 'nav.tabs a[aria-current="page"]')).toBe('Invoices');
      await Promise.all([page.waitForNavigation(), page.click('nav.tabs a[href="/portal/billing"]')]);
      expect(await balance(page)).toBe('Current balance');
      expect(await widgetLocale(page)).toBe('en-CA');
      expect(page.errors).toEqual([]);
      await page.close();
    },
    T,
  );

  it(
    'works with JavaScript off, and on a phone: the switch is on screen, nothing scrolls sideways, axe finds nothing serious in French',
    async () => {
      const context = await browser.createBrowserContext();
      const page = await newPage(context as unknown as Browser, { width: 360, height: 740, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } as never);
      await page.setJavaScriptEnabled(false);
      await signIn(page);
      const button = await page.$('form.lang button[value="fr-CA"]');
      const box = await button!.boundingBox();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(360);
      await Promise.all([page.waitForNavigation(), page.tap('form.lang button[value="fr-CA"]')]);
      expect(await balance(page)).toBe('Solde actuel');
      await Promise.all([page.waitForNavigation(), page.tap('nav.tabs a[href="/portal/billing/credits"]')]);
      expect(await lang(page)).toBe('fr-CA');
      expect(await text(page, 'nav.tabs a[aria-current="page"]')).toBe('Crédits');
      const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      expect(widths.scroll).toBeLessThanOrEqual(widths.client);

      await page.setJavaScriptEnabled(true);
      await page.goto(`${e2e.baseUrl}/portal/billing`);
      await page.waitForSelector(W.launcher, { visible: true });
      const violations = await runAxe(page);
      expect(serious(violations), JSON.stringify(violations, null, 1)).toEqual([]);
      expect(page.errors).toEqual([]);
      await context.close();
    },
    T,
  );
}, { pdftotext: true });
