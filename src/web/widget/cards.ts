import type { Card, CardMoney, InvoiceCardItem } from '../../agent/types.js';
import { INVOICE_STATUSES } from '../../billing/status.js';
import { formatDate } from '../../format/dates.js';
import { h, safeUrl } from './dom.js';
import type { InvoiceUpdate } from './sse.js';

/**
 * Cards: the server's structured answers (amounts, invoice numbers, links). Links come from the
 * card's `url` / `payUrl` fields, which the server minted; never from the model's text.
 */

const money = (m: CardMoney | null | undefined): string => (m ? m.display : '');

function row(label: string, value: string, cls = '', field?: string): HTMLElement {
  return h('div', { class: `row ${cls}`.trim() }, h('dt', { text: label }), h('dd', { text: value, ...(field ? { attrs: { 'data-field': field } } : {}) }));
}

const KNOWN_STATUSES: ReadonlySet<string> = new Set(INVOICE_STATUSES);
const pillClass = (status: string): string => `pill pill-${KNOWN_STATUSES.has(status) ? status : 'other'}`;

function statusPill(status: string, label: string): HTMLElement {
  return h('span', { class: pillClass(status), text: label });
}

function linkButton(label: string, href: string, accessibleName: string, primary: boolean, action: string): HTMLAnchorElement {
  // Same tab: the pay page is the next step, and the conversation survives page loads.
  return h('a', {
    class: primary ? 'btn btn-primary' : 'btn',
    text: label,
    attrs: { href, 'aria-label': accessibleName, rel: 'noopener noreferrer', 'data-action': action },
  });
}

export function invoiceCard(item: InvoiceCardItem & { lines?: Array<{ description: string; amount: CardMoney }> | undefined }, base: string, compact = false): HTMLElement {
  const view = safeUrl(item.url, base);
  const pay = safeUrl(item.payUrl, base);
  const actions = h('div', { class: 'actions' });
  if (view) actions.append(linkButton('View', view, `View invoice ${item.invoiceNumber}`, false, 'view'));
  if (pay) actions.append(linkButton('Pay', pay, `Pay invoice ${item.invoiceNumber}`, true, 'pay'));
  const lines =
    !compact && item.lines && item.lines.length > 0
      ? h('ul', { class: 'lines', attrs: { 'aria-label': `Lines of invoice ${item.invoiceNumber}` } }, ...item.lines.map((l) => h('li', {}, h('span', { text: l.description }), h('span', { class: 'num', text: money(l.amount) }))))
      : null;
  return h(
    'article',
    { class: 'card card-invoice', attrs: { 'data-invoice': item.invoiceNumber, 'data-status': item.status, 'aria-label': `Invoice ${item.invoiceNumber}` } },
    h('div', { class: 'card-head' }, h('h3', { class: 'card-title', text: `Invoice ${item.invoiceNumber}` }), statusPill(item.status, item.statusLabel)),
    h(
      'dl',
      { class: 'facts' },
      row('Issued', formatDate(item.issuedOn)),
      row('Due', formatDate(item.dueOn)),
      row('Total', money(item.total)),
      row('Amount due', money(item.amountDue), 'strong', 'amount-due'),
    ),
    lines,
    actions.childElementCount > 0 ? actions : null,
  );
}

/**
 * Brings a rendered invoice card up to date (a payment was confirmed): status pill, amount due,
 * and the Pay button, hidden once nothing is due. Returns what changed, for the announcement.
 */
export function updateInvoiceCard(card: HTMLElement, u: InvoiceUpdate): 'status' | 'amount' | null {
  const pill = card.querySelector<HTMLElement>('.card-head .pill');
  const due = card.querySelector<HTMLElement>('[data-field="amount-due"]');
  const pay = card.querySelector<HTMLElement>('[data-action="pay"]');
  const changed =
    card.dataset['status'] !== u.status || (pill !== null && pill.textContent !== u.statusLabel) ? 'status' : due !== null && due.textContent !== u.amountDue.display ? 'amount' : null;
  card.dataset['status'] = u.status;
  if (pill) {
    pill.className = pillClass(u.status);
    pill.textContent = u.statusLabel;
  }
  if (due) due.textContent = u.amountDue.display;
  if (pay) pay.hidden = !(u.amountDue.cents > 0);
  return changed;
}

