import type { Card, InvoiceCardItem } from '../../agent/types.js';
import { dateTimeFormatter, formatDate } from '../../format/dates.js';

/** How output looks: ANSI emphasis only on a terminal (a few SGR codes: no library for three styles). */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
}

export function terminalStyle(color: boolean): Style {
  const sgr = (on: string, off: string) => (text: string) => (color ? `\u001b[${on}m${text}\u001b[${off}m` : text);
  return { bold: sgr('1', '22'), dim: sgr('2', '22') };
}

type Align = 'l' | 'r';

/** Rows as aligned columns, two spaces apart, indented by two; the first row is the header. */
export function table(rows: string[][], align: Align[], style: Style): string[] {
  const widths = align.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((row, n) => {
    const cells = align.map((a, i) => {
      const cell = row[i] ?? '';
      return a === 'r' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
    });
    const line = `  ${cells.join('  ').trimEnd()}`;
    return n === 0 ? style.dim(line) : line;
  });
}

/** Label/value pairs as two columns. */
function pairs(entries: Array<[string, string]>): string[] {
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function invoiceRows(items: InvoiceCardItem[]): string[][] {
  return [
    ['Invoice', 'Issued', 'Due', 'Total', 'Amount due', 'Status'],
    ...items.map((i) => [i.invoiceNumber, formatDate(i.issuedOn), formatDate(i.dueOn), i.total.display, i.amountDue.display, i.statusLabel]),
  ];
}

const INVOICE_ALIGN: Align[] = ['l', 'l', 'l', 'r', 'r', 'l'];

function balanceCard(card: Extract<Card, { type: 'balance' }>, style: Style): string[] {
  return [
    style.bold(`Balance as of ${formatDate(card.asOf)}`),
    ...pairs([
      ['Balance', card.balance.display],
      ['Outstanding', `${card.outstanding.display} (${plural(card.openCount, 'open invoice')})`],
      ['Overdue', `${card.overdue.display} (${plural(card.overdueCount, 'invoice')})`],
      ['Unapplied credits', card.unappliedCredits.display],
      ['Next due date', card.nextDueOn ? formatDate(card.nextDueOn) : 'none'],
    ]),
  ];
}

function invoiceCard(card: Extract<Card, { type: 'invoice' }>, style: Style): string[] {
  const lines = card.lines ?? [];
  return [
    style.bold(`Invoice ${card.invoiceNumber} · ${card.statusLabel}`),
    ...pairs([
      ['Issued', formatDate(card.issuedOn)],
      ['Due', formatDate(card.dueOn)],
      ['Total', card.total.display],
      ['Amount due', card.amountDue.display],
    ]),
    ...(lines.length > 0 ? table([['Line', 'Amount'], ...lines.map((l) => [l.description, l.amount.display])], ['l', 'r'], style) : []),
    card.payUrl ? `  Pay: ${card.payUrl}` : `  View: ${card.url}`,
  ];
}

function invoiceListCard(card: Extract<Card, { type: 'invoice_list' }>, style: Style): string[] {
  if (card.items.length === 0) return [style.bold(card.title), '  (none)'];
  return [
    style.bold(`${card.title} (${card.items.length}${card.more ? '+' : ''})`),
    ...table(invoiceRows(card.items), INVOICE_ALIGN, style),
    ...(card.total ? [`  Total due: ${card.total.display}`] : []),
    ...(card.more ? ['  More invoices are on the Invoices page.'] : []),
  ];
}

function paymentListCard(card: Extract<Card, { type: 'payment_list' }>, style: Style): string[] {
  if (card.items.length === 0) return [style.bold('Payments'), '  (none)'];
  const rows = card.items.map((p) => [p.paymentNumber, formatDate(p.receivedOn), p.amount.display, p.method, p.invoices.join(', ')]);
  return [style.bold('Payments'), ...table([['Payment', 'Received', 'Amount', 'Method', 'Invoices'], ...rows], ['l', 'l', 'r', 'l', 'l'], style), ...(card.more ? ['  More payments are on the Payments page.'] : [])];
}

function creditListCard(card: Extract<Card, { type: 'credit_list' }>, style: Style): string[] {
  if (card.items.length === 0) return [style.bold('Credits'), '  (none)'];
  const rows = card.items.map((c) => [c.creditNumber, formatDate(c.issuedOn), c.amount.display, c.available.display, c.reason, c.appliedTo.join(', ')]);
  return [
    style.bold('Credits'),
    ...table([['Credit', 'Issued', 'Amount', 'Available', 'Reason', 'Applied to'], ...rows], ['l', 'l', 'r', 'r', 'l', 'l'], style),
    `  Available in all: ${card.available.display}`,
  ];
}

/** Renders cards for a terminal; a confirm card is given its number when an answer carries several. */
export function createCardRenderer(timeZone: string, style: Style) {
  const at = dateTimeFormatter(timeZone);
  const when = (iso: string) => (Number.isNaN(Date.parse(iso)) ? iso : at(new Date(iso)));
  return (card: Card, confirmIndex?: number): string[] => {
    switch (card.type) {
      case 'balance':
        return balanceCard(card, style);
      case 'invoice':
        return invoiceCard(card, style);
      case 'invoice_list':
        return invoiceListCard(card, style);
      case 'payment_list':
        return paymentListCard(card, style);
      case 'credit_list':
        return creditListCard(card, style);
      case 'email_receipt':
        return [style.bold(`Email ${card.status}${card.duplicate ? ' (already sent recently: not sent again)' : ''}`), ...pairs([['Invoice', card.invoiceNumber], ['To', card.to], ['At', when(card.sentAt)]])];
      case 'followup_receipt':
        return [style.bold(`Follow-up ${card.reference}`), ...pairs([['Topic', card.topic], ['Invoice', card.invoiceNumber ?? '—'], ['Created', when(card.createdAt)]])];
      case 'confirm': {
        const n = confirmIndex === undefined ? '' : ` ${confirmIndex}`;
        return [
          style.bold(`Confirm${n}: ${card.summary}`),
          `  Type /approve${n} to go ahead or /decline${n} to cancel (or answer yes / no). Expires ${when(card.expiresAt)}.`,
        ];
      }
    }
  };
}

/** One line per card for `/history`. */
export function cardSummary(card: Card): string {
  switch (card.type) {
    case 'balance':
      return `balance ${card.balance.display}`;
    case 'invoice':
      return `invoice ${card.invoiceNumber} ${card.amountDue.display} ${card.statusLabel}`;
    case 'invoice_list':
      return `${card.title}: ${card.items.map((i) => i.invoiceNumber).join(', ') || 'none'}`;
    case 'payment_list':
      return `payments: ${card.items.map((p) => p.paymentNumber).join(', ') || 'none'}`;
    case 'credit_list':
      return `credits: ${card.items.map((c) => c.creditNumber).join(', ') || 'none'}`;
    case 'email_receipt':
      return `email ${card.status}: ${card.invoiceNumber} to ${card.to}`;
    case 'followup_receipt':
      return `follow-up ${card.reference}`;
    case 'confirm':
      return `confirm: ${card.summary}`;
  }
}
