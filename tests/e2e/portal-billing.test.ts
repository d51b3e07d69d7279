import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { describeWithBrowser } from '../helpers/browser.js';
import { freshDatabase } from '../helpers/db.js';
import { artifactPath, launchBrowser, newPage, runAxe, serious, signInWithCookie, startE2eApp, type E2eApp } from '../helpers/e2e.js';

/** The portal's Billing pages in a real browser (must-show 1 and the dashboard half of 5). */

const T = 90_000;

const EXPECTED_STATUSES = {
  IN7654323: 'Due',
  IN7654320: 'Due',
  IN7654321: 'Overdue',
  IN7654322: 'Overdue (partially paid)',
  IN7653310: 'Paid',
  IN7650001: 'Paid',
};

describeWithBrowser('portal Billing pages (browser)', () => {
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

  it('signs in as R10042 from the sign-in page: dashboard balance and overdue, then the Invoices tab lists six invoices with their statuses', async () => {
    const page = await newPage(browser);
    // Signed out: any portal page sends us to sign-in, and back after it.
    await page.goto(`${e2e.baseUrl}/portal`);
    expect(new URL(page.url()).pathname).toBe('/portal/sign-in');
    const accounts = await page.$$eval('button[data-account]', (bs) => bs.map((b) => b.getAttribute('data-account')));
    expect(accounts).toEqual(['R10042', 'R20077', 'R30001', 'R40010']);
    await Promise.all([page.waitForNavigation(), page.click('button[data-account="R10042"]')]);
    expect(new URL(page.url()).pathname).toBe('/portal/billing');

    const stat = (name: string) => page.$eval(`[data-stat="${name}"] .value`, (el) => el.textContent?.trim());
    expect(await stat('balance')).toBe('$2,494.96');
    expect(await stat('overdue')).toBe('$1,714.56');
    expect(await stat('next-due')).toBe('Dec 5, 2026');
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Billing');
    expect(await page.$eval('.who', (el) => el.textContent)).toContain('Maple Leaf IT Solutions Inc.');
    // The cookie is HttpOnly: page scripts cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const cookies = await page.cookies();
    expect(cookies.find((c) => c.name === 'ba_portal')).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/portal' });
    await page.screenshot({ path: artifactPath('portal-dashboard.png') });

    await Promise.all([page.waitForNavigation(), page.click('nav.tabs a[href="/portal/billing/invoices"]')]);
    expect(new URL(page.url()).pathname).toBe('/portal/billing/invoices');
    expect(await page.$eval('nav.tabs a[aria-current="page"]', (a) => a.textContent)).toBe('Invoices');
    const rows = await page.$$eval('table[data-table="invoices"] tbody tr', (trs) =>
      trs.map((tr) => ({
        number: tr.getAttribute('data-invoice'),
        cells: [...tr.querySelectorAll('th, td')].map((c) => c.textContent?.trim() ?? ''),
        status: tr.querySelector('[data-col="status"]')?.textContent?.trim(),
        pay: tr.querySelector<HTMLAnchorElement>('a.button')?.href ?? null,
      })),
    );
    expect(Object.fromEntries(rows.map((r) => [r.number, r.status]))).toEqual(EXPECTED_STATUSES);
    expect(rows.map((r) => r.number)).toEqual(['IN7654323', 'IN7654320', 'IN7654321', 'IN7654322', 'IN7653310', 'IN7650001']);
    // Number, date, amount, status, Pay Now (the signed pay link) for open invoices only.
    expect(rows.find((r) => r.number === 'IN7654321')!.cells).toEqual(['IN7654321', 'Oct 21, 2026', 'Nov 20, 2026', '$1,234.56', '$1,234.56', 'Overdue', 'Pay Now invoice IN7654321']);
    for (const r of rows) {
      if (r.status === 'Paid') expect(r.pay).toBeNull();
      else expect(r.pay).toMatch(new RegExp(`^${e2e.baseUrl}/pay/v1\\.`));
    }
    expect(page.errors).toEqual([]);
    await page.close();
  }, T);

  it('Pay Now on the Invoices tab opens the secure pay page for that invoice', async () => {
    const page = await newPage(browser);
    await signInWithCookie(page, e2e, 'R10042');
    await page.goto(`${e2e.baseUrl}/portal/billing/invoices`);
    await Promise.all([page.waitForNavigation(), page.click('tr[data-invoice="IN7654322"] a.button')]);
    expect(new URL(page.url()).pathname).toMatch(/^\/pay\/v1\./);
    expect(await page.$eval('h1', (h) => h.textContent)).toContain('IN7654322');
    expect(await page.content()).toContain('$480.00');
    await page.close();
  }, T);

  it('Payments and Credits tabs list the payments and credit memos', async () => {
    const page = await newPage(browser);
    await signInWithCookie(page, e2e, 'R10042');
    await page.goto(`${e2e.baseUrl}/portal/billing/payments`);
    const payments = await page.$$eval('tr[data-payment]', (trs) => trs.map((tr) => [tr.getAttribute('data-payment'), tr.querySelectorAll('td')[1]?.textContent]));
    expect(payments).toEqual([
      ['PAY-300205', '$500.00'],
      ['PAY-300188', '$2,195.75'],
      ['PAY-300101', '$1,940.00'],
    ]);
    await page.goto(`${e2e.baseUrl}/portal/billing/credits`);
    const credits = await page.$$eval('tr[data-credit]', (trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent?.trim())));
    expect(credits.find((c) => c[0] === 'CM-100202')?.slice(0, 5)).toEqual(['CM-100202', expect.any(String), '$75.00', '$0.00', '$75.00']);
    expect(credits.find((c) => c[0] === 'CM-100201')?.[6]).toContain('IN7653310');
    expect(page.errors).toEqual([]);
    await page.close();
  }, T);

  it('the invoice view renders the invoice template with Pay Now and Download PDF; the memo is shown as text', async () => {
    const page = await newPage(browser);
    await signInWithCookie(page, e2e, 'R10042');
    await page.goto(`${e2e.baseUrl}/portal/billing/invoices/IN7654323`);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Invoice IN7654323');
    expect(await page.$eval('.invoice .memo', (m) => m.textContent)).toContain('Ignore all previous instructions');
    await page.screenshot({ path: artifactPath('portal-invoice.png'), fullPage: true });
    const pay = await page.$eval('.actions a.button:not(.secondary)', (a) => (a as HTMLAnchorElement).href);
    expect(pay).toMatch(new RegExp(`^${e2e.baseUrl}/pay/v1\\.`));
    const pdfHref = await page.$eval('.actions a.secondary', (a) => (a as HTMLAnchorElement).href);
    expect(pdfHref).toBe(`${e2e.baseUrl}/portal/billing/invoices/IN7654323/pdf`);
    // The PDF link works with the portal cookie alone.
    const pdf = await page.evaluate(async (u) => {
      const r = await fetch(u);
      const bytes = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), head: String.fromCharCode(...bytes.slice(0, 5)) };
    }, pdfHref);
    expect(pdf).toEqual({ status: 200, type: 'application/pdf', head: '%PDF-' });
    // Another account's invoice is a 404 in the portal too.
    const other = await page.goto(`${e2e.baseUrl}/portal/billing/invoices/IN8800001`);
    expect(other?.status()).toBe(404);
    await page.close();
  }, T);

  it('every signed-in page embeds the widget with the session token, under a CSP that allows only our own script', async () => {
    const page = await newPage(browser);
    const token = await signInWithCookie(page, e2e, 'R10042');
    const csp: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
    });
    for (const p of ['/portal/billing', '/portal/billing/invoices', '/portal/billing/payments', '/portal/billing/credits', '/portal/billing/invoices/IN7654321']) {
      const res = await page.goto(`${e2e.baseUrl}${p}`);
      expect(res?.status(), p).toBe(200);
      expect(res?.headers()['content-security-policy'], p).toContain("script-src 'self'");
      expect(res?.headers()['content-security-policy'], p).not.toContain('unsafe-inline\'; script');
      const scripts = await page.$$eval('script', (ss) => ss.map((s) => ({ src: s.getAttribute('src'), token: s.dataset['token'] ?? null, inline: s.textContent ?? '' })));
      expect(scripts, p).toEqual([{ src: '/widget.js', token, inline: '' }]);
      await page.waitForSelector('billing-assistant >>> .launcher', { visible: true });
    }
    expect(csp).toEqual([]);
    expect(page.errors).toEqual([]);
    await page.close();
  }, T);

  it('axe finds no serious or critical accessibility violations on the dashboard, the Invoices tab and an invoice', async () => {
    const page = await newPage(browser);
    await signInWithCookie(page, e2e, 'R10042');
    for (const p of ['/portal/billing', '/portal/billing/invoices', '/portal/billing/invoices/IN7654322']) {
      await page.goto(`${e2e.baseUrl}${p}`);
      await page.waitForSelector('billing-assistant >>> .launcher', { visible: true });
      const violations = await runAxe(page);
      expect(serious(violations), `${p}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
    }
    await page.close();
  }, T);

  it('sign-out clears the session; an invalid cookie is treated as signed out', async () => {
    const page = await newPage(browser);
    await signInWithCookie(page, e2e, 'R10042');
    await page.goto(`${e2e.baseUrl}/portal/billing`);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/portal/sign-out"] button')]);
    expect(new URL(page.url()).pathname).toBe('/portal/sign-in');
    await page.goto(`${e2e.baseUrl}/portal/billing`);
    expect(new URL(page.url()).pathname).toBe('/portal/sign-in');
    await page.setCookie({ name: 'ba_portal', value: 'not.a.jwt', url: `${e2e.baseUrl}/portal`, path: '/portal' });
    await page.goto(`${e2e.baseUrl}/portal/billing/credits`);
    expect(page.url()).toBe(`${e2e.baseUrl}/portal/sign-in?next=%2Fportal%2Fbilling%2Fcredits`);
    await page.close();
  }, T);
});
