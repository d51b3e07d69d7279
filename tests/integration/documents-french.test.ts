import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/billing/dates.js';
import type { InvoiceDetail } from '../../src/billing/queries.js';
import { createBillingService, type BillingService } from '../../src/billing/service.js';
import { testConfig } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import { invoiceCss, INVOICE_CSS, renderInvoiceHtml } from '../../src/documents/invoice-html.js';
import { signSessionToken, type Session } from '../../src/identity/session.js';
import { composeInvoiceMessage } from '../../src/mail/invoice-message.js';
import { createOutboxMailer } from '../../src/mail/outbox.js';
import { createServices } from '../../src/services.js';
import { emailInvoicePdf } from '../../tools/emailInvoicePdf.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { describeWithBrowser, looksLikePdf, pdfInfo, pdfText, tempDir } from '../helpers/browser.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';
import { emailSends, outboxAttachments, outboxRows, stubRenderer, type ReplyJson } from '../helpers/mail.js';
import { call, ScriptedModel, text, tools } from '../helpers/scripted-model.js';

/**
 * The invoice PDF and email in the requester's locale (French issue, Must show 3): fr-CA words
 * from the catalogue, Intl's French money (`1 234,56 $`, U+00A0) and dates (`20 nov. 2026`),
 * French status labels, `<html lang="fr-CA">`; the PDF downloaded through the API with a fr-CA
 * token reads "Facture"; the French email lands in the outbox with a French PDF. English output
 * stays as it was (the existing documents and mail suites).
 */

const NBSP = '\u00a0';
const PAY_URL = 'http://localhost:3000/pay/v1.k1.cGF5.c2ln';
const config = testConfig({ FIXED_TODAY: TEST_TODAY });
/** English words of the template that must not survive in a French document. */
const ENGLISH = ['Invoice ', 'Bill to', 'Issued', 'Amount due', 'Unit price', 'Pay online', 'Pay securely', 'Questions about', 'Generated', 'Payments applied', 'Overdue'];

function frenchToken(accountId = 'R10042', locale: 'fr-CA' | 'en-CA' | null = 'fr-CA'): Promise<string> {
  return signSessionToken(config, { accountId, userId: 'jordan@mycompany.com', locale });
}

