import fs from 'node:fs';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { describeWithBrowser, tempDir } from '../helpers/browser.js';
import { freshDatabase } from '../helpers/db.js';
import { artifactPath, ask, launchBrowser, newPage, openWidget, runAxe, serious, signInWithCookie, startE2eApp, W, waitForAnswers, type E2eApp } from '../helpers/e2e.js';

/**
 * Confirm cards in the widget, in a real browser, against the real chat API and the offline
 * engine (no model configured): a side effect the user did not ask for in the current message is
 * proposed with Approve / Decline, and nothing happens until a button is pressed. Approve runs it
 * once (the receipt card arrives like any reply); Decline sends nothing; a decided proposal's
 * buttons, shown again after a reload, only get the server's 409 message.
 */

const T = 120_000;
const CONFIRM = 'billing-assistant >>> article.card-confirm';
const DECISION = /\/v1\/chat\/conversations\/[^/]+\/proposals\/[^/]+\/(approve|decline)$/;

type TrackedPage = Page & { errors: string[] };

/** The confirm cards in the widget, in order. */
function confirmCards(page: Page) {
  return page.evaluate(() =>
    [...(document.querySelector('billing-assistant')?.shadowRoot?.querySelectorAll<HTMLElement>('article.card-confirm') ?? [])].map((card) => ({
      label: card.getAttribute('aria-label'),
      state: card.dataset['state'] ?? null,
      summary: card.querySelector('.summary')?.textContent ?? null,
      decided: card.querySelector('.decided')?.textContent ?? null,
      buttons: [...card.querySelectorAll('button')].map((b) => ({ text: b.textContent, label: b.getAttribute('aria-label'), type: b.type, disabled: b.disabled })),
    })),
  );
}

/** The cards of one assistant message, as the widget shows them (title and facts). */
function cardsOf(page: Page, answerIndex: number) {
  return page.evaluate((i) => {
    const answer = [...(document.querySelector('billing-assistant')?.shadowRoot?.querySelectorAll('.msg-assistant') ?? [])][i];
    return [...(answer?.querySelectorAll<HTMLElement>('.cards > *') ?? [])].map((c) => ({
      className: c.className,
      label: c.getAttribute('aria-label'),
      title: c.querySelector('.card-title')?.textContent ?? null,
      facts: Object.fromEntries([...c.querySelectorAll('.facts .row')].map((r) => [r.querySelector('dt')?.textContent ?? '', r.querySelector('dd')?.textContent ?? ''])),
    }));
  }, answerIndex);
}

