import type { Card, CardMoney, InvoiceCardItem } from '../../agent/types.js';
import { INVOICE_STATUSES } from '../../billing/status.js';
import { formatDate } from '../../format/dates.js';
import { statusLabelKey } from '../../i18n/status-keys.js';
import { h, safeUrl } from './dom.js';
import { locale, t, type MessageKey } from './i18n.js';
import type { InvoiceUpdate } from './sse.js';

/**
 * Cards: the server's structured answers (amounts, invoice numbers, links). Links come from the
 * card's `url` / `payUrl` fields, which the server minted; never from the model's text. Amounts
 * are the server's `display` strings (formatted in the widget's locale); labels, dates and
 * statuses are the widget's own.
 */

const money = (m: CardMoney | null | undefined): string => (m ? m.display : '');
const date = (iso: string | null | undefined): string => formatDate(iso, locale());
/** An instant (a receipt's time) in the browser's time zone, through Intl. */
const dateTime = (iso: string): string => (iso ? new Date(iso).toLocaleString(locale(), { dateStyle: 'medium', timeStyle: 'short' }) : '');

/** A fact: its label (a message key) and value. */
function row(label: MessageKey, value: string, cls = '', field?: string): HTMLElement {
  return h('div', { class: `row ${cls}`.trim() }, h('dt', { text: t(label) }), h('dd', { text: value, ...(field ? { attrs: { 'data-field': field } } : {}) }));
}

const KNOWN_STATUSES: ReadonlySet<string> = new Set(INVOICE_STATUSES);
const pillClass = (status: string): string => `pill pill-${KNOWN_STATUSES.has(status) ? status : 'other'}`;

/** A status as people read it; an overdue invoice with less due than its total is also partially paid. */
const statusText = (status: string, dueCents: number, totalCents: number): string => t(statusLabelKey(status, dueCents < totalCents) as MessageKey);

function linkButton(label: string, href: string, accessibleName: string, primary: boolean, action: string): HTMLAnchorElement {
  // Same tab: the pay page is the next step, and the conversation survives page loads.
  return h('a', {
    class: primary ? 'btn btn-primary' : 'btn',
    text: label,
    attrs: { href, 'aria-label': accessibleName, rel: 'noopener noreferrer', 'data-action': action },
  });
}

