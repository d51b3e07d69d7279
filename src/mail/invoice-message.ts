import type { InvoiceDetail } from '../billing/queries.js';
import { richT } from '../documents/rich-text.js';
import { formatDate } from '../format/dates.js';
import { html } from '../format/html.js';
import { formatMoney } from '../format/money.js';
import { DEFAULT_LOCALE, statusLabel, translator, type Locale } from '../i18n/index.js';
import type { MailMessage } from './types.js';

/**
 * The invoice email: plain text and HTML saying the same, the PDF attached, a subject that says
 * what is due. Written in `locale` (the requester's: no locale is stored for contacts), every
 * word from the catalogue area `documents.email`.
 */
export function composeInvoiceMessage(
  inv: InvoiceDetail,
  m: { from: string; to: string; requestedBy: string; payUrl: string; pdf: { filename: string; pdf: Buffer }; sendId: string; idempotencyKey: string; locale?: Locale },
): MailMessage {
  const locale = m.locale ?? DEFAULT_LOCALE;
  const tr = translator(locale);
  const c = inv.currency;
  const money = (cents: bigint) => formatMoney(cents, c, locale);
  const due = formatDate(inv.dueOn, locale);
  const status = statusLabel(locale, inv.status, inv.partiallyPaid);
  const payable = inv.amountDueCents > 0n && inv.status !== 'void';
  const facts = [
    tr('documents.email.total', { amount: money(inv.totalCents), currency: c }),
    tr('documents.email.amountDue', { amount: money(inv.amountDueCents), currency: c }),
    tr('documents.email.dueDate', { date: due }),
    tr('documents.email.status', { status }),
  ];
  const attached = { number: inv.number, accountName: inv.accountName, accountId: inv.accountId };
  const requested = tr('documents.email.requestedBy', { requester: m.requestedBy });
  const text = [
    tr('documents.email.hello'),
    '',
    tr('documents.email.attached', attached),
    '',
    ...facts,
    '',
    tr(payable ? 'documents.email.payIntro' : 'documents.email.viewIntro'),
    m.payUrl,
    '',
    requested,
    tr('documents.email.noCards'),
  ].join('\n');
  const body = html`<!doctype html><html lang="${locale}"><body style="font-family:Arial,Helvetica,sans-serif;color:#1b2430">
<p>${tr('documents.email.hello')}</p>
<p>${richT(locale, 'documents.email.attached', { ...attached, number: html`<strong>${inv.number}</strong>` })}</p>
<ul>${facts.map((f) => html`<li>${f}</li>`)}</ul>
<p><a href="${m.payUrl}">${tr(payable ? 'documents.email.payLink' : 'documents.email.viewLink')}</a></p>
<p style="color:#5b6673;font-size:12px">${requested} ${tr('documents.email.noCards')}</p>
</body></html>`.html;
  return {
    from: m.from,
    to: m.to,
    subject: payable
      ? tr('documents.email.subjectDue', { number: inv.number, amount: money(inv.amountDueCents), date: due })
      : tr('documents.email.subjectSettled', { number: inv.number, status: status.toLocaleLowerCase(locale) }),
    text,
    html: body,
    attachments: [{ filename: m.pdf.filename, contentType: 'application/pdf', content: m.pdf.pdf }],
    idempotencyKey: m.idempotencyKey,
    sendId: m.sendId,
  };
}
