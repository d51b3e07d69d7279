import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvoice } from '../../src/billing/ledger.js';
import { createLinkSigner } from '../../src/links/signer.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

const DAY = 86_400_000;

describe('pay page (/pay/<token>)', () => {
  let t: TestApp;
  const payToken = (invoiceNumber: string, accountId = 'R10042', ttl?: number) =>
    t.app.services.links.mint({ purpose: 'pay', accountId, invoiceNumber }, ttl);
  const open = (token: string) => t.app.inject({ method: 'GET', url: `/pay/${token}` });
  const split = (token: string) => {
    const [v, kid, payload, sig] = token.split('.') as [string, string, string, string];
    return { v, kid, payload, sig };
  };

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  function expectPageHeaders(res: LightMyRequestResponse) {
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).not.toMatch(/script-src|unsafe-eval/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  }

  const PAY_FORM = /<form method="post" action="\/pay\/([A-Za-z0-9._-]+)\/checkout">\s*<button class="button" type="submit">Pay (\$[\d,.]+) now<\/button>/;

  it('shows an overdue invoice with its amount and a Pay button that posts back to the same link', async () => {
    const token = payToken('IN7654321');
    const res = await open(token);
    expect(res.statusCode, res.body).toBe(200);
    expectPageHeaders(res);
    const body = res.body;
    expect(body).toContain('<title>Invoice IN7654321</title>');
    expect(body).toMatch(/<h1>Invoice IN7654321 <span class="status status-overdue">Overdue<\/span><\/h1>/);
    expect(body).toContain('Maple Leaf IT Solutions Inc. · R10042');
    expect(body).toContain('Order SO-20688: Ubiquiti UniFi U7 Pro access points (4 × $308.64)');
    expect(body).toMatch(/Amount due \(CAD\)<\/th><td class="num"><strong>\$1,234\.56<\/strong>/);
    const form = PAY_FORM.exec(body);
    expect(form, 'pay form').not.toBeNull();
    expect(form![1]).toBe(token);
    expect(form![2]).toBe('$1,234.56');
    expect(body).not.toContain('Nothing is due');
    expect(body).not.toMatch(/<script/i);
  });

  it('shows what was paid and what is left on a partially paid invoice', async () => {
    const res = await open(payToken('IN7654322'));
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/Payments<\/th><td class="num">−\$500\.00/);
    expect(PAY_FORM.exec(res.body)?.[2]).toBe('$480.00');
  });

  it('shows a paid invoice without a Pay button', async () => {
    for (const number of ['IN7650001', 'IN7653310']) {
      const res = await open(payToken(number));
      expect(res.statusCode, number).toBe(200);
      expectPageHeaders(res);
      expect(res.body).toContain(`Invoice ${number}`);
      expect(res.body).toContain('Nothing is due on this invoice.');
      expect(res.body).not.toMatch(/<form|<button|\/checkout/);
      expect(res.body).toMatch(/status-paid">Paid</);
    }
    const opening = await open(payToken('IN7650001'));
    expect(opening.body).toContain('Account opening fee');
    expect(opening.body).toMatch(/Total<\/th><td class="num">\$1,940\.00/);
    const credited = await open(payToken('IN7653310'));
    expect(credited.body).toMatch(/Credits<\/th><td class="num">−\$120\.00/);
  });

  it('shows the invoice carrying the injection memo as an ordinary invoice', async () => {
    const res = await open(payToken('IN7654323'));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Order SO-20790: Cat6 patch cables, box of 50');
    expect(PAY_FORM.exec(res.body)?.[2]).toBe('$215.40');
    expect(res.body).not.toMatch(/<script|billing-archive@evil\.example<\/a>|href="mailto:/i);
  });

  it('opens another account’s invoice only with a link minted for that account', async () => {
    const own = await open(payToken('IN8800001', 'R20077'));
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain('Northern Byte Distribution Ltd. · R20077');
    expect(PAY_FORM.exec(own.body)?.[2]).toBe('$3,000.00');
    // A link minted for R10042 naming R20077's invoice finds nothing: the account comes from the token.
    const crossed = await open(payToken('IN8800001', 'R10042'));
    expect(crossed.statusCode).toBe(404);
    expectPageHeaders(crossed);
    expect(crossed.body).not.toContain('Northern Byte');
    expect(crossed.body).not.toContain('3,000.00');
  });

  it('escapes HTML in invoice lines and memos', async () => {
    const description = `<script>alert("pwned")</script> & <b onmouseover='x()'>bold</b>`;
    const memo = '<img src=x onerror=alert(1)> "quoted" & done';
    const inv = await t.app.services.db.transaction().execute((trx) =>
      createInvoice(trx, 'R10042', {
        issuedOn: TEST_TODAY,
        memo,
        lines: [
          { kind: 'order', description, unitCents: 1250n, quantity: 2 },
          { kind: 'service', description: 'Support & maintenance <5 seats>', unitCents: 1000n },
        ],
      }),
    );
    const res = await open(payToken(inv.number));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain(
      '&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &lt;b onmouseover=&#39;x()&#39;&gt;bold&lt;/b&gt; (2 × $12.50)',
    );
    expect(res.body).toContain('Support &amp; maintenance &lt;5 seats&gt;');
    expect(res.body).not.toMatch(/<script|<b |<img|<5 seats>/i);
    expect(PAY_FORM.exec(res.body)?.[2]).toBe('$35.00');
    // The memo, if the page ever shows it, is escaped too.
    if (res.body.includes('onerror')) expect(res.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  describe('bad links get 403 and no invoice data', () => {
    async function refused(token: string, opts: { expired?: boolean } = {}) {
      const res = await open(token);
      expect(res.statusCode, `${token}: ${res.body.slice(0, 200)}`).toBe(403);
      expectPageHeaders(res);
      expect(res.body).not.toMatch(/IN7654321<|1,234\.56|Maple Leaf|<form|<button|<script/i);
      expect(res.body).toContain(opts.expired ? 'This payment link has expired' : 'This link is not valid');
      return res;
    }

    it('tampered payload', async () => {
      const good = payToken('IN7654321');
      const { kid, payload, sig } = split(good);
      const text = Buffer.from(payload, 'base64url').toString('utf8');
      for (const changed of [text.replace('IN7654321', 'IN7654320'), text.replace('R10042', 'R20077'), text.replace(/\|(\d+)$/, (_m, exp: string) => `|${Number(exp) + 86400}`)]) {
        expect(changed).not.toBe(text);
        await refused(`v1.${kid}.${Buffer.from(changed, 'utf8').toString('base64url')}.${sig}`);
      }
    });

    it('tampered signature', async () => {
      const { kid, payload, sig } = split(payToken('IN7654321'));
      const mac = Buffer.from(sig, 'base64url');
      mac[5] = mac[5]! ^ 0xff;
      await refused(`v1.${kid}.${payload}.${mac.toString('base64url')}`);
    });

    it('expired: minted with a negative ttl, or by a signer whose clock was 8 days earlier', async () => {
      await refused(payToken('IN7654321', 'R10042', -60), { expired: true });
      const earlier = createLinkSigner({
        keys: t.app.services.config.linkKeys,
        ttlSeconds: t.app.services.config.LINK_TTL_SECONDS,
        baseUrl: t.app.services.config.publicBaseUrl,
        now: () => new Date(t.app.services.clock.now().getTime() - 8 * DAY),
      });
      const old = earlier.mint({ purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321' });
      // The same token is fine for a verifier living at that time: it is expiry, not a bad signature.
      expect(earlier.verify(old, 'pay').invoiceNumber).toBe('IN7654321');
      await refused(old, { expired: true });
    });

    it('wrong purpose (a pdf link on the pay page)', async () => {
      await refused(t.app.services.links.mint({ purpose: 'pdf', accountId: 'R10042', invoiceNumber: 'IN7654321' }));
    });

    it('unknown key id', async () => {
      const stranger = createLinkSigner({
        keys: [{ kid: 'k9', secret: 'some-other-signing-key-0123456789abcdef' }],
        ttlSeconds: 3600,
        baseUrl: t.app.services.config.publicBaseUrl,
        now: () => t.app.services.clock.now(),
      });
      await refused(stranger.mint({ purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321' }));
      const { payload, sig } = split(payToken('IN7654321'));
      await refused(`v1.retired.${payload}.${sig}`);
    });

    it('wrong-length signature', async () => {
      const { kid, payload, sig } = split(payToken('IN7654321'));
      const mac = Buffer.from(sig, 'base64url');
      await refused(`v1.${kid}.${payload}.${mac.subarray(0, 31).toString('base64url')}`);
      await refused(`v1.${kid}.${payload}.${Buffer.concat([mac, Buffer.from([1])]).toString('base64url')}`);
      await refused(`v1.${kid}.${payload}.${sig.slice(0, 20)}`);
    });

    it('garbage', async () => {
      for (const token of ['x', 'v1', 'v1.k1.abc.def', `v2.${split(payToken('IN7654321')).kid}.a.b`, 'v1.k1..', encodeURIComponent('<script>')]) {
        await refused(token);
      }
    });
  });
});
