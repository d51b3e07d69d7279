import fs from 'node:fs';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { PORTAL_COOKIE } from '../../src/web/portal/session.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { describeWithBrowser, tempDir } from '../helpers/browser.js';
import { freshDatabase } from '../helpers/db.js';
import { artifactPath, ask, launchBrowser, newPage, openWidget, runAxe, serious, signInWithCookie, startE2eApp, waitForAnswers, type E2eApp } from '../helpers/e2e.js';

/**
 * The Contacts tab (issue 12, must-show 2): on a phone, a billing contact outside the account's
 * verified domain is added through the page (after a refused address, which keeps what was typed),
 * another is removed through "Remove x?", the API and the audit log agree, and then the assistant
 * emails an invoice to the added address. Then the forms' cross-site request forgery checks,
 * through app.inject (no browser needed).
 */

const T = 120_000;
const PHONE = { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 1 };
const PARTNER = 'payables@partner-firm.example';
const FORMER = 'old-books@former-accountant.example';
const CONTACTS = '/portal/billing/contacts';

/** The contacts the page lists, by address. */
const listed = (page: Page) => page.$$eval('tr[data-contact]', (trs) => trs.map((tr) => tr.getAttribute('data-contact')));

/** What the add form shows: the values, the error (if any) and whether the field is marked invalid. */
function formState(page: Page) {
  return page.evaluate(() => ({
    email: document.querySelector<HTMLInputElement>('#email')!.value,
    name: document.querySelector<HTMLInputElement>('#name')!.value,
    error: document.querySelector('#email-error')?.textContent ?? null,
    invalid: document.querySelector('#email')!.getAttribute('aria-invalid'),
    summary: document.querySelector('.error-summary')?.textContent?.replace(/\s+/g, ' ').trim() ?? null,
  }));
}

/** Fills the add form (replacing what is there) and submits it; the page's response status. */
async function submitContact(page: Page, email: string, name = ''): Promise<number> {
  await page.$eval('#email', (el) => ((el as HTMLInputElement).value = ''));
  await page.type('#email', email);
  await page.$eval('#name', (el) => ((el as HTMLInputElement).value = ''));
  if (name) await page.type('#name', name);
  const [res] = await Promise.all([page.waitForNavigation(), page.tap('form.card-form button[type="submit"]')]);
  return res!.status();
}

