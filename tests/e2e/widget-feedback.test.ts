import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { signOperatorToken } from '../../src/identity/operator.js';
import { describeWithBrowser } from '../helpers/browser.js';
import { freshDatabase } from '../helpers/db.js';
import { ask, launchBrowser, newPage, openWidget, signInWithCookie, startE2eApp, W, waitForAnswers, type E2eApp } from '../helpers/e2e.js';

/**
 * The widget's thumbs-down, in a real browser against the real API and the offline engine: the
 * user flags an answer (it is recorded at once), adds a comment, and QA finds both through
 * GET /v1/ops/feedback with an operator token. Answers shown from the history (after a reload)
 * can be flagged too.
 */

const T = 120_000;
const THUMB = 'billing-assistant >>> .fb .icon-btn';

interface FlaggedJson {
  conversationId: string;
  messageId: string;
  accountId: string;
  comment: string | null;
  question: string | null;
  answer: { text: string };
}

/** Per assistant message: its thumb's label and pressed state, and the feedback line's text. */
function feedbackState(page: Page) {
  return page.evaluate(() =>
    [...(document.querySelector('billing-assistant')?.shadowRoot?.querySelectorAll<HTMLElement>('.msg-assistant') ?? [])].map((m) => {
      const thumb = m.querySelector<HTMLButtonElement>('.fb .icon-btn');
      return {
        label: thumb?.getAttribute('aria-label') ?? null,
        pressed: thumb?.getAttribute('aria-pressed') ?? null,
        disabled: thumb?.disabled ?? null,
        status: m.querySelector('.fb [role=status]')?.textContent ?? null,
        comment: Boolean(m.querySelector('.fb textarea')),
      };
    }),
  );
}

describeWithBrowser('feedback in the widget (browser)', () => {
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
  });

  async function listed(): Promise<FlaggedJson[]> {
    const token = await signOperatorToken(e2e.config, { operatorId: 'qa-sam', scopes: ['feedback'] });
    const res = await e2e.app.inject({ url: '/v1/ops/feedback', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: FlaggedJson[] }>().items;
  }

  it(
    'thumbs-down on an answer is listed at once by GET /v1/ops/feedback; the comment follows; after a reload, an answer from the history can be flagged too',
    async () => {
      const page = (await newPage(browser)) as Page & { errors: string[] };
      await signInWithCookie(page, e2e, 'R10042');
      await page.goto(`${e2e.baseUrl}/portal/billing`);
      await page.waitForSelector(W.launcher, { visible: true });
      await openWidget(page);

      await ask(page, 'What is my current account balance?');
      await waitForAnswers(page, 1, 60_000);
      await ask(page, 'show me IN7654321');
      const answers = await waitForAnswers(page, 2, 60_000);
      expect(answers[0]!.text).toContain('2,494.96');
      expect(await feedbackState(page)).toEqual([
        { label: 'This answer was not helpful', pressed: 'false', disabled: false, status: '', comment: false },
        { label: 'This answer was not helpful', pressed: 'false', disabled: false, status: '', comment: false },
      ]);
      expect(await listed()).toEqual([]);

      // Flag the first answer: recorded at once, before any comment.
      const thumbs = await page.$$(THUMB);
      await thumbs[0]!.click();
      await page.waitForFunction(
        () => document.querySelector('billing-assistant')?.shadowRoot?.querySelector('.msg-assistant .fb [role=status]')?.textContent === 'Thanks for telling us.',
      );
      const [first] = await feedbackState(page);
      expect(first).toEqual({ label: 'This answer was not helpful', pressed: 'true', disabled: true, status: 'Thanks for telling us.', comment: true });
      // The comment box has the focus.
      expect(await page.evaluate(() => document.querySelector('billing-assistant')?.shadowRoot?.activeElement?.getAttribute('aria-label'))).toBe('What was wrong? (optional)');

      let items = await listed();
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ accountId: 'R10042', comment: null, question: 'What is my current account balance?' });
      expect(items[0]!.answer.text).toContain('2,494.96');

      // The optional comment: typed, sent, and it replaces the empty one.
      await page.keyboard.type('It did not say which invoices are overdue');
      await page.click('billing-assistant >>> .fb .chip');
      await page.waitForFunction(
        () => document.querySelector('billing-assistant')?.shadowRoot?.querySelector('.msg-assistant .fb [role=status]')?.textContent === 'Thanks. Your comment was sent.',
      );
      expect((await feedbackState(page))[0]!.comment).toBe(false);
      items = await listed();
      expect(items).toHaveLength(1);
      expect(items[0]!.comment).toBe('It did not say which invoices are overdue');

      // After a reload the answers come from the history, each with its thumb; flag the second.
      await page.reload();
      await page.waitForSelector(W.launcher, { visible: true });
      await openWidget(page);
      await waitForAnswers(page, 2, 30_000);
      await (await page.$$(THUMB))[1]!.click();
      await page.waitForFunction(
        () => [...(document.querySelector('billing-assistant')?.shadowRoot?.querySelectorAll('.msg-assistant .fb [role=status]') ?? [])][1]?.textContent === 'Thanks for telling us.',
      );
      items = await listed();
      expect(items.map((i) => i.question)).toEqual(['show me IN7654321', 'What is my current account balance?']);
      expect(items[0]!.conversationId).toBe(items[1]!.conversationId);
      expect(page.errors).toEqual([]);
      await page.close();
    },
    T,
  );
});