describe('the invoice document and email in fr-CA (no browser)', () => {
  let database: Database;
  let billing: BillingService;
  beforeAll(async () => {
    database = await freshDatabase();
    billing = createBillingService({ db: database.db, clock: fixedClock(TEST_TODAY) });
  });
  afterAll(async () => {
    await database?.close();
  });

  async function invoice(n: string): Promise<InvoiceDetail> {
    const inv = await billing.invoice('R10042', n);
    if (!inv) throw new Error(`fixture invoice ${n} missing`);
    return inv;
  }

  it('IN7654321 (overdue): French labels, amounts, dates and status, lang="fr-CA", no English left', async () => {
    const html = renderInvoiceHtml(await invoice('IN7654321'), {
      locale: 'fr-CA',
      payUrl: PAY_URL,
      payUrlExpiresAt: new Date('2026-12-02T12:00:00Z'),
      generatedAt: new Date('2026-11-25T12:00:00Z'),
    });
    expect(html).toMatch(/^<!doctype html>\n<html lang="fr-CA">/);
    expect(html).toContain('<title>Facture IN7654321 · Maple Leaf IT Solutions Inc. · Randmar</title>');
    expect(html).toContain('<div class="sub">Portail des revendeurs · Facturation</div>');
    expect(html).toContain('<h1>Facture IN7654321</h1>');
    expect(html).toContain('<span class="status status-overdue">En retard</span>');
    expect(html).toContain('<h2>Facturer à</h2>');
    expect(html).toContain('Compte R10042');
    expect(html).toContain('<dt>Date de facturation</dt><dd>21 oct. 2026</dd>');
    expect(html).toContain('<dt>Échéance</dt><dd>20 nov. 2026</dd>');
    expect(html).toContain('<dt>Statut</dt><dd>En retard</dd>');
    expect(html).toContain('<th scope="col" class="num">Prix unitaire</th>');
    expect(html).toMatch(new RegExp(`<td class="num">4</td>\\s*<td class="num">308,64${NBSP}\\$</td>\\s*<td class="num">1${NBSP}234,56${NBSP}\\$</td>`));
    expect(html).toContain(`<tr><th colspan="4">Total</th><td class="num">1${NBSP}234,56${NBSP}$</td></tr>`);
    expect(html).toContain(`Montant dû (CAD)</th><td class="num"><strong>1${NBSP}234,56${NBSP}$</strong>`);
    expect(html).toContain('<h2>Payer en ligne</h2>');
    expect(html).toContain(`<strong>1${NBSP}234,56${NBSP}$</strong> à payer au plus tard le 20 nov. 2026 (en retard).`);
    expect(html).toContain(`Payer cette facture en toute sécurité${NBSP}: <a href="${PAY_URL}">${PAY_URL}</a>`);
    expect(html).toMatch(/Ce lien fonctionne jusqu’au 2 déc\. 2026, 0?7\sh\s00\sHNE/);
    expect(html).toMatch(/Produit le 25 nov\. 2026, 0?7\sh\s00\sHNE/);
    expect(html).toContain('Randmar · Facture IN7654321 · Maple Leaf IT Solutions Inc. (R10042)');
    for (const word of ENGLISH) expect(html, word).not.toContain(word);
  });

  it('IN7653310 (paid): payments and credits applied in French, the payment method translated, nothing to pay', async () => {
    const html = renderInvoiceHtml(await invoice('IN7653310'), { locale: 'fr-CA', payUrl: PAY_URL });
    expect(html).toContain('<h2>Paiements et crédits appliqués</h2>');
    expect(html).toMatch(new RegExp(`Paiement PAY-300188</td><td>24 oct\\. 2026</td><td>Carte de crédit</td><td class="num">−2${NBSP}195,75${NBSP}\\$`));
    expect(html).toMatch(new RegExp(`Note de crédit CM-100201</td><td>24 oct\\. 2026</td><td>Return of damaged dock \\(RMA-5521\\)</td><td class="num">−120,00${NBSP}\\$`));
    expect(html).toContain('Paiements appliqués</th>');
    expect(html).toContain('Crédits appliqués</th>');
    expect(html).toContain('<span class="status status-paid">Payée</span>');
    expect(html).toContain('<h2>Rien à payer</h2>');
    expect(html).toContain(`Cette facture est entièrement payée. Consultez-la en ligne${NBSP}: <a href="${PAY_URL}">`);
    for (const word of ENGLISH) expect(html, word).not.toContain(word);
  });

  it('the one-time fee, the portal fallback without a link, and escaping stay right in French', async () => {
    const opening = renderInvoiceHtml(await invoice('IN7650001'), { locale: 'fr-CA', payUrl: PAY_URL });
    expect(opening).toMatch(/Account opening fee[^<]*<span class="muted">\(frais unique\)<\/span>/);
    const base = await invoice('IN7654320');
    const hostile: InvoiceDetail = { ...base, accountName: '<script>alert(1)</script> & Cie', memo: '<img src=x onerror=alert(1)>' };
    const html = renderInvoiceHtml(hostile, { locale: 'fr-CA', payUrl: 'javascript:alert(1)' });
    expect(html).toContain('Payez-la à partir de Facturation → Factures dans le portail des revendeurs (Payer maintenant).');
    expect(html).not.toContain('javascript:');
    expect(html).not.toMatch(/<script|<img/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; Cie');
    expect(html).toContain('<h2>Note</h2>');
  });

  it("the phone layout's column labels follow the locale (CSS); the en-CA stylesheet is unchanged", () => {
    const fr = invoiceCss('fr-CA');
    expect(fr).toContain('td:nth-child(2)::before { content: "Référence"; }');
    expect(fr).toContain('td:nth-child(3)::before { content: "Qté"; }');
    expect(fr).toContain('td:nth-child(4)::before { content: "Prix unitaire"; }');
    expect(fr).toContain('td:nth-child(5)::before { content: "Montant"; }');
    expect(INVOICE_CSS).toBe(invoiceCss('en-CA'));
    expect(INVOICE_CSS).toContain('td:nth-child(3)::before { content: "Qty"; }');
  });

  it('the email in fr-CA: subject, text and HTML French, amounts and dates through Intl; en-CA unchanged', async () => {
    const inv = await invoice('IN7654321');
    const parts = { from: 'Randmar <billing@randmar.example>', to: 'accounting@mycompany.com', requestedBy: 'jordan@mycompany.com', payUrl: PAY_URL, pdf: { filename: 'IN7654321.pdf', pdf: Buffer.from('%PDF') }, sendId: 's1', idempotencyKey: 'k1' };
    const fr = composeInvoiceMessage(inv, { ...parts, locale: 'fr-CA' });
    expect(fr.subject).toBe(`Facture Randmar IN7654321${NBSP}: 1${NBSP}234,56${NBSP}$ à payer au plus tard le 20 nov. 2026`);
    expect(fr.text).toBe(
      [
        'Bonjour,',
        '',
        'Vous trouverez ci-joint une copie PDF de la facture IN7654321 au nom de Maple Leaf IT Solutions Inc. (compte R10042).',
        '',
        `Total${NBSP}: 1${NBSP}234,56${NBSP}$ CAD`,
        `Montant dû${NBSP}: 1${NBSP}234,56${NBSP}$ CAD`,
        `Échéance${NBSP}: 20 nov. 2026`,
        `Statut${NBSP}: En retard`,
        '',
        `Consultez et payez cette facture sur notre page de paiement sécurisée${NBSP}:`,
        PAY_URL,
        '',
        'Envoyé à la demande de jordan@mycompany.com par l’assistant de facturation Randmar.',
        'Randmar ne demande jamais de données de carte par courriel.',
      ].join('\n'),
    );
    expect(fr.html).toContain('<html lang="fr-CA">');
    expect(fr.html).toContain('<p>Vous trouverez ci-joint une copie PDF de la facture <strong>IN7654321</strong> au nom de Maple Leaf IT Solutions Inc. (compte R10042).</p>');
    expect(fr.html).toContain(`<li>Montant dû${NBSP}: 1${NBSP}234,56${NBSP}$ CAD</li>`);
    expect(fr.html).toContain(`<a href="${PAY_URL}">Consulter et payer cette facture sur notre page de paiement sécurisée</a>`);

    const paid = composeInvoiceMessage(await invoice('IN7653310'), { ...parts, locale: 'fr-CA' });
    expect(paid.subject).toBe('Facture Randmar IN7653310 (payée)');
    expect(paid.text).toContain(`Consultez cette facture en ligne${NBSP}:`);

    // The account name is data: escaped in the HTML around the bold number, as is in the text.
    const hostile = composeInvoiceMessage({ ...inv, accountName: '<b>Evil</b> & Co' }, { ...parts, locale: 'fr-CA' });
    expect(hostile.html).toContain('<strong>IN7654321</strong> au nom de &lt;b&gt;Evil&lt;/b&gt; &amp; Co (compte R10042)');
    expect(hostile.text).toContain('au nom de <b>Evil</b> & Co (compte R10042)');

    const en = composeInvoiceMessage(inv, parts);
    expect(en.subject).toBe('Randmar invoice IN7654321: $1,234.56 due Nov 20, 2026');
    expect(en.text).toContain('Attached is a PDF copy of invoice IN7654321 for Maple Leaf IT Solutions Inc. (account R10042).');
    expect(en.html).toContain('<html lang="en-CA">');
  });
});

describe('the email tool speaks the locale it is given; its result stays English for the model', () => {
  const args = { invoiceNumber: 'in-7654321', to: ' AP@MyCompany.com\n' };

  it('label and confirm summary', () => {
    expect(emailInvoicePdf.label(args, 'fr-CA')).toBe('Envoi de in-7654321 par courriel à  AP@MyCompany.com ');
    expect(emailInvoicePdf.label(args, 'en-CA')).toBe('Emailing in-7654321 to  AP@MyCompany.com ');
    expect(emailInvoicePdf.approval!.describe(args, 'fr-CA')).toStrictEqual({
      action: 'email_invoice',
      summary: 'Envoyer par courriel une copie PDF de IN7654321 à ap@mycompany.com.',
      invoiceNumber: 'IN7654321',
      to: 'ap@mycompany.com',
    });
    expect(emailInvoicePdf.approval!.describe(args, 'en-CA').summary).toBe('Email a PDF copy of IN7654321 to ap@mycompany.com.');
  });

  it('done: the sent sentence in the answer’s locale, the time in the billing time zone', () => {
    const result = {
      invoiceNumber: 'IN7654321',
      to: 'ap@mycompany.com',
      status: 'sent',
      duplicate: false,
      sentAt: '2026-11-25T14:30:00.000Z',
      sentAtText: 'Nov 25, 2026, 9:30 a.m. EST',
      timeZone: 'America/Toronto',
      message: 'Emailed a PDF copy of IN7654321 to ap@mycompany.com at Nov 25, 2026, 9:30 a.m. EST.',
    };
    const done = emailInvoicePdf.approval!.done!;
    expect(done(result, 'fr-CA')).toMatch(/^Une copie PDF de IN7654321 a été envoyée par courriel à ap@mycompany\.com le 25 nov\. 2026, 0?9\sh\s30\sHNE\.$/);
    expect(done(result, 'en-CA')).toBe(result.message);
    expect(done({ ...result, duplicate: true }, 'fr-CA')).toMatch(/^Une copie de IN7654321 a déjà été envoyée à ap@mycompany\.com le 25 nov\. 2026, 0?9\sh\s30\sHNE\u00a0; elle n’a donc pas été envoyée de nouveau\.$/);
    expect(done({ ...result, duplicate: true, status: 'sending' }, 'fr-CA')).toContain('est déjà en cours d’envoi (demandée le 25 nov. 2026');
    // A result without its time zone (an older row) still reads, in UTC.
    const { timeZone: _tz, ...older } = result;
    expect(done(older, 'fr-CA')).toMatch(/le 25 nov\. 2026, 14\sh\s30\sUTC\.$/);
  });
});

describe('approving an email in French (scripted model, stub PDF, local outbox)', () => {
  let database: Database;
  let outboxDir: string;
  beforeAll(async () => {
    database = await freshDatabase();
    outboxDir = tempDir('outbox-fr-approval-');
  });
  afterAll(async () => {
    await database?.close();
    fs.rmSync(outboxDir, { recursive: true, force: true });
  });

  it('the confirm card, the answer once approved and the email are French; the tool result stays English', async () => {
    const session: Session = { accountId: 'R10042', userId: 'jordan@mycompany.com', userName: 'Jordan Lee', locale: 'fr-CA' };
    const model = new ScriptedModel([tools(call('emailInvoicePdf', { invoiceNumber: 'IN7654321', to: 'ap@mycompany.com' }, 'e1')), text('Veuillez confirmer ci-dessous.')]);
    const s = createServices({
      config,
      database,
      clock: fixedClock(TEST_TODAY),
      model,
      pdf: stubRenderer(),
      mailer: createOutboxMailer({ db: database.db, dir: outboxDir }),
    });
    const conv = await s.chat.createConversation(session);
    const res = await s.chat.sendMessage(session, conv.id, 'montrez-moi IN7654321');
    const card = res.cards.find((c) => c.type === 'confirm');
    expect(card).toMatchObject({ type: 'confirm', tool: 'emailInvoicePdf', summary: 'Envoyer par courriel une copie PDF de IN7654321 à ap@mycompany.com.' });
    expect(await emailSends(database.db)).toStrictEqual([]);

    const approved = await s.chat.decideProposal(session, conv.id, card && card.type === 'confirm' ? card.proposalId : '', 'approve');
    expect(approved.text).toMatch(/^Une copie PDF de IN7654321 a été envoyée par courriel à ap@mycompany\.com le \d{1,2} \S+ \d{4}, \d{1,2}\sh\s\d{2}\s\S+\.$/);
    expect(approved.cards).toContainEqual(expect.objectContaining({ type: 'email_receipt', invoiceNumber: 'IN7654321', to: 'ap@mycompany.com', status: 'sent' }));

    const rows = await outboxRows(database.db);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.subject).toBe(`Facture Randmar IN7654321${NBSP}: 1${NBSP}234,56${NBSP}$ à payer au plus tard le 20 nov. 2026`);
    expect(rows[0]!.text_body).toMatch(/^Bonjour,\n\nVous trouverez ci-joint une copie PDF de la facture IN7654321/);
    const meta = JSON.parse(fs.readFileSync(path.join(rows[0]!.disk_path!, 'message.json'), 'utf8')) as { subject: string; html: string };
    expect(meta.subject).toBe(rows[0]!.subject);
    expect(meta.html).toContain('<html lang="fr-CA">');

    // The model-facing result of the executed call is the English one.
    const audit = await database.db.selectFrom('tool_call_audit').select(['name', 'outcome']).where('conversation_id', '=', conv.id).execute();
    expect(audit.map((a) => a.outcome).sort()).toEqual(['approved', 'needs_approval', 'ok']);
  });
});