export function invoiceCard(item: InvoiceCardItem & { lines?: Array<{ description: string; amount: CardMoney }> | undefined }, base: string, compact = false): HTMLElement {
  const invoice = item.invoiceNumber;
  const view = safeUrl(item.url, base);
  const pay = safeUrl(item.payUrl, base);
  const actions = h('div', { class: 'actions' });
  if (view) actions.append(linkButton(t('widget.invoice.view'), view, t('widget.invoice.viewLabel', { invoice }), false, 'view'));
  if (pay) actions.append(linkButton(t('widget.invoice.pay'), pay, t('widget.invoice.payLabel', { invoice }), true, 'pay'));
  const lines =
    !compact && item.lines && item.lines.length > 0
      ? h('ul', { class: 'lines', attrs: { 'aria-label': t('widget.invoice.lines', { invoice }) } }, ...item.lines.map((l) => h('li', {}, h('span', { text: l.description }), h('span', { class: 'num', text: money(l.amount) }))))
      : null;
  const title = t('widget.invoice.title', { invoice });
  return h(
    'article',
    { class: 'card card-invoice', attrs: { 'data-invoice': invoice, 'data-status': item.status, 'data-total': String(item.total.cents), 'aria-label': title } },
    h(
      'div',
      { class: 'card-head' },
      h('h3', { class: 'card-title', text: title }),
      h('span', { class: pillClass(item.status), text: statusText(item.status, item.amountDue.cents, item.total.cents) }),
    ),
    h(
      'dl',
      { class: 'facts' },
      row('widget.invoice.issued', date(item.issuedOn)),
      row('widget.invoice.due', date(item.dueOn)),
      row('widget.invoice.total', money(item.total)),
      row('widget.invoice.amountDue', money(item.amountDue), 'strong', 'amount-due'),
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
  const label = statusText(u.status, u.amountDue.cents, Number(card.dataset['total']));
  const changed = card.dataset['status'] !== u.status || pill?.textContent !== label ? 'status' : due?.textContent !== u.amountDue.display ? 'amount' : null;
  card.dataset['status'] = u.status;
  if (pill) {
    pill.className = pillClass(u.status);
    pill.textContent = label;
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

/**
 * Updates every card of the invoice in `root`; returns the biggest change with the new status
 * label, for the announcement.
 */
export function updateInvoiceCards(root: ParentNode, u: InvoiceUpdate): { change: 'status' | 'amount' | null; label: string } {
  let change: 'status' | 'amount' | null = null;
  let label = '';
  for (const card of invoiceCardsIn(root)) {
    if (card.dataset['invoice'] !== u.invoiceNumber) continue;
    const c = updateInvoiceCard(card, u);
    label = card.querySelector('.pill')?.textContent ?? label;
    if (c === 'status' || (c === 'amount' && change === null)) change = c;
  }
  return { change, label };
}

export type ConfirmCard = Extract<Card, { type: 'confirm' }>;
export type Decision = 'approve' | 'decline';
/** Called by a confirm card's Approve / Decline buttons. */
export type OnDecide = (card: ConfirmCard, decision: Decision, el: HTMLElement) => void;

const TOPICS = {
  dispute: 'widget.followup.topics.dispute',
  extension: 'widget.followup.topics.extension',
  refund: 'widget.followup.topics.refund',
  other: 'widget.followup.topics.other',
} as const;

const EMAIL_STATES = { sent: 'widget.email.state.sent', sending: 'widget.email.state.sending' } as const;

/**
 * A proposed side effect (nothing happens until the user approves): the summary sentence and
 * Approve / Decline buttons, which act on the server-side proposal.
 */
function confirmCard(card: ConfirmCard, onDecide: OnDecide | undefined): HTMLElement {
  const action = card.summary.replace(/\.$/, '');
  const el = h('article', { class: 'card card-confirm', attrs: { 'aria-label': t('widget.confirm.label', { action }), 'data-proposal': card.proposalId, 'data-state': 'open' } });
  const button = (decision: Decision, label: string, primary: boolean) => {
    const b = h('button', { class: primary ? 'btn btn-primary' : 'btn', text: label, attrs: { type: 'button', 'aria-label': t('widget.confirm.button', { label, action }), 'data-action': decision } });
    b.addEventListener('click', () => {
      if (!b.disabled) onDecide?.(card, decision, el);
    });
    return b;
  };
  el.append(
    h('h3', { class: 'card-title', text: t('widget.confirm.title') }),
    h('p', { class: 'summary', text: card.summary }),
    h('div', { class: 'actions' }, button('approve', t('widget.confirm.approve'), true), button('decline', t('widget.confirm.decline'), false)),
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
  if (state === 'approved' || state === 'declined') el.append(h('p', { class: 'muted decided', text: t(state === 'approved' ? 'widget.confirm.approved' : 'widget.confirm.declined') }));
}

/** A titled card (its accessible name is its title unless given). */
const titled = (cls: string, title: string, label = title, ...children: Array<Node | null>): HTMLElement =>
  h('article', { class: `card ${cls}`.trim(), attrs: { 'aria-label': label } }, h('h3', { class: 'card-title', text: title }), ...children);

/** A list of items, or the line saying there are none. */
const items = <T>(list: T[], empty: string, item: (x: T) => Node[]): HTMLElement =>
  list.length === 0 ? h('p', { class: 'muted', text: empty }) : h('ul', { class: 'items' }, ...list.map((x) => h('li', {}, ...item(x))));

const itemHead = (name: string, amount: CardMoney): HTMLElement => h('div', { class: 'item-head' }, h('strong', { text: name }), h('span', { class: 'num', text: money(amount) }));

export function renderCard(card: Card, base: string, onDecide?: OnDecide): HTMLElement | null {
  switch (card.type) {
    case 'balance':
      return titled(
        'card-balance',
        t('widget.balance.title'),
        undefined,
        h('p', { class: 'big', text: money(card.balance) }),
        h(
          'dl',
          { class: 'facts' },
          row('widget.balance.outstanding', t('widget.balance.open', { amount: money(card.outstanding), count: card.openCount })),
          row('widget.balance.overdue', t('widget.balance.overdueCount', { amount: money(card.overdue), count: card.overdueCount }), card.overdueCount > 0 ? 'bad' : ''),
          row('widget.balance.credits', money(card.unappliedCredits)),
          card.nextDueOn ? row('widget.balance.nextDue', date(card.nextDueOn)) : null,
          row('widget.balance.asOf', date(card.asOf)),
        ),
      );
    case 'invoice':
      return invoiceCard(card, base);
    case 'invoice_list': {
      const list = h('div', { class: 'card-list', attrs: { role: 'group', 'aria-label': card.title } });
      list.append(h('h3', { class: 'list-title', text: card.title }));
      if (card.items.length === 0) list.append(h('p', { class: 'muted', text: t('widget.list.empty') }));
      for (const item of card.items) list.append(invoiceCard(item, base, true));
      if (card.total) list.append(h('p', { class: 'list-total', text: t('widget.list.total', { amount: money(card.total) }) }));
      if (card.more) list.append(h('p', { class: 'muted', text: t('widget.list.more') }));
      return list;
    }
    case 'payment_list':
      return titled(
        '',
        t('widget.payments.title'),
        undefined,
        items(card.items, t('widget.payments.empty'), (p) => [
          itemHead(p.paymentNumber, p.amount),
          h('div', { class: 'muted', text: [date(p.receivedOn), p.method, p.invoices.join(', ')].filter(Boolean).join(' · ') }),
        ]),
        card.more ? h('p', { class: 'muted', text: t('widget.payments.more') }) : null,
      );
    case 'credit_list':
      return titled(
        '',
        t('widget.credits.title'),
        undefined,
        items(card.items, t('widget.credits.empty'), (c) => [
          itemHead(c.creditNumber, c.amount),
          h('div', { class: 'muted', text: `${date(c.issuedOn)} · ${c.reason}` }),
          h('div', { text: c.appliedTo.length > 0 ? t('widget.credits.appliedTo', { invoices: c.appliedTo.join(', ') }) : t('widget.credits.available', { amount: money(c.available) }) }),
        ]),
        h('p', { class: 'list-total', text: t('widget.credits.total', { amount: money(card.available) }) }),
      );
    case 'email_receipt':
      return titled(
        'card-receipt',
        t(card.duplicate ? 'widget.email.duplicate' : 'widget.email.sent'),
        t('widget.email.label', { invoice: card.invoiceNumber }),
        h(
          'dl',
          { class: 'facts' },
          row('widget.email.invoice', card.invoiceNumber),
          row('widget.email.to', card.to),
          row('widget.email.status', EMAIL_STATES[card.status as keyof typeof EMAIL_STATES] ? t(EMAIL_STATES[card.status as keyof typeof EMAIL_STATES]) : card.status),
          row('widget.email.sentAt', dateTime(card.sentAt)),
        ),
      );
    case 'followup_receipt':
      return titled(
        'card-receipt',
        t('widget.followup.title'),
        t('widget.followup.label', { reference: card.reference }),
        h(
          'dl',
          { class: 'facts' },
          row('widget.followup.reference', card.reference),
          row('widget.followup.topic', TOPICS[card.topic] ? t(TOPICS[card.topic]) : card.topic),
          card.invoiceNumber ? row('widget.followup.invoice', card.invoiceNumber) : null,
          row('widget.followup.created', dateTime(card.createdAt)),
        ),
      );
    case 'confirm':
      return confirmCard(card, onDecide);
    default:
      return null;
  }
}
