import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { fixedClock } from '../../src/billing/dates.js';
import { FIXTURE_ACCOUNTS } from '../../src/billing/fixture.js';
import { testConfig, type Config } from '../../src/config.js';
import { recordSend } from '../../src/mail/send-log.js';
import { signSessionToken } from '../../src/identity/session.js';
import { PORTAL_COOKIE } from '../../src/web/portal/session.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { tempDir } from '../helpers/browser.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';

/**
 * Defect 8a: the development outbox needed no sign-in and listed every account's mail (with
 * working pay links, server paths and the PDFs). It now lives under the portal session at
 * /portal/dev/outbox and shows the signed-in account's mail only; elsewhere it is a 404.
 */

const PAGE = '/portal/dev/outbox';
const attachmentUrl = (id: string, position: number | string) => `${PAGE}/${id}/attachments/${position}`;

interface Sent {
  id: string;
  to: string;
  subject: string;
  secret: string;
}

/** One message in the outbox for `accountId`, recorded the way the mail service records it (an email_sends row, then the outbox). */
async function sendFor(t: TestApp, accountId: string, n: number): Promise<Sent> {
  const db = t.app.services.db;
  const to = `ap-${n}@${accountId.toLowerCase()}.example`;
  const secret = `marker-${accountId}-${n}-${randomUUID().slice(0, 8)}`;
  const subject = `Invoice IN76${String(n).padStart(5, '0')} for ${accountId}`;
  const at = new Date(`${TEST_TODAY}T12:00:0${n % 10}Z`);
  const sendId = await recordSend(db, {
    req: { accountId, userId: `u@${accountId}`, conversationId: null, invoiceNumber: `IN76${String(n).padStart(5, '0')}`, to },
    recipient: to,
    status: 'sent',
    at,
  });
  const { id } = await t.app.services.mail.mailer.send({
    from: 'Billing <billing@example.test>',
    to,
    subject,
    text: `Pay at http://localhost:3000/pay/v1.${secret}`,
    html: `<p>${secret}</p>`,
    attachments: [
      { filename: `${secret}-a.pdf`, contentType: 'application/pdf', content: Buffer.from(`%PDF-1.4 ${secret} first`) },
      { filename: `${secret}-b.pdf`, contentType: 'application/pdf', content: Buffer.from(`%PDF-1.4 ${secret} second`) },
    ],
    idempotencyKey: `test-${secret}`,
    sendId,
  });
  return { id, to, subject, secret };
}

async function cookieFor(config: Config, accountId: string): Promise<{ cookie: string }> {
  const fx = FIXTURE_ACCOUNTS.find((a) => a.id === accountId)!;
  const token = await signSessionToken(config, { accountId, userId: fx.user, userName: fx.userName });
  return { cookie: `${PORTAL_COOKIE}=${token}` };
}