/** Which element inside the widget has focus: "button Approve: …", "textarea", or "" when none. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const inner = document.querySelector('billing-assistant')?.shadowRoot?.activeElement;
    return inner ? `${inner.tagName.toLowerCase()}${inner.getAttribute('aria-label') ? ` ${inner.getAttribute('aria-label')}` : ''}` : '';
  });

describeWithBrowser('confirm cards in the widget (browser)', () => {
  let database: Database;
  let e2e: E2eApp;
  let browser: Browser;
  let outboxDir: string;

  beforeAll(async () => {
    database = await freshDatabase();
    outboxDir = tempDir('outbox-widget-confirm-');
    // No model injected and none configured: the offline engine answers.
    e2e = await startE2eApp({ database, env: { OUTBOX_DIR: outboxDir } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await e2e?.close();
    await database?.close();
    if (outboxDir) fs.rmSync(outboxDir, { recursive: true, force: true });
  });

  /** Mails in the outbox for one invoice (the outbox row and the send it belongs to). */
  async function outboxFor(invoiceNumber: string) {
    return database.db
      .selectFrom('outbox')
      .innerJoin('email_sends', 'email_sends.id', 'outbox.email_send_id')
      .select(['outbox.id', 'outbox.to_address', 'outbox.subject', 'email_sends.invoice_number', 'email_sends.status'])
      .where('email_sends.invoice_number', '=', invoiceNumber)
      .execute();
  }

  /** A signed-in dashboard in a fresh browser context (its own localStorage), with the widget open. */
  async function dashboard(account = 'R10042'): Promise<TrackedPage> {
    const context = await browser.createBrowserContext();
    const page = await newPage(context as unknown as Browser);
    await signInWithCookie(page, e2e, account);
    await page.goto(`${e2e.baseUrl}/portal/billing`);
    await page.waitForSelector(W.launcher, { visible: true });
    await openWidget(page);
    return page;
  }

  /** Records the decision requests the page sends: [decision, status]. */
  function trackDecisions(page: Page): Array<[string, number]> {
    const seen: Array<[string, number]> = [];
    page.on('response', (res) => {
      const m = DECISION.exec(new URL(res.url()).pathname);
      if (m && res.request().method() === 'POST') seen.push([m[1]!, res.status()]);
    });
    return seen;
  }

  it(
    '"send IN7654320 there too" is only proposed; Approve by keyboard sends it once, with its receipt; the buttons stay disabled, and after a reload a second Approve gets the 409 message',
    async () => {
      const page = await dashboard();
      const decisions = trackDecisions(page);

      // Asked for in the message itself (address and invoice typed): sent at once.
      await ask(page, 'email IN7654321 to ap@mycompany.com');
      let answers = await waitForAnswers(page, 1, 60_000);
      expect(answers[0]!.state).toBe('complete');
      expect(answers[0]!.cardTypes).toEqual(['card card-receipt']);
      expect((await cardsOf(page, 0))[0]).toMatchObject({ title: 'Invoice emailed', facts: { Invoice: 'IN7654321', To: 'ap@mycompany.com', Status: 'Sent' } });
      expect(await outboxFor('IN7654321')).toHaveLength(1);

      // The address comes from the earlier turn: a confirm card, and nothing sent.
      await ask(page, 'send IN7654320 there too');
      answers = await waitForAnswers(page, 2);
      expect(answers[1]!.cardTypes).toEqual(['card card-confirm']);
      const summary = 'Email a PDF copy of IN7654320 to ap@mycompany.com.';
      expect(await confirmCards(page)).toEqual([
        {
          label: 'Needs your approval: Email a PDF copy of IN7654320 to ap@mycompany.com',
          state: 'open',
          summary,
          decided: null,
          buttons: [
            { text: 'Approve', label: 'Approve: Email a PDF copy of IN7654320 to ap@mycompany.com', type: 'button', disabled: false },
            { text: 'Decline', label: 'Decline: Email a PDF copy of IN7654320 to ap@mycompany.com', type: 'button', disabled: false },
          ],
        },
      ]);
      expect(await outboxFor('IN7654320')).toEqual([]);
      await page.screenshot({ path: artifactPath('widget-confirm.png') });

      // The card's buttons are reachable by keyboard: from the composer, Shift+Tab reaches the answer's
      // thumbs-down (after its cards), then Decline, then Approve.
      await page.focus(W.input);
      await page.keyboard.down('Shift');
      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe('button This answer was not helpful');
      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe('button Decline: Email a PDF copy of IN7654320 to ap@mycompany.com');
      await page.keyboard.press('Tab');
      await page.keyboard.up('Shift');
      expect(await focused(page)).toBe('button Approve: Email a PDF copy of IN7654320 to ap@mycompany.com');

      // Approve with Enter: the receipt arrives as a new assistant message.
      await page.keyboard.press('Enter');
      answers = await waitForAnswers(page, 3, 60_000);
      expect(answers).toHaveLength(3);
      expect(answers[2]!.state).toBe('complete');
      expect(answers[2]!.cardTypes).toEqual(['card card-receipt']);
      expect(answers[2]!.text).toContain('IN7654320');
      expect((await cardsOf(page, 2))[0]).toMatchObject({
        label: 'Email receipt for IN7654320',
        title: 'Invoice emailed',
        facts: { Invoice: 'IN7654320', To: 'ap@mycompany.com', Status: 'Sent' },
      });
      const mails = await outboxFor('IN7654320');
      expect(mails).toHaveLength(1);
      expect(mails[0]).toMatchObject({ to_address: 'ap@mycompany.com', status: 'sent' });
      expect(decisions).toEqual([['approve', 200]]);

      // Decided: both buttons are disabled, the card says so, and focus went back to the composer.
      const [card] = await confirmCards(page);
      expect(card!.state).toBe('approved');
      expect(card!.decided).toBe('Approved.');
      expect(card!.buttons.map((b) => b.disabled)).toEqual([true, true]);
      expect(await focused(page)).toBe('textarea');
      // Pressing Approve again is not possible: a disabled button neither takes focus nor clicks.
      await page.focus(`${CONFIRM} button[data-action="approve"]`).catch(() => undefined);
      expect(await focused(page)).not.toContain('Approve');
      await page.keyboard.press('Enter');
      await page.$eval(`${CONFIRM} button[data-action="approve"]`, (b) => (b as HTMLButtonElement).click());
      await new Promise((r) => setTimeout(r, 500));
      expect(decisions).toEqual([['approve', 200]]);
      expect((await waitForAnswers(page, 3)).length).toBe(3);
      expect(await outboxFor('IN7654320')).toHaveLength(1);

      // After a reload the history cannot tell that the proposal was decided: the buttons are
      // enabled, and Approve gets the server's 409 message as a notice. Nothing is sent again.
      await page.reload();
      await page.waitForFunction(() => (document.querySelector('billing-assistant')?.shadowRoot?.querySelectorAll('.msg-assistant').length ?? 0) >= 3);
      const reloaded = await confirmCards(page);
      expect(reloaded.map((c) => [c.state, c.buttons.map((b) => b.disabled)])).toEqual([['open', [false, false]]]);
      const reloadedDecisions = trackDecisions(page);
      await page.click(`${CONFIRM} button[data-action="approve"]`);
      answers = await waitForAnswers(page, 4);
      expect(answers[3]).toMatchObject({ state: 'notice', text: 'This request was already approved; nothing more was done.', cardTypes: [] });
      expect(reloadedDecisions).toEqual([['approve', 409]]);
      expect((await confirmCards(page)).map((c) => [c.state, c.buttons.map((b) => b.disabled)])).toEqual([['closed', [true, true]]]);
      expect(await outboxFor('IN7654320')).toHaveLength(1);

      // The expected 409 is the only failed response.
      expect(page.errors.filter((e) => !/^http 409: POST .*\/proposals\/[^/]+\/approve\?locale=en-CA$/.test(e))).toEqual([]);
      expect(serious(await runAxe(page))).toEqual([]);
      await page.browserContext().close();
    },
    T,
  );

  it(
    'Decline sends nothing and the reply says so',
    async () => {
      const page = await dashboard();
      const decisions = trackDecisions(page);
      await ask(page, 'email IN7654322 to accounting@mycompany.com');
      await waitForAnswers(page, 1, 60_000);
      expect(await outboxFor('IN7654322')).toHaveLength(1);

      await ask(page, 'send IN7654323 to the same address');
      let answers = await waitForAnswers(page, 2);
      expect(answers[1]!.cardTypes).toEqual(['card card-confirm']);
      expect((await confirmCards(page))[0]!.summary).toBe('Email a PDF copy of IN7654323 to accounting@mycompany.com.');

      await page.click(`${CONFIRM} button[data-action="decline"]`);
      answers = await waitForAnswers(page, 3);
      expect(answers[2]!.state).toBe('complete');
      expect(answers[2]!.cardTypes).toEqual([]);
      expect(answers[2]!.text).toBe("OK, I won't do that (Email a PDF copy of IN7654323 to accounting@mycompany.com). Nothing was sent.");
      expect(decisions).toEqual([['decline', 200]]);
      const [card] = await confirmCards(page);
      expect(card!.state).toBe('declined');
      expect(card!.decided).toBe('Declined.');
      expect(card!.buttons.map((b) => b.disabled)).toEqual([true, true]);

      // Give a (wrong) send every chance to show up: nothing for IN7654323, ever.
      await new Promise((r) => setTimeout(r, 500));
      expect(await outboxFor('IN7654323')).toEqual([]);
      const sends = await database.db.selectFrom('email_sends').select('id').where('invoice_number', '=', 'IN7654323').execute();
      expect(sends).toEqual([]);
      expect(page.errors).toEqual([]);
      await page.browserContext().close();
    },
    T,
  );

  it(
    'a dispute is proposed as a hand-off; Approve shows the follow-up receipt (reference, topic, invoice)',
    async () => {
      const page = await dashboard();
      await ask(page, "the amount on IN7654322 is wrong, I'm disputing it");
      let answers = await waitForAnswers(page, 1);
      expect(answers[0]!.cardTypes).toEqual(['card card-confirm']);
      const [card] = await confirmCards(page);
      expect(card!.buttons.map((b) => b.label)).toEqual([`Approve: ${card!.summary!.replace(/\.$/, '')}`, `Decline: ${card!.summary!.replace(/\.$/, '')}`]);
      expect(card!.summary).toContain('IN7654322');

      await page.click(`${CONFIRM} button[data-action="approve"]`);
      answers = await waitForAnswers(page, 2, 60_000);
      expect(answers[1]!.cardTypes).toEqual(['card card-receipt']);
      const [receipt] = await cardsOf(page, 1);
      expect(receipt).toMatchObject({ title: 'Passed on to our billing team', facts: { Topic: 'Dispute', Invoice: 'IN7654322' } });
      expect(receipt!.facts['Reference']).toMatch(/\S/);
      expect(receipt!.label).toBe(`Follow-up request ${receipt!.facts['Reference']}`);
      expect(answers[1]!.text).toContain(receipt!.facts['Reference']);
      expect(receipt!.facts['Created']).toMatch(/\d/);
      expect(page.errors).toEqual([]);
      await page.screenshot({ path: artifactPath('widget-followup-receipt.png') });
      await page.browserContext().close();
    },
    T,
  );

  it(
    'a decision whose request got no answer is checked against the history, retried, and runs once',
    async () => {
      const page = await dashboard();
      await ask(page, 'could you push the due date on IN7654320 back two weeks?');
      await waitForAnswers(page, 1);
      expect((await confirmCards(page)).map((c) => c.state)).toEqual(['open']);

      // The first POST of the decision fails (connection reset): the widget looks in the history,
      // sees no answer, and sends it again, the same way as a message.
      await page.setRequestInterception(true);
      const sent: string[] = [];
      page.on('request', (req) => {
        if (req.isInterceptResolutionHandled()) return;
        if (req.method() === 'POST' && DECISION.test(new URL(req.url()).pathname)) {
          sent.push(req.headers()['authorization'] ? 'bearer' : 'none');
          if (sent.length === 1) return void req.abort('connectionreset');
        }
        void req.continue();
      });
      await page.click(`${CONFIRM} button[data-action="approve"]`);
      const answers = await waitForAnswers(page, 2, 60_000);
      expect(sent).toEqual(['bearer', 'bearer']);
      expect(answers[1]!.state).toBe('complete');
      expect(answers[1]!.notes).toEqual([]);
      expect((await cardsOf(page, 1))[0]).toMatchObject({ title: 'Passed on to our billing team', facts: { Topic: 'Due-date extension', Invoice: 'IN7654320' } });
      expect((await confirmCards(page)).map((c) => c.state)).toEqual(['approved']);
      const followUps = await database.db.selectFrom('follow_ups').select(['reference', 'topic']).where('invoice_number', '=', 'IN7654320').execute();
      expect(followUps).toEqual([{ reference: expect.any(String), topic: 'extension' }]);
      expect(page.errors.filter((e) => !e.includes('net::ERR_CONNECTION_RESET'))).toEqual([]);
      await page.browserContext().close();
    },
    T,
  );
});