describe('the PDF route: locale parameter (no browser needed)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses an unknown ?locale=; a fr-CA token is still 404 on another account’s invoice; no browser started', async () => {
    const headers = { authorization: `Bearer ${await frenchToken()}` };
    const bad = await t.app.inject({ method: 'GET', url: '/v1/billing/invoices/IN7654321/pdf?locale=de-DE', headers });
    expect(bad.statusCode).toBe(400);
    const other = await t.app.inject({ method: 'GET', url: '/v1/billing/invoices/IN8800001/pdf', headers });
    expect(other.statusCode).toBe(404);
    expect(t.app.services.pdf.stats().launches).toBe(0);
  });
});

describeWithBrowser(
  'French PDF through the API, and the French email in the outbox (real Chromium, pdftotext)',
  () => {
    let t: TestApp;
    let outboxDir: string;
    beforeAll(async () => {
      outboxDir = tempDir('outbox-fr-');
      t = await createTestApp({ OUTBOX_DIR: outboxDir });
    });
    afterAll(async () => {
      await t?.close();
      fs.rmSync(outboxDir, { recursive: true, force: true });
    });

    /** pdftotext may print U+00A0 as a plain space: either is accepted between the digits and the sign. */
    const sp = `[ ${NBSP}]`;

    it('a fr-CA token downloads a PDF that reads "Facture", with French amounts, dates and status', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v1/billing/invoices/IN7654321/pdf', headers: { authorization: `Bearer ${await frenchToken()}` } });
      expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['content-language']).toBe('fr-CA');
      expect(res.headers['content-disposition']).toBe('attachment; filename="IN7654321.pdf"');
      const pdf = res.rawPayload;
      expect(looksLikePdf(pdf)).toBe(true);
      expect(pdfInfo(pdf)['Title']).toBe('Facture IN7654321 · Maple Leaf IT Solutions Inc. · Randmar');
      const text = pdfText(pdf);
      const flowing = pdfText(pdf, { layout: false });
      expect(text).toContain('Facture IN7654321');
      expect(text).toContain('Date de facturation');
      expect(text).toMatch(/Échéance\s+20 nov\. 2026/);
      expect(text).toContain('En retard');
      expect(text).toMatch(new RegExp(`Total\\s+1${sp}234,56${sp}\\$`));
      expect(text).toMatch(new RegExp(`Montant dû \\(CAD\\)\\s+1${sp}234,56${sp}\\$`));
      expect(text).toMatch(new RegExp(`308,64${sp}\\$`));
      expect(flowing).toContain('Payer cette facture en toute sécurité');
      expect(flowing).toContain('Des questions sur cette facture');
      for (const word of ENGLISH) expect(flowing, word).not.toContain(word);
    });

    it('which locale wins: ?locale= over the token claim, the claim over Accept-Language, Accept-Language without a claim', async () => {
      const get = async (url: string, headers: Record<string, string>) => {
        const res = await t.app.inject({ method: 'GET', url, headers });
        expect(res.statusCode).toBe(200);
        return { lang: res.headers['content-language'], title: pdfInfo(res.rawPayload)['Title'] };
      };
      const fr = `Bearer ${await frenchToken()}`;
      const none = `Bearer ${await frenchToken('R10042', null)}`;
      const en = `Bearer ${await frenchToken('R10042', 'en-CA')}`;
      expect(await get('/v1/billing/invoices/IN7654322/pdf?locale=en-CA', { authorization: fr })).toStrictEqual({ lang: 'en-CA', title: 'Invoice IN7654322 · Maple Leaf IT Solutions Inc. · Randmar' });
      expect(await get('/v1/billing/invoices/IN7654322/pdf', { authorization: fr, 'accept-language': 'en-CA' })).toMatchObject({ lang: 'fr-CA' });
      expect(await get('/v1/billing/invoices/IN7654322/pdf', { authorization: en, 'accept-language': 'fr-CA' })).toMatchObject({ lang: 'en-CA' });
      expect(await get('/v1/billing/invoices/IN7654322/pdf', { authorization: none, 'accept-language': 'fr-CA,fr;q=0.9' })).toStrictEqual({ lang: 'fr-CA', title: 'Facture IN7654322 · Maple Leaf IT Solutions Inc. · Randmar' });
      expect(await get('/v1/billing/invoices/IN7654322/pdf', { authorization: none })).toMatchObject({ lang: 'en-CA' });
    });

    it('emailing through the chat with a fr-CA token puts a French email with a French PDF in the outbox (database and disk)', async () => {
      const headers = { authorization: `Bearer ${await frenchToken()}` };
      const conv = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers });
      expect(conv.statusCode).toBe(201);
      const res = await t.app.inject({
        method: 'POST',
        url: `/v1/chat/conversations/${conv.json<{ id: string }>().id}/messages`,
        headers,
        payload: { text: 'Email a PDF copy of IN7654321 to accounting@mycompany.com' },
      });
      expect(res.statusCode, res.body).toBe(200);
      const reply = res.json<ReplyJson>();
      expect(reply.cards.find((c) => c.type === 'email_receipt')).toMatchObject({ invoiceNumber: 'IN7654321', to: 'accounting@mycompany.com', status: 'sent' });

      const sends = await emailSends(t.app.services.db);
      expect(sends.map((s) => [s.status, s.recipient])).toStrictEqual([['sent', 'accounting@mycompany.com']]);
      const [msg] = await outboxRows(t.app.services.db);
      expect(msg!.subject).toBe(`Facture Randmar IN7654321${NBSP}: 1${NBSP}234,56${NBSP}$ à payer au plus tard le 20 nov. 2026`);
      expect(msg!.text_body).toContain('Vous trouverez ci-joint une copie PDF de la facture IN7654321');
      expect(msg!.text_body).toContain(`Montant dû${NBSP}: 1${NBSP}234,56${NBSP}$ CAD`);
      expect(msg!.text_body).toContain(`Échéance${NBSP}: 20 nov. 2026`);

      // On disk under OUTBOX_DIR: message.json in French and the French PDF.
      expect(msg!.disk_path).toBe(path.join(outboxDir, msg!.id));
      const meta = JSON.parse(fs.readFileSync(path.join(msg!.disk_path!, 'message.json'), 'utf8')) as { subject: string; text: string; html: string };
      expect(meta.subject).toBe(msg!.subject);
      expect(meta.text).toBe(msg!.text_body);
      expect(meta.html).toContain('<html lang="fr-CA">');
      const pdf = fs.readFileSync(path.join(msg!.disk_path!, 'IN7654321.pdf'));
      const [att] = await outboxAttachments(t.app.services.db);
      expect(Buffer.from(att!.content).equals(pdf)).toBe(true);
      expect(looksLikePdf(pdf)).toBe(true);
      expect(pdfInfo(pdf)['Title']).toBe('Facture IN7654321 · Maple Leaf IT Solutions Inc. · Randmar');
      const text = pdfText(pdf);
      expect(text).toContain('Facture IN7654321');
      expect(text).toMatch(new RegExp(`Montant dû \\(CAD\\)\\s+1${sp}234,56${sp}\\$`));
      expect(text).toMatch(/Échéance\s+20 nov\. 2026/);
    });
  },
  { pdftotext: true },
);
