import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { seedFixture } from '../../src/billing/fixture.js';
import { migrateToLatest, openDatabase } from '../../src/db/index.js';
import { projectPath } from '../../src/paths.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { ask, launchBrowser, newPage, openWidget, signInWithCookie, startE2eApp, W, waitForAnswers } from '../helpers/e2e.js';

/**
 * npm run docs:screenshots: the README's pictures, docs/dashboard.png and docs/widget.png, taken
 * from the real app (demo fixture as of 2026-11-25, offline engine) in headless Chromium.
 */

const pglite = await PGlite.create('memory://');
const database = await openDatabase({ pglite });
await migrateToLatest(database.db);
await seedFixture(database.db, TEST_TODAY);
const e2e = await startE2eApp({ database });
const browser = await launchBrowser();
try {
  const page = await newPage(browser, { width: 1280, height: 800 });
  await signInWithCookie(page, e2e, 'R10042');
  await page.goto(`${e2e.baseUrl}/portal/billing`);
  await page.waitForSelector(W.launcher, { visible: true });
  fs.mkdirSync(projectPath('docs'), { recursive: true });
  await page.screenshot({ path: projectPath('docs/dashboard.png') });

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
  });
  await page.screenshot({ path: projectPath('docs/widget.png') });
  if (page.errors.length > 0) throw new Error(`page errors: ${page.errors.join('; ')}`);
  process.stdout.write('wrote docs/dashboard.png and docs/widget.png\n');
} finally {
  await browser.close();
  await e2e.close();
  await database.close();
}
