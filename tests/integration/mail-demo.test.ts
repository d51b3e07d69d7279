import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PORTAL_COOKIE } from '../../src/web/portal/session.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { describeWithBrowser, looksLikePdf, pdfInfo, pdfText, tempDir } from '../helpers/browser.js';
import { conversation, emailSends, outboxAttachments, outboxRows, say, toolAudit } from '../helpers/mail.js';

/**
 * The brief's command, end to end on the default configuration: offline engine, local outbox,
 * pooled Chromium. "Email a PDF copy of IN7654321 to accounting@mycompany.com" puts a message
 * with a valid PDF in the outbox (database and disk), and the PDF reads back with the invoice
 * number, its lines and the amount due.
 */
describeWithBrowser(
  'demo: emailing an invoice PDF through the chat (offline engine, local outbox)',
  () => {
    let t: TestApp;
    let outboxDir: string;

    beforeAll(async () => {
      outboxDir = tempDir('outbox-demo-');
      t = await createTestApp({ OUTBOX_DIR: outboxDir });
    });
    afterAll(async () => {
      await t?.close();
      fs.rmSync(outboxDir, { recursive: true, force: true });
    });

    it('puts a message with a valid PDF of IN7654321 in the outbox', async () => {
      expect(t.app.services.registry.get('emailInvoicePdf')).toBeDefined();
      const conv = await conversation(t);
      const reply = await say(t, conv, 'Email a PDF copy of IN7654321 to accounting@mycompany.com');

      // The tool ran with the user's words, and succeeded.
      const calls = await toolAudit(t.app.services.db, reply.id);
      expect(calls.map((c) => [c.name, c.outcome])).toStrictEqual([['emailInvoicePdf', 'ok']]);
      expect(calls[0]!.arguments).toMatchObject({ invoiceNumber: 'IN7654321', to: 'accounting@mycompany.com' });

      // The reply confirms recipient and invoice; the receipt card carries the time.
      expect(reply.text).toContain('IN7654321');
      expect(reply.text).toContain('accounting@mycompany.com');
      const receipt = reply.cards.find((c) => c.type === 'email_receipt');
      expect(receipt).toMatchObject({ type: 'email_receipt', invoiceNumber: 'IN7654321', to: 'accounting@mycompany.com', status: 'sent', duplicate: false });
      expect(receipt && 'sentAt' in receipt ? Date.parse(receipt.sentAt) : NaN).not.toBeNaN();

      // Recorded once, as sent through the outbox.
      const sends = await emailSends(t.app.services.db);
      expect(sends).toHaveLength(1);
      expect(sends[0]).toMatchObject({ account_id: 'R10042', invoice_number: 'IN7654321', recipient: 'accounting@mycompany.com', transport: 'outbox', status: 'sent' });
      expect(sends[0]!.transport_message_id).toBeTruthy();

      // One message in the outbox table, with one PDF attachment.
      const messages = await outboxRows(t.app.services.db);
      expect(messages).toHaveLength(1);
      const msg = messages[0]!;
      expect(msg).toMatchObject({ id: sends[0]!.transport_message_id, email_send_id: sends[0]!.id, to_address: 'accounting@mycompany.com' });
      expect(msg.subject).toContain('IN7654321');
      expect(msg.text_body).toContain('1,234.56');
      expect(msg.text_body).toMatch(/http:\/\/localhost:3000\/pay\/v1\./);
      const atts = await outboxAttachments(t.app.services.db);
      expect(atts).toHaveLength(1);
      const att = atts[0]!;
      expect(att).toMatchObject({ filename: 'IN7654321.pdf', content_type: 'application/pdf' });
      const pdf = Buffer.from(att.content);
      expect(att.size_bytes).toBe(pdf.length);
      expect(looksLikePdf(pdf)).toBe(true);

      // The PDF reads back: invoice number, the line, the amount due, the status and the parties.
      const text = pdfText(pdf);
      const flowing = pdfText(pdf, { layout: false });
      expect(text).toContain('IN7654321');
      expect(flowing).toContain('Order SO-20688: Ubiquiti UniFi U7 Pro access points');
      expect(text).toContain('SO-20688');
      expect(text).toMatch(/\$308\.64/); // unit price
      expect(text).toMatch(/Amount due \(CAD\)\s+\$1,234\.56/);
      expect(text).toContain('Overdue');
      expect(text).toContain('Maple Leaf IT Solutions Inc.');
      expect(text).toContain('R10042');
      expect(text).toContain('Randmar');
      expect(flowing).toMatch(/Pay securely at http:\/\/localhost:3000\/pay\/v1\./);
      expect(pdfInfo(pdf)['Title']).toBe('Invoice IN7654321 · Maple Leaf IT Solutions Inc. · Randmar');

      // And on disk: message.json and the same PDF, under OUTBOX_DIR.
      expect(msg.disk_path).toBe(path.join(outboxDir, msg.id));
      const meta = JSON.parse(fs.readFileSync(path.join(msg.disk_path!, 'message.json'), 'utf8')) as { to: string; attachments: Array<{ filename: string }> };
      expect(meta.to).toBe('accounting@mycompany.com');
      expect(meta.attachments.map((a) => a.filename)).toStrictEqual(['IN7654321.pdf']);
      expect(fs.readFileSync(path.join(msg.disk_path!, 'IN7654321.pdf')).equals(pdf)).toBe(true);
    });

    it('lists it at /portal/dev/outbox with a working download link', async () => {
      // The outbox is a portal page: the account's portal session cookie.
      const headers = { cookie: `${PORTAL_COOKIE}=${await t.token('R10042')}` };
      const page = await t.app.inject({ method: 'GET', url: '/portal/dev/outbox', headers });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('accounting@mycompany.com');
      const href = /href="(\/portal\/dev\/outbox\/[0-9a-f-]{36}\/attachments\/0)"/.exec(page.body)?.[1];
      expect(href).toBeDefined();
      const dl = await t.app.inject({ method: 'GET', url: href!, headers });
      expect(dl.statusCode).toBe(200);
      expect(dl.headers['content-type']).toBe('application/pdf');
      expect(dl.headers['content-disposition']).toBe('attachment; filename="IN7654321.pdf"');
      expect(looksLikePdf(dl.rawPayload)).toBe(true);
      expect((await t.app.inject({ method: 'GET', url: '/portal/dev/outbox/00000000-0000-4000-8000-000000000000/attachments/0', headers })).statusCode).toBe(404);
    });

    it('asking again right away sends nothing and says it was already sent, and when', async () => {
      const conv = await conversation(t);
      const reply = await say(t, conv, 'Please email IN7654321 to accounting@mycompany.com');
      expect(reply.text).toMatch(/already/i);
      expect(reply.cards.find((c) => c.type === 'email_receipt')).toMatchObject({ invoiceNumber: 'IN7654321', duplicate: true, status: 'sent' });
      expect(await outboxRows(t.app.services.db)).toHaveLength(1);
      const sends = await emailSends(t.app.services.db);
      expect(sends.map((s) => s.status)).toStrictEqual(['sent', 'duplicate']);
      expect(sends[1]!.duplicate_of).toBe(sends[0]!.id);
    });
  },
  { pdftotext: true },
);
