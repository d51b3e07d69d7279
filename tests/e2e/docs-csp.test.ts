import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { describeWithBrowser } from '../helpers/browser.js';
import { freshDatabase } from '../helpers/db.js';
import { artifactPath, launchBrowser, newPage, startE2eApp, startHostServer, type E2eApp } from '../helpers/e2e.js';

/**
 * Swagger UI at /docs under its Content-Security-Policy, in a real Chromium: the page loads, its
 * styles apply, the operations list renders and an operation opens, with no CSP violation
 * reported (securitypolicyviolation events and console errors both watched). Framed by another
 * origin, the page does not load (frame-ancestors 'none').
 */

const T = 90_000;

interface Violation {
  directive: string;
  blocked: string;
  sample: string;
}

/** Records every CSP violation of the page's documents (installed before any script runs). */
async function watchViolations(page: Page): Promise<void> {
  await page.evaluateOnNewDocument(() => {
    const w = window as unknown as { __violations: Violation[] };
    w.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      w.__violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample });
    });
  });
}

const violations = (page: Page) => page.evaluate(() => (window as unknown as { __violations: Violation[] }).__violations);

describeWithBrowser('Swagger UI under its CSP (browser)', () => {
  let database: Database;
  let e2e: E2eApp;
  let browser: Browser;
  let host: Awaited<ReturnType<typeof startHostServer>>;
  const pages: Record<string, string> = {};

  beforeAll(async () => {
    database = await freshDatabase();
    e2e = await startE2eApp({ database });
    host = await startHostServer(pages);
    pages['/'] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>framer</title><link rel="icon" href="data:,"></head>
<body><iframe id="docs" title="docs" src="${e2e.baseUrl}/docs/" width="800" height="600"></iframe></body></html>`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await e2e?.close();
    await database?.close();
  }, T);

  it('renders the operations list and opens an operation, with no CSP violation or console error', async () => {
    const page = await newPage(browser);
    await watchViolations(page);
    const res = await page.goto(`${e2e.baseUrl}/docs`, { waitUntil: 'networkidle0' });
    expect(res?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.waitForSelector('.swagger-ui .opblock', { timeout: 20_000 });

    expect(await page.$eval('.swagger-ui .info .title', (el) => el.textContent)).toContain('Billing Assistant API');
    const operations = await page.$$eval('.swagger-ui .opblock .opblock-summary-path', (els) => els.map((el) => el.getAttribute('data-path') ?? el.textContent?.trim() ?? ''));
    expect(operations.length).toBeGreaterThan(5);
    expect(operations).toContain('/v1/billing/invoices');
    // The stylesheet applied (a GET block is blue-tinted and bordered, not an unstyled div).
    const getBlock = await page.$eval('.swagger-ui .opblock.opblock-get', (el) => {
      const cs = getComputedStyle(el);
      return { border: cs.borderTopStyle, radius: cs.borderTopLeftRadius, background: cs.backgroundColor };
    });
    expect(getBlock.border).toBe('solid');
    expect(getBlock.radius).not.toBe('0px');
    expect(getBlock.background).not.toBe('rgba(0, 0, 0, 0)');
    // The Authorize button (bearer auth) and the logo (a data: image set by the initializer).
    expect(await page.$('.swagger-ui .auth-wrapper .authorize')).not.toBeNull();
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>('.topbar-wrapper img')?.src.startsWith('data:image/svg+xml') ?? false);
    expect(await page.$eval('.topbar-wrapper img', (img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);

    // Open one operation: its parameters and responses render.
    await page.click('.swagger-ui .opblock.opblock-get .opblock-summary');
    await page.waitForSelector('.swagger-ui .opblock.is-open .responses-wrapper');
    expect(await page.$$eval('.swagger-ui .opblock.is-open .response', (els) => els.length)).toBeGreaterThan(0);
    // "Try it out" → Execute: the request goes out from the page (connect-src 'self') and its answer shows.
    await page.click('.swagger-ui .opblock.is-open .try-out__btn');
    await page.click('.swagger-ui .opblock.is-open .execute');
    await page.waitForSelector('.swagger-ui .opblock.is-open .live-responses-table tbody .response-col_status');
    expect(await page.$eval('.swagger-ui .opblock.is-open .live-responses-table tbody .response-col_status', (el) => el.textContent?.trim())).toBe('200');
    await page.screenshot({ path: artifactPath('docs-swagger-ui.png') });

    expect(await violations(page)).toStrictEqual([]);
    expect(page.errors).toStrictEqual([]);
    await page.close();
  }, T);

  it('does not load inside another origin’s frame (frame-ancestors)', async () => {
    const page = await newPage(browser);
    await page.goto(`${host.origin}/`, { waitUntil: 'networkidle0' });
    const frame = page.frames().find((f) => f !== page.mainFrame());
    // Chromium replaces a refused frame with an error page: no Swagger UI in it.
    const rendered = frame ? await frame.evaluate(() => Boolean(document.querySelector('#swagger-ui, .swagger-ui'))).catch(() => false) : false;
    expect(rendered).toBe(false);
    await page.close();
  }, T);
});
