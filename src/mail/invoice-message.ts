import type { InvoiceDetail } from '../billing/queries.js';
import { formatDate } from '../format/dates.js';
import { html } from '../format/html.js';
import { formatMoney } from '../format/money.js';
import type { MailMessage } from './types.js';

/** The invoice email: plain text and HTML saying the same, the PDF attached, a subject that says what is due. */
export function composeInvoiceMessage(
  inv: InvoiceDetail,
  m: { from: string; to: string; requestedBy: string; payUrl: string; pdf: { filename: string; pdf: Buffer }; sendId: string; idempotencyKey: string },
): MailMessage {
  const c = inv.currency;
  const payable = inv.amountDueCents > 0n && inv.status !== 'void';
  const facts = [
    `Total: ${formatMoney(inv.totalCents, c)} ${c}`,
    `Amount due: ${formatMoney(inv.amountDueCents, c)} ${c}`,
    `Due date: ${formatDate(inv.dueOn)}`,
    `Status: ${inv.statusLabel}`,
  ];
  const text = [
    'Hello,',
    '',
    `Attached is a PDF copy of invoice ${inv.number} for ${inv.accountName} (account ${inv.accountId}).`,
    '',
    ...facts,
    '',
    payable ? 'View and pay this invoice on our secure payment page:' : 'View this invoice online:',
    m.payUrl,
    '',
    `Sent at the request of ${m.requestedBy} through the Randmar Billing Assistant.`,
    'Randmar never asks for card details by email.',
  ].join('\n');
  const body = html`<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;color:#1b2430">
<p>Hello,</p>
<p>Attached is a PDF copy of invoice <strong>${inv.number}</strong> for ${inv.accountName} (account ${inv.accountId}).</p>
<ul>${facts.map((f) => html`<li>${f}</li>`)}</ul>
<p><a href="${m.payUrl}">${payable ? 'View and pay this invoice on our secure payment page' : 'View this invoice online'}</a></p>
<p style="color:#5b6673;font-size:12px">Sent at the request of ${m.requestedBy} through the Randmar Billing Assistant. Randmar never asks for card details by email.</p>
</body></html>`.html;
  return {
    from: m.from,
    to: m.to,
    subject: payable
      ? `Randmar invoice ${inv.number}: ${formatMoney(inv.amountDueCents, c)} due ${formatDate(inv.dueOn)}`
      : `Randmar invoice ${inv.number} (${inv.statusLabel.toLowerCase()})`,
    text,
    html: body,
    attachments: [{ filename: m.pdf.filename, contentType: 'application/pdf', content: m.pdf.pdf }],
    idempotencyKey: m.idempotencyKey,
    sendId: m.sendId,
  };
}