describe('dev outbox: behind the portal session, one account at a time', () => {
  let t: TestApp;
  let config: Config;
  let dir: string;
  let a: Sent[];
  let b: Sent[];
  let orphan: string;

  beforeAll(async () => {
    dir = tempDir('outbox-security-');
    t = await createTestApp({ OUTBOX_DIR: dir });
    config = t.app.services.config;
    a = [await sendFor(t, 'R10042', 1), await sendFor(t, 'R10042', 2)];
    b = [await sendFor(t, 'R20077', 3), await sendFor(t, 'R20077', 4)];
    // A message with no email_sends row belongs to no account: nobody sees it.
    orphan = `orphan-${randomUUID()}`;
    await t.app.services.mail.mailer.send({ from: 'x@example.test', to: `${orphan}@example.test`, subject: orphan, text: orphan, html: orphan, attachments: [], idempotencyKey: orphan });
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('without a session shows no mail: the page and its attachments send the browser to sign-in, the old path is gone', async () => {
    const urls = ['/dev/outbox', `/dev/outbox/${a[0]!.id}/attachments/0`, PAGE, attachmentUrl(a[0]!.id, 0), attachmentUrl(b[0]!.id, 1)];
    for (const url of urls) {
      for (const headers of [{}, { cookie: `${PORTAL_COOKIE}=not-a-token` }, { authorization: (await t.auth('R10042')).authorization }]) {
        const res = await t.app.inject({ method: 'GET', url, headers });
        expect([303, 404], `${url} ${JSON.stringify(headers)}`).toContain(res.statusCode);
        for (const s of [...a, ...b]) {
          expect(res.body).not.toContain(s.secret);
          expect(res.body).not.toContain(s.to);
        }
        if (url.startsWith('/portal/')) {
          expect(res.statusCode).toBe(303);
          expect(res.headers.location).toBe(`/portal/sign-in?next=${encodeURIComponent(url)}`);
        } else {
          expect(res.statusCode).toBe(404);
        }
      }
    }
  });

  it("a signed-in account sees its own mail and none of another account's, with no server paths", async () => {
    for (const [mine, theirs, account] of [
      [a, b, 'R10042'],
      [b, a, 'R20077'],
    ] as const) {
      const res = await t.app.inject({ method: 'GET', url: PAGE, headers: await cookieFor(config, account) });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      for (const s of mine) {
        expect(res.body).toContain(s.to);
        expect(res.body).toContain(s.secret);
        expect(res.body).toContain(`href="${attachmentUrl(s.id, 0)}"`);
        expect(res.body).toContain(`href="${attachmentUrl(s.id, 1)}"`);
      }
      for (const s of theirs) {
        expect(res.body).not.toContain(s.to);
        expect(res.body).not.toContain(s.secret);
        expect(res.body).not.toContain(s.id);
      }
      expect(res.body).not.toContain(orphan);
      expect(res.body).not.toContain(dir);
      expect(res.body).not.toMatch(/On disk/i);
      expect(res.body).not.toContain('href="/dev/outbox');
    }
  });

  it("downloads the account's own attachments; another account's message ids are a 404, as are unknown ones", async () => {
    const mine = await cookieFor(config, 'R10042');
    for (const position of [0, 1]) {
      const dl = await t.app.inject({ method: 'GET', url: attachmentUrl(a[1]!.id, position), headers: mine });
      expect(dl.statusCode).toBe(200);
      expect(dl.headers['content-type']).toBe('application/pdf');
      expect(dl.headers['x-content-type-options']).toBe('nosniff');
      expect(dl.rawPayload.toString()).toBe(`%PDF-1.4 ${a[1]!.secret} ${position === 0 ? 'first' : 'second'}`);
    }
    const notFound = [attachmentUrl(b[0]!.id, 0), attachmentUrl(b[1]!.id, 1), attachmentUrl(a[0]!.id, 2), attachmentUrl(randomUUID(), 0)];
    for (const url of notFound) {
      const res = await t.app.inject({ method: 'GET', url, headers: mine });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('%PDF');
      for (const s of b) expect(res.body).not.toContain(s.secret);
    }
    // And the other way round.
    const theirs = await cookieFor(config, 'R20077');
    expect((await t.app.inject({ method: 'GET', url: attachmentUrl(a[0]!.id, 0), headers: theirs })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: attachmentUrl(b[0]!.id, 0), headers: theirs })).statusCode).toBe(200);
  });

  it('attachment positions and ids are bounded: anything but a small decimal position or a UUID is refused, never a 500', async () => {
    const mine = await cookieFor(config, 'R10042');
    const id = a[0]!.id;
    for (const position of ['-1', '100', '1000000', '1e0', '0x1', '1.0', '+1', ' 1', '9'.repeat(400)]) {
      const res = await t.app.inject({ method: 'GET', url: attachmentUrl(id, encodeURIComponent(position)), headers: mine });
      // 400 from the parameter schema (or the framework's 414 for a parameter over its length limit).
      expect([400, 404, 414], position).toContain(res.statusCode);
      expect(res.body).not.toContain('%PDF');
    }
    for (const bad of ['not-a-uuid', `${id}x`, id.toUpperCase().replace(/-/g, '')]) {
      const res = await t.app.inject({ method: 'GET', url: attachmentUrl(bad, 0), headers: mine });
      expect([400, 404], bad).toContain(res.statusCode);
    }
  });
});

describe('dev outbox in production', () => {
  it('is a 404 on the old and the new paths, signed in or not', async () => {
    const database = await freshDatabase();
    // A production-mode config without the rest of production's requirements (not under test here).
    const config: Config = { ...testConfig({ FIXED_TODAY: TEST_TODAY }), NODE_ENV: 'production' };
    const app = await buildApp({ config, database, clock: fixedClock(TEST_TODAY) });
    try {
      await app.ready();
      const id = randomUUID();
      const signedIn = await cookieFor(config, 'R10042');
      for (const url of ['/dev/outbox', `/dev/outbox/${id}/attachments/0`, PAGE, attachmentUrl(id, 0)]) {
        for (const headers of [{}, signedIn]) {
          expect((await app.inject({ method: 'GET', url, headers })).statusCode, url).toBe(404);
        }
      }
    } finally {
      await app.close();
      await database.close();
    }
  });
});