/** Statuses whose cards no payment can change: a catch-up skips them. */
const SETTLED: ReadonlySet<string> = new Set(['paid', 'void']);

/** The invoice cards in a part of the page (the conversation log). */
const invoiceCardsIn = (root: ParentNode): NodeListOf<HTMLElement> => root.querySelectorAll<HTMLElement>('article[data-invoice]');

/** The numbers of the invoices whose cards in `root` are not settled yet. */
export function unsettledInvoices(root: ParentNode): Set<string> {
  const numbers = new Set<string>();
  for (const card of invoiceCardsIn(root)) {
    const n = card.dataset['invoice'];
    if (n && !SETTLED.has(card.dataset['status'] ?? '')) numbers.add(n);
  }
  return numbers;
}

/** Updates every card of the invoice in `root`; returns the biggest change, for the announcement. */
export function updateInvoiceCards(root: ParentNode, u: InvoiceUpdate): 'status' | 'amount' | null {
  let change: 'status' | 'amount' | null = null;
  for (const card of invoiceCardsIn(root)) {
    if (card.dataset['invoice'] !== u.invoiceNumber) continue;
    const c = updateInvoiceCard(card, u);
    if (c === 'status' || (c === 'amount' && change === null)) change = c;
  }
  return change;
}

export type ConfirmCard = Extract<Card, { type: 'confirm' }>;
export type Decision = 'approve' | 'decline';
/** Called by a confirm card's Approve / Decline buttons. */
export type OnDecide = (card: ConfirmCard, decision: Decision, el: HTMLElement) => void;

const TOPICS: Record<string, string> = { dispute: 'Dispute', extension: 'Due-date extension', refund: 'Refund', other: 'Other request' };

/**
 * A proposed side effect (nothing happens until the user approves): the summary sentence and
 * Approve / Decline buttons, which act on the server-side proposal.
 */
function confirmCard(card: ConfirmCard, onDecide: OnDecide | undefined): HTMLElement {
  const what = card.summary.replace(/\.$/, '');
  const el = h('article', { class: 'card card-confirm', attrs: { 'aria-label': `Needs your approval: ${what}`, 'data-proposal': card.proposalId, 'data-state': 'open' } });
  const button = (decision: Decision, label: string, primary: boolean) => {
    const b = h('button', { class: primary ? 'btn btn-primary' : 'btn', text: label, attrs: { type: 'button', 'aria-label': `${label}: ${what}`, 'data-action': decision } });
    b.addEventListener('click', () => {
      if (!b.disabled) onDecide?.(card, decision, el);
    });
    return b;
  };
  el.append(
    h('h3', { class: 'card-title', text: 'Needs your approval' }),
    h('p', { class: 'summary', text: card.summary }),
    h('div', { class: 'actions' }, button('approve', 'Approve', true), button('decline', 'Decline', false)),
  );
  return el;
}

/**
 * Marks a confirm card: 'busy' (a decision is on its way) and 'closed' (the server refused it)
 * disable its buttons; 'approved' / 'declined' also say so on the card; 'open' enables them again.
 */
export function markConfirmCard(el: HTMLElement, state: 'open' | 'busy' | 'approved' | 'declined' | 'closed'): void {
  el.dataset['state'] = state;
  for (const b of el.querySelectorAll('button')) b.disabled = state !== 'open';
  el.querySelector('.decided')?.remove();
  if (state === 'approved' || state === 'declined') el.append(h('p', { class: 'muted decided', text: state === 'approved' ? 'Approved.' : 'Declined.' }));
}

