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
  describe('in French (Accept-Language, or a lang parameter outside the signature)', () => {
    const NBSP = '\u00a0';
    const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
    const FR_PAY_FORM = /<form method="post" action="\/pay\/([A-Za-z0-9._-]+)\/checkout">\s*<button class="button" type="submit">Payer ([\d\u00a0,]+\u00a0\$) maintenant<\/button>/;

    it('Accept-Language: fr-CA shows the invoice in French: Payer with a French amount, French dates and status', async () => {
      const token = payToken('IN7654321');
      const res = await t.app.inject({ url: `/pay/${token}`, headers: { 'accept-language': 'fr-CA,fr;q=0.9' } });
      expect(res.statusCode).toBe(200);
      expectPageHeaders(res);
      const body = res.body;
      expect(body).toContain('<html lang="fr-CA">');
      expect(body).toContain('<title>Facture IN7654321</title>');
      expect(body).toMatch(/<h1>Facture IN7654321 <span class="status status-overdue">En retard<\/span><\/h1>/);
      expect(body).toContain('Émise le 21 oct. 2026 · Échéance le 20 nov. 2026');
      expect(body).toContain(`(4 × 308,64${NBSP}$)`);
      expect(body).toMatch(new RegExp(`Montant dû \\(CAD\\)</th><td class="num"><strong>1${NBSP}234,56${NBSP}\\$</strong>`));
      const form = FR_PAY_FORM.exec(body);
      expect(form?.[1]).toBe(token);
      expect(form?.[2]).toBe(`1${NBSP}234,56${NBSP}$`);
      expect(body).toContain('Nous ne demandons jamais les données de carte dans le clavardage ni par courriel.');
      // No lang parameter: the form posts no language of its own (the next page reads the header again).
      expect(body).not.toContain('name="lang"');
      for (const english of ['Pay ', 'Amount due', 'Issued', 'Overdue']) expect(body, english).not.toContain(english);
    });

    it('what was paid and credited, in French', async () => {
      const partial = await t.app.inject({ url: `/pay/${payToken('IN7654322')}`, headers: { 'accept-language': 'fr' } });
      expect(partial.body).toMatch(new RegExp(`Paiements</th><td class="num">−500,00${NBSP}\\$`));
      expect(partial.body).toContain('En retard (partiellement payée)');
      expect(FR_PAY_FORM.exec(partial.body)?.[2]).toBe(`480,00${NBSP}$`);
      const paid = await t.app.inject({ url: `/pay/${payToken('IN7653310')}`, headers: { 'accept-language': 'fr-CA' } });
      expect(paid.body).toMatch(new RegExp(`Crédits</th><td class="num">−120,00${NBSP}\\$`));
      expect(paid.body).toContain('Aucun montant n’est dû sur cette facture.');
      expect(paid.body).toMatch(/status-paid">Payée</);
    });

    it('a lang parameter wins over Accept-Language, is carried by the Pay form, and is not part of the signature', async () => {
      const token = payToken('IN7654321');
      for (const lang of ['fr-CA', 'fr']) {
        const res = await t.app.inject({ url: `/pay/${token}?lang=${lang}`, headers: { 'accept-language': 'en-CA' } });
        expect(res.statusCode, lang).toBe(200);
        expect(FR_PAY_FORM.exec(res.body)?.[1], lang).toBe(token);
        expect(res.body, lang).toContain('<input type="hidden" name="lang" value="fr-CA">');
      }
      const english = await t.app.inject({ url: `/pay/${token}?lang=en-CA`, headers: { 'accept-language': 'fr-CA' } });
      expect(PAY_FORM.exec(english.body)?.[2]).toBe('$1,234.56');
      // Anything else is ignored: the header decides.
      for (const junk of ['de-DE', '<script>', 'fr-CA-x']) {
        const res = await t.app.inject({ url: `/pay/${token}?lang=${encodeURIComponent(junk)}`, headers: { 'accept-language': 'en-CA' } });
        expect(res.statusCode, junk).toBe(200);
        expect(PAY_FORM.exec(res.body)?.[2], junk).toBe('$1,234.56');
        expect(res.body, junk).not.toContain('name="lang"');
      }
    });

    it('bad links are refused in French too', async () => {
      const expired = await t.app.inject({ url: `/pay/${payToken('IN7654321', 'R10042', -60)}`, headers: { 'accept-language': 'fr-CA' } });
      expect(expired.statusCode).toBe(403);
      expect(expired.body).toContain('<h1>Ce lien de paiement a expiré</h1>');
      expect(expired.body).toContain('Demandez-en un nouveau à l’Assistant de facturation (par exemple «\u00a0Payer la facture IN7654321\u00a0»)');
      expect(expired.body).toContain('<strong>Facturation → Factures</strong>');
      const { kid, payload, sig } = split(payToken('IN7654321'));
      const tampered = await t.app.inject({ url: `/pay/v1.${kid}.${payload}.${sig.slice(0, 20)}?lang=fr-CA` });
      expect(tampered.statusCode).toBe(403);
      expect(tampered.body).toContain('<h1>Ce lien n’est pas valide</h1>');
      expect(tampered.body).not.toMatch(/IN7654321<|Maple Leaf|<form/);
    });

    it('Pay keeps the language through the sandbox checkout and back to the return page', async () => {
      const token = payToken('IN7654320');
      const paid = await t.app.inject({ method: 'POST', url: `/pay/${payToken('IN7650001')}/checkout`, headers: FORM, payload: 'lang=fr-CA' });
      expect(paid.statusCode).toBe(409);
      expect(paid.body).toContain('<h1>La facture IN7650001 est déjà payée</h1>');

      const start = await t.app.inject({ method: 'POST', url: `/pay/${token}/checkout`, headers: FORM, payload: 'lang=fr-CA' });
      expect(start.statusCode).toBe(303);
      const sandboxUrl = new URL(String(start.headers.location), 'http://localhost');
      expect(sandboxUrl.pathname).toMatch(/^\/sandbox\/checkout\/cs_sandbox_/);
      expect(sandboxUrl.searchParams.get('lang')).toBe('fr-CA');
      const sandbox = await t.app.inject({ url: `${sandboxUrl.pathname}${sandboxUrl.search}` });
      expect(sandbox.statusCode).toBe(200);
      expect(sandbox.body).toContain('<html lang="fr-CA">');
      expect(sandbox.body).toContain('<h1>Paiement en bac à sable</h1>');
      expect(sandbox.body).toContain(`Réussite${NBSP}: payer 640,00${NBSP}$`);
      expect(sandbox.body).toContain('<input type="hidden" name="lang" value="fr-CA">');
      // Without a lang parameter the sandbox page follows Accept-Language.
      const byHeader = await t.app.inject({ url: sandboxUrl.pathname, headers: { 'accept-language': 'en-CA' } });
      expect(byHeader.body).toContain('<h1>Sandbox checkout</h1>');

      const done = await t.app.inject({ method: 'POST', url: sandboxUrl.pathname, headers: FORM, payload: 'outcome=success&lang=fr-CA' });
      expect(done.statusCode).toBe(303);
      const back = String(done.headers.location);
      expect(back).toMatch(/^\/pay\/return\?session_id=cs_sandbox_[A-Za-z0-9]+&lang=fr-CA$/);
      const ret = await t.app.inject({ url: back });
      expect(ret.statusCode).toBe(200);
      expect(ret.body).toContain('<h1>La facture IN7654320 est payée</h1>');
      expect(ret.body).toContain('Voir la facture IN7654320');
      expect(ret.body).toContain('Tableau de bord de facturation');
      expect(ret.body).toMatch(/status-paid">Payée</);
      const unknown = await t.app.inject({ url: '/pay/return?session_id=cs_sandbox_nothing', headers: { 'accept-language': 'fr-CA' } });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.body).toContain('Nous n’avons pas trouvé ce paiement');
    });
  });
});