describeWithBrowser('the Contacts tab in a browser, then the assistant emails the added contact', () => {
  let database: Database;
  let e2e: E2eApp;
  let browser: Browser;
  let outboxDir: string;

  beforeAll(async () => {
    database = await freshDatabase();
    outboxDir = tempDir('outbox-portal-contacts-');
    e2e = await startE2eApp({ database, env: { OUTBOX_DIR: outboxDir, RATE_LIMIT_CONTACT_WRITES_PER_MINUTE: '1000' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await e2e?.close();
    await database?.close();
    if (outboxDir) fs.rmSync(outboxDir, { recursive: true, force: true });
  }, T);

  it(
    'adds a contact at another domain (a refused address first keeps what was typed), removes one through "Remove x?", and the API, the audit log and the assistant agree',
    async () => {
      const page = await newPage(browser, PHONE);
      await signInWithCookie(page, e2e, 'R10042');
      await page.goto(`${e2e.baseUrl}/portal/billing`);
      await Promise.all([page.waitForNavigation(), page.tap(`nav.tabs a[href="${CONTACTS}"]`)]);
      expect(new URL(page.url()).pathname).toBe(CONTACTS);
      expect(await page.$eval('nav.tabs a[aria-current="page"]', (a) => a.textContent)).toBe('Contacts');
      expect(await listed(page)).toEqual(['accounting@mycompany.com', 'ap@mycompany.com']);
      expect(await page.$$eval('ul.domains li', (lis) => lis.map((li) => li.textContent))).toEqual(['mycompany.com']);
      expect(serious(await runAxe(page))).toEqual([]);

      // A refused address: the page says why, in the page, and keeps both fields as typed.
      expect(await submitContact(page, 'payables at partner-firm', 'Partner AP')).toBe(400);
      expect(await formState(page)).toEqual({
        email: 'payables at partner-firm',
        name: 'Partner AP',
        error: 'Error: Enter one email address, such as payables@yourcompany.com.',
        invalid: 'true',
        summary: 'The contact was not added Enter one email address, such as payables@yourcompany.com.',
      });
      expect(await page.title()).toMatch(/^Error: Contacts/);
      expect(serious(await runAxe(page))).toEqual([]);
      await page.screenshot({ path: artifactPath('portal-contacts-error-phone.png'), fullPage: true });

      // Corrected: added, back on the list (post/redirect/get) with a notice.
      expect(await submitContact(page, PARTNER, 'Partner AP')).toBe(200);
      expect(new URL(page.url()).search).toMatch(/^\?added=\d+$/);
      expect(await page.$eval('p.done', (p) => p.textContent)).toBe(`${PARTNER} is now a billing contact: invoices can be emailed to it.`);
      expect(await listed(page)).toEqual(['accounting@mycompany.com', 'ap@mycompany.com', PARTNER]);
      expect(await page.$eval(`tr[data-contact="${PARTNER}"] [data-label="Name"]`, (td) => td.textContent)).toBe('Partner AP');
      expect(await page.$eval(`tr[data-contact="${PARTNER}"] [data-label="Added"]`, (td) => td.textContent)).toMatch(/ by jordan@mycompany\.com$/);

      // The same address again: "already a contact", and the form keeps it.
      expect(await submitContact(page, PARTNER.toUpperCase())).toBe(409);
      expect(await formState(page)).toMatchObject({ email: PARTNER.toUpperCase(), error: 'Error: That address is already a billing contact.', invalid: 'true' });

      // A second outside address, then removed: Cancel first changes nothing, then Remove.
      expect(await submitContact(page, FORMER)).toBe(200);
      expect(await listed(page)).toEqual(['accounting@mycompany.com', 'ap@mycompany.com', FORMER, PARTNER]); // by address
      await Promise.all([page.waitForNavigation(), page.tap(`tr[data-contact="${FORMER}"] a.button`)]);
      expect(await page.$eval('main h2', (h) => h.textContent)).toBe(`Remove ${FORMER}?`);
      expect(await page.$eval('main h2 + p', (p) => p.textContent)).toContain('Invoices will no longer be emailed to this address');
      expect(serious(await runAxe(page))).toEqual([]);
      await page.screenshot({ path: artifactPath('portal-contacts-remove-phone.png'), fullPage: true });
      await Promise.all([page.waitForNavigation(), page.tap('form.actions a.secondary')]);
      expect(await listed(page)).toContain(FORMER);
      await Promise.all([page.waitForNavigation(), page.tap(`tr[data-contact="${FORMER}"] a.button`)]);
      await Promise.all([page.waitForNavigation(), page.tap('form.actions button.danger')]);
      expect(new URL(page.url()).search).toBe('?removed=1');
      expect(await page.$eval('p.done', (p) => p.textContent)).toContain('The contact was removed');
      expect(await listed(page)).toEqual(['accounting@mycompany.com', 'ap@mycompany.com', PARTNER]);
      await page.screenshot({ path: artifactPath('portal-contacts-phone.png'), fullPage: true });
      // The refused submissions were answered 400 and 409, on purpose; nothing else failed.
      expect(page.errors.filter((e) => !/^http (400|409): POST .*\/portal\/billing\/contacts$/.test(e))).toEqual([]);

      // The API sees the same list.
      const api = await fetch(`${e2e.baseUrl}/v1/billing/contacts`, { headers: { authorization: `Bearer ${await e2e.token('R10042')}` } });
      const body = (await api.json()) as { items: Array<{ email: string; name: string | null; createdBy: string | null }>; verifiedDomains: string[] };
      expect(body.items.map((c) => c.email)).toEqual(['accounting@mycompany.com', 'ap@mycompany.com', PARTNER]);
      expect(body.items.find((c) => c.email === PARTNER)).toMatchObject({ name: 'Partner AP', createdBy: 'jordan@mycompany.com' });
      expect(body.verifiedDomains).toEqual(['mycompany.com']);

      // The audit log: every attempt, by the signed-in user, refused ones included.
      const audit = await database.db
        .selectFrom('audit_log')
        .select(['actor_type', 'actor_id', 'account_id', 'action', 'outcome', 'details'])
        .where('action', 'like', 'contact.%')
        .orderBy('id')
        .execute();
      expect(audit.map((r) => [r.actor_type, r.actor_id, r.account_id, r.action, r.outcome, (r.details as { email?: string } | null)?.email ?? null])).toEqual([
        ['user', 'jordan@mycompany.com', 'R10042', 'contact.add', 'invalid_email', null],
        ['user', 'jordan@mycompany.com', 'R10042', 'contact.add', 'ok', PARTNER],
        ['user', 'jordan@mycompany.com', 'R10042', 'contact.add', 'exists', PARTNER],
        ['user', 'jordan@mycompany.com', 'R10042', 'contact.add', 'ok', FORMER],
        ['user', 'jordan@mycompany.com', 'R10042', 'contact.remove', 'ok', FORMER],
      ]);

      // The assistant, in the widget on this page: the added address now receives the invoice...
      await openWidget(page);
      await ask(page, `Email a PDF copy of IN7654321 to ${PARTNER}`);
      const answers = await waitForAnswers(page, 1, 60_000);
      expect(answers[0]!.state).toBe('complete');
      const sent = await database.db
        .selectFrom('outbox')
        .innerJoin('email_sends', 'email_sends.id', 'outbox.email_send_id')
        .leftJoin('outbox_attachments', 'outbox_attachments.outbox_id', 'outbox.id')
        .select(['outbox.to_address', 'email_sends.invoice_number', 'email_sends.status', 'outbox_attachments.filename', 'outbox_attachments.content_type'])
        .execute();
      expect(sent).toEqual([{ to_address: PARTNER, invoice_number: 'IN7654321', status: 'sent', filename: 'IN7654321.pdf', content_type: 'application/pdf' }]);
      // ...and the removed one does not.
      await ask(page, `Email a PDF copy of IN7654321 to ${FORMER}`);
      const after = await waitForAnswers(page, 2, 60_000);
      expect(after[1]!.text).toContain(FORMER);
      const toFormer = await database.db.selectFrom('outbox').select('id').where('to_address', '=', FORMER).execute();
      expect(toFormer).toEqual([]);
      await page.close();
    },
    T,
  );
});

describe('the Contacts forms: cross-site requests refused, the limit and lengths said in the page (app.inject)', () => {
  let t: TestApp;
  let cookie: string;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp();
    cookie = `${PORTAL_COOKIE}=${await t.token('R10042', 'jordan@mycompany.com')}`;
    token = await formToken(cookie);
  });
  afterAll(async () => t?.close());

  /** The form token a Contacts page carries for this cookie. */
  async function formToken(c: string): Promise<string> {
    const res = await t.app.inject({ method: 'GET', url: CONTACTS, headers: { cookie: c } });
    expect(res.statusCode).toBe(200);
    return /name="csrf" value="([^"]+)"/.exec(res.body)![1]!;
  }

  const post = (url: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: new URLSearchParams(form).toString() });

  const contacts = () => t.database.db.selectFrom('billing_contacts').select(['id', 'email']).where('account_id', '=', 'R10042').orderBy('email').execute();
  const contactAudit = () => t.database.db.selectFrom('audit_log').select('id').where('action', 'like', 'contact.%').execute();

  it('an add without the token, with a wrong one, with another session\'s, or from another site is a 403 that changes and records nothing', async () => {
    const before = await contacts();
    const other = await formToken(`${PORTAL_COOKIE}=${await t.token('R10042', 'someone-else@mycompany.com')}`);
    expect(other).not.toBe(token);
    const attempts = [
      post(CONTACTS, { email: PARTNER }),
      post(CONTACTS, { email: PARTNER, csrf: '' }),
      post(CONTACTS, { email: PARTNER, csrf: `${token.slice(0, -2)}AA` }),
      post(CONTACTS, { email: PARTNER, csrf: other }),
      post(CONTACTS, { email: PARTNER, csrf: token }, { origin: 'https://attacker.example' }),
      // What our own no-referrer pages send is "Origin: null": the browser's Sec-Fetch-Site decides.
      post(CONTACTS, { email: PARTNER, csrf: token }, { origin: 'null', 'sec-fetch-site': 'cross-site' }),
      post(CONTACTS, { email: PARTNER, csrf: token }, { 'sec-fetch-site': 'cross-site' }),
      // Another port of the same host is the same site, not the same origin.
      post(CONTACTS, { email: PARTNER, csrf: token }, { 'sec-fetch-site': 'same-site' }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('This form could not be accepted');
      expect(res.body).toContain('Nothing was changed.');
    }
    expect(await contacts()).toEqual(before);
    expect(await contactAudit()).toEqual([]);
  });

  it('a removal without the token or with a wrong one is a 403 and the contact stays; with it (and our origin), it is removed', async () => {
    const [first] = await contacts();
    const url = `${CONTACTS}/${first!.id}/remove`;
    for (const form of [{ confirm: 'yes' }, { confirm: 'yes', csrf: 'x'.repeat(43) }] as Array<Record<string, string>>) {
      const res = await post(url, form);
      expect(res.statusCode).toBe(403);
    }
    expect((await post(url, { confirm: 'yes', csrf: token }, { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect((await contacts()).map((c) => c.id)).toContain(first!.id);
    expect(await contactAudit()).toEqual([]);

    // Without confirm=yes: the confirmation page, nothing removed.
    const ask = await post(url, { csrf: token });
    expect(ask.statusCode).toBe(200);
    expect(ask.body).toContain(`Remove <span class="email">${first!.email}</span>?`);
    expect((await contacts()).map((c) => c.id)).toContain(first!.id);

    const ok = await post(url, { confirm: 'yes', csrf: token }, { origin: 'http://localhost:3000', 'sec-fetch-site': 'same-origin' });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`${CONTACTS}?removed=1`);
    expect((await contacts()).map((c) => c.id)).not.toContain(first!.id);
  });

  it('the limit and an over-long name are said in the page, with what was typed kept', async () => {
    // R40010 has one contact: fill it up to the limit behind the page's back.
    const limitCookie = `${PORTAL_COOKIE}=${await t.token('R40010', 'pat@clearwater.systems')}`;
    const limitToken = await formToken(limitCookie);
    await t.database.db
      .insertInto('billing_contacts')
      .values(Array.from({ length: 49 }, (_, i) => ({ account_id: 'R40010', email: `filler${i}@clearwater.systems`, name: null })))
      .execute();
    const headers = { cookie: limitCookie };
    const full = await post(CONTACTS, { email: PARTNER, name: 'Partner AP', csrf: limitToken }, headers);
    expect(full.statusCode).toBe(409);
    expect(full.body).toContain('An account can have at most 50 billing contacts: remove one before adding another.');
    expect(full.body).toContain(`value="${PARTNER}"`);
    expect(full.body).toContain('value="Partner AP"');
    const long = await post(CONTACTS, { email: PARTNER, name: 'N'.repeat(121), csrf: limitToken }, headers);
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('A name has at most 120 characters.');
    expect(long.body).toContain(`value="${'N'.repeat(121)}"`);
    const count = await t.database.db.selectFrom('billing_contacts').select((eb) => eb.fn.countAll<string>().as('n')).where('account_id', '=', 'R40010').executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(50);
  });

  it('another account\'s contact is not found, to look at or to remove', async () => {
    const theirs = await t.database.db.selectFrom('billing_contacts').select('id').where('account_id', '=', 'R20077').executeTakeFirstOrThrow();
    const url = `${CONTACTS}/${theirs.id}/remove`;
    expect((await t.app.inject({ method: 'GET', url, headers: { cookie } })).statusCode).toBe(404);
    expect((await post(url, { confirm: 'yes', csrf: token })).statusCode).toBe(404);
    expect(await t.database.db.selectFrom('billing_contacts').select('id').where('id', '=', theirs.id).execute()).toHaveLength(1);
  });
});