export function renderCard(card: Card, base: string, onDecide?: OnDecide): HTMLElement | null {
  switch (card.type) {
    case 'balance':
      return h(
        'article',
        { class: 'card card-balance', attrs: { 'aria-label': 'Account balance' } },
        h('h3', { class: 'card-title', text: 'Account balance' }),
        h('p', { class: 'big', text: money(card.balance) }),
        h(
          'dl',
          { class: 'facts' },
          row('Outstanding', `${money(card.outstanding)} (${card.openCount} open)`),
          row('Overdue', `${money(card.overdue)} (${card.overdueCount} ${card.overdueCount === 1 ? 'invoice' : 'invoices'})`, card.overdueCount > 0 ? 'bad' : ''),
          row('Unapplied credits', money(card.unappliedCredits)),
          card.nextDueOn ? row('Next due', formatDate(card.nextDueOn)) : null,
          row('As of', formatDate(card.asOf)),
        ),
      );
    case 'invoice':
      return invoiceCard(card, base);
    case 'invoice_list': {
      const list = h('div', { class: 'card-list', attrs: { role: 'group', 'aria-label': card.title } });
      list.append(h('h3', { class: 'list-title', text: card.title }));
      if (card.items.length === 0) list.append(h('p', { class: 'muted', text: 'No invoices.' }));
      for (const item of card.items) list.append(invoiceCard(item, base, true));
      if (card.total) list.append(h('p', { class: 'list-total', text: `Total due: ${money(card.total)}` }));
      if (card.more) list.append(h('p', { class: 'muted', text: 'More invoices are on the Billing pages.' }));
      return list;
    }
    case 'payment_list':
      return h(
        'article',
        { class: 'card', attrs: { 'aria-label': 'Payments' } },
        h('h3', { class: 'card-title', text: 'Payments' }),
        card.items.length === 0
          ? h('p', { class: 'muted', text: 'No payments found.' })
          : h(
              'ul',
              { class: 'items' },
              ...card.items.map((p) =>
                h(
                  'li',
                  {},
                  h('div', { class: 'item-head' }, h('strong', { text: p.paymentNumber }), h('span', { class: 'num', text: money(p.amount) })),
                  h('div', { class: 'muted', text: `${formatDate(p.receivedOn)} · ${p.method}${p.invoices.length ? ` · ${p.invoices.join(', ')}` : ''}` }),
                ),
              ),
            ),
        card.more ? h('p', { class: 'muted', text: 'More payments are on the Billing pages.' }) : null,
      );
    case 'credit_list':
      return h(
        'article',
        { class: 'card', attrs: { 'aria-label': 'Credit memos' } },
        h('h3', { class: 'card-title', text: 'Credit memos' }),
        card.items.length === 0
          ? h('p', { class: 'muted', text: 'No credit memos.' })
          : h(
              'ul',
              { class: 'items' },
              ...card.items.map((c) =>
                h(
                  'li',
                  {},
                  h('div', { class: 'item-head' }, h('strong', { text: c.creditNumber }), h('span', { class: 'num', text: money(c.amount) })),
                  h('div', { class: 'muted', text: `${formatDate(c.issuedOn)} · ${c.reason}` }),
                  h('div', { text: c.appliedTo.length > 0 ? `Applied to ${c.appliedTo.join(', ')}` : `Available: ${money(c.available)}` }),
                ),
              ),
            ),
        h('p', { class: 'list-total', text: `Available credit: ${money(card.available)}` }),
      );
    case 'email_receipt':
      return h(
        'article',
        { class: 'card card-receipt', attrs: { 'aria-label': `Email receipt for ${card.invoiceNumber}` } },
        h('h3', { class: 'card-title', text: card.duplicate ? 'Already emailed' : 'Invoice emailed' }),
        h(
          'dl',
          { class: 'facts' },
          row('Invoice', card.invoiceNumber),
          row('To', card.to),
          row('Status', card.status),
          row('Sent', card.sentAt ? new Date(card.sentAt).toLocaleString() : ''),
        ),
      );
    case 'followup_receipt':
      return h(
        'article',
        { class: 'card card-receipt', attrs: { 'aria-label': `Follow-up request ${card.reference}` } },
        h('h3', { class: 'card-title', text: 'Passed on to our billing team' }),
        h(
          'dl',
          { class: 'facts' },
          row('Reference', card.reference),
          row('Topic', TOPICS[card.topic] ?? card.topic),
          card.invoiceNumber ? row('Invoice', card.invoiceNumber) : null,
          row('Created', card.createdAt ? new Date(card.createdAt).toLocaleString() : ''),
        ),
      );
    case 'confirm':
      return confirmCard(card, onDecide);
    default:
      return null;
  }
}
