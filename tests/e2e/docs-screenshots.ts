import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Browser } from 'puppeteer-core';
import { FIXTURE_ACCOUNTS, seedFixture } from '../../src/billing/fixture.js';
import { migrateToLatest, openDatabase } from '../../src/db/index.js';
import { signSessionToken } from '../../src/identity/session.js';
import { projectPath } from '../../src/paths.js';
import { PORTAL_COOKIE } from '../../src/web/portal/session.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { ask, launchBrowser, newPage, openWidget, signInWithCookie, startE2eApp, W, waitForAnswers, type E2eApp } from '../helpers/e2e.js';

/**
 * npm run docs:screenshots: the README's pictures, taken from the real app (demo fixture as of
 * 2026-11-25, offline engine) in headless Chromium:
 *   docs/dashboard.png, docs/widget.png               desktop, 1280 × 800
 *   docs/dashboard-phone.png, docs/widget-phone.png   phone, 390 × 844 CSS pixels at 2× (780 × 1688 image)
 *   docs/widget-fr.png                                 desktop, the widget in French (a fr-CA user's token)
 *   docs/dashboard-fr.png                              desktop, the dashboard after choosing Français in the portal's header
 */

const SHOTS = [
  { viewport: { width: 1280, height: 800 }, dashboard: 'docs/dashboard.png', widget: 'docs/widget.png' },
  {
    viewport: { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
    dashboard: 'docs/dashboard-phone.png',
    widget: 'docs/widget-phone.png',
  },
] as const;

/** The dashboard, then the assistant open with a list answer, at one viewport. */
async function shoot(browser: Browser, e2e: E2eApp, shot: (typeof SHOTS)[number]): Promise<void> {
  // A fresh context: no conversation carried over from the other size.
  const context = await browser.createBrowserContext();
  const page = await newPage(context as unknown as Browser, shot.viewport as never);
  await signInWithCookie(page, e2e, 'R10042');
  await page.goto(`${e2e.baseUrl}/portal/billing`);
  await page.waitForSelector(W.launcher, { visible: true });
  await page.screenshot({ path: projectPath(shot.dashboard) });

  await openWidget(page);
  await ask(page, 'List my outstanding invoices');
  await waitForAnswers(page, 1);
  // Show the question, the answer's text and the first cards.
  await page.evaluate(() => {
    const root = document.querySelector('billing-assistant')!.shadowRoot!;
    const log = root.querySelector<HTMLElement>('.log')!;
    const first = root.querySelector<HTMLElement>('.msg')!;
    log.scrollTop += first.getBoundingClientRect().top - log.getBoundingClientRect().top - 12;
    (document.activeElement as HTMLElement | null)?.blur();
    (root.activeElement as HTMLElement | null)?.blur();
  });
  await page.screenshot({ path: projectPath(shot.widget) });
  if (page.errors.length > 0) throw new Error(`page errors: ${page.errors.join('; ')}`);
  await context.close();
}

/** The assistant open in French: a fr-CA user (the token's locale claim) asks with the first-use suggestion. */
async function shootWidgetFrench(browser: Browser, e2e: E2eApp): Promise<void> {
  const context = await browser.createBrowserContext();
  const page = await newPage(context as unknown as Browser, { width: 1280, height: 800 });
  const fx = FIXTURE_ACCOUNTS.find((a) => a.id === 'R10042')!;
  const token = await signSessionToken(e2e.config, { accountId: fx.id, userId: fx.user, userName: fx.userName, locale: 'fr-CA' });
  await page.setCookie({ name: PORTAL_COOKIE, value: token, url: `${e2e.baseUrl}/portal`, path: '/portal', httpOnly: true, sameSite: 'Lax' });
  await page.goto(`${e2e.baseUrl}/portal/billing`);
  await openWidget(page);
  // The third suggestion: the outstanding invoices.
  await page.click('billing-assistant >>> .suggestions .chip:nth-of-type(3)');
  await waitForAnswers(page, 1);
  await page.evaluate(() => {
    const root = document.querySelector('billing-assistant')!.shadowRoot!;
    const log = root.querySelector<HTMLElement>('.log')!;
    const first = root.querySelector<HTMLElement>('.msg')!;
    log.scrollTop += first.getBoundingClientRect().top - log.getBoundingClientRect().top - 12;
    (root.activeElement as HTMLElement | null)?.blur();
  });
  await page.screenshot({ path: projectPath('docs/widget-fr.png') });
  if (page.errors.length > 0) throw new Error(`page errors: ${page.errors.join('; ')}`);
  await context.close();
}

// ---- the portal's dashboard in French (issue 13) ----
const DASHBOARD_FR = 'docs/dashboard-fr.png';

/** The dashboard after choosing Français with the header's language switch, at desktop size. */
async function shootFrenchDashboard(browser: Browser, e2e: E2eApp): Promise<void> {
  const context = await browser.createBrowserContext();
  const page = await newPage(context as unknown as Browser, SHOTS[0].viewport as never);
  await signInWithCookie(page, e2e, 'R10042');
  await page.goto(`${e2e.baseUrl}/portal/billing`);
  await Promise.all([page.waitForNavigation(), page.click('form.lang button[value="fr-CA"]')]);
  const balance = await page.$eval('[data-stat="balance"] dt', (dt) => dt.textContent);
  if (balance !== 'Solde actuel') throw new Error(`the dashboard is not in French: ${String(balance)}`);
  await page.waitForSelector(W.launcher, { visible: true });
  // No focus ring on the switch's button in the picture.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.screenshot({ path: projectPath(DASHBOARD_FR) });
  if (page.errors.length > 0) throw new Error(`page errors: ${page.errors.join('; ')}`);
  await context.close();
}

const pglite = await PGlite.create('memory://');
const database = await openDatabase({ pglite });
await migrateToLatest(database.db);
await seedFixture(database.db, TEST_TODAY);
const e2e = await startE2eApp({ database });
const browser = await launchBrowser();
try {
  fs.mkdirSync(projectPath('docs'), { recursive: true });
  for (const shot of SHOTS) await shoot(browser, e2e, shot);
  await shootWidgetFrench(browser, e2e);
  process.stdout.write(`wrote ${[...SHOTS.flatMap((s) => [s.dashboard, s.widget]), 'docs/widget-fr.png'].join(', ')}\n`);
  await shootFrenchDashboard(browser, e2e);
  process.stdout.write(`wrote ${DASHBOARD_FR}\n`);
} finally {
  await browser.close();
  await e2e.close();
  await database.close();
}
