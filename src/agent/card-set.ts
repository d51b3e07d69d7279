import { money } from '../format/money.js';
import { t } from '../i18n/index.js';
import { DEFAULT_LOCALE, type Locale } from '../i18n/locales.js';
import type { Card, InvoiceCardItem } from './types.js';

/**
 * One card per invoice per answer: no invoice appears twice among the `invoice` cards and the
 * `invoice_list` items of one answer (a confirm or receipt card about the same invoice is fine).
 *
 * An `invoice` card wins over a list item. It is the answer about that one invoice (the model
 * asked for it by number: a lookup with its lines, or a payment link), while a list that repeats
 * it was usually the step that found it ("pay the overdue ones" lists them, then makes one link
 * each). Both show the same facts and the same signed View / Pay links (a list item is the compact
 * form of the same card), so nothing the user can act on is lost. A list item with its own card
 * leaves the list; a list left empty is dropped; a list left with other invoices is titled
 * "Other …" and its total is the total of what it still shows. Of two `invoice` cards for one
 * invoice (a lookup and a payment link), the one with lines stays, in the first one's place; of
 * two lists, the first keeps the invoice. A list that gave invoices to their cards follows them.
 */

type InvoiceCard = Extract<Card, { type: 'invoice' }>;
type InvoiceListCard = Extract<Card, { type: 'invoice_list' }>;

/** How much an invoice card shows beyond the facts every card of the invoice shares. */
const detail = (c: InvoiceCard): number => c.lines?.length ?? 0;

/** "Outstanding invoices" → "Other outstanding invoices"; "Factures impayées" → "Autres factures impayées". */
function otherTitle(title: string, locale: Locale): string {
  const other = t(locale, 'cards.list.other', { title: '' }).trim();
  if (title.toLowerCase().startsWith(other.toLowerCase())) return title;
  return t(locale, 'cards.list.other', { title: `${title.charAt(0).toLocaleLowerCase(locale)}${title.slice(1)}` });
}

/**
 * The list without the invoices in `taken` (and without an invoice it repeats itself); null when
 * nothing is left. A list that lost items says so in its title and totals what it still shows.
 */
export function listWithout(list: InvoiceListCard, taken: ReadonlySet<string>, locale: Locale = DEFAULT_LOCALE): InvoiceListCard | null {
  const seen = new Set<string>();
  const items: InvoiceCardItem[] = [];
  for (const item of list.items) {
    if (taken.has(item.invoiceNumber) || seen.has(item.invoiceNumber)) continue;
    seen.add(item.invoiceNumber);
    items.push(item);
  }
  if (items.length === list.items.length) return list;
  if (items.length === 0) return null;
  const total = list.total ? money(BigInt(items.reduce((s, i) => s + i.amountDue.cents, 0)), list.total.currency, locale) : null;
  return { ...list, title: otherTitle(list.title, locale), items, total };
}

/**
 * Moves each list that gave up invoices to invoice cards after the last of those cards: "Other
 * outstanding invoices" reads after the invoice it is other than (a pick: "the oldest unpaid one").
 */
function afterTheirCards(cards: Card[], trimmed: ReadonlyMap<Card, ReadonlySet<string>>): Card[] {
  const out = [...cards];
  for (const [list, gave] of trimmed) {
    const from = out.indexOf(list);
    const last = out.reduce((at, c, i) => (c.type === 'invoice' && gave.has(c.invoiceNumber) ? i : at), -1);
    if (last > from) {
      out.splice(from, 1);
      out.splice(last, 0, list);
    }
  }
  return out;
}

/** The answer's cards with each invoice shown once (see the module comment for which card stays). */
/** `locale` is the cards' (a list that lost items is retitled and re-totalled in it). */
export function oneCardPerInvoice(cards: readonly Card[], locale: Locale = DEFAULT_LOCALE): Card[] {
  // The invoice card that stays for each invoice: the most detailed, at the first one's place.
  const best = new Map<string, InvoiceCard>();
  for (const c of cards) {
    if (c.type !== 'invoice') continue;
    const kept = best.get(c.invoiceNumber);
    if (!kept || detail(c) > detail(kept)) best.set(c.invoiceNumber, c);
  }
  const taken = new Set(best.keys());
  const out: Card[] = [];
  const placed = new Set<string>();
  const trimmed = new Map<Card, Set<string>>();
  for (const c of cards) {
    if (c.type === 'invoice') {
      if (placed.has(c.invoiceNumber)) continue;
      placed.add(c.invoiceNumber);
      out.push(best.get(c.invoiceNumber)!);
    } else if (c.type === 'invoice_list') {
      const list = listWithout(c, taken, locale);
      for (const item of list?.items ?? []) taken.add(item.invoiceNumber);
      if (!list) continue;
      out.push(list);
      const gave = new Set(c.items.filter((i) => best.has(i.invoiceNumber)).map((i) => i.invoiceNumber));
      if (list !== c && gave.size > 0) trimmed.set(list, gave);
    } else {
      out.push(c);
    }
  }
  return afterTheirCards(out, trimmed);
}

/**
 * The cards of an answer as they stream (a shown card cannot be taken back): a card is sent only
 * with the invoices not shown yet. The answer's final cards (`oneCardPerInvoice`) replace them
 * when it completes, so what streamed and what stays never show an invoice twice.
 */
export function createCardStream(locale: Locale = DEFAULT_LOCALE): (card: Card) => Card | null {
  const shown = new Set<string>();
  return (card) => {
    if (card.type === 'invoice') {
      if (shown.has(card.invoiceNumber)) return null;
      shown.add(card.invoiceNumber);
      return card;
    }
    if (card.type !== 'invoice_list') return card;
    const list = listWithout(card, shown, locale);
    for (const item of list?.items ?? []) shown.add(item.invoiceNumber);
    return list;
  };
}

/** The invoice numbers shown more than once among an answer's `invoice` cards and `invoice_list` items (empty when none). */
export function repeatedInvoices(cards: readonly Card[]): string[] {
  const counts = new Map<string, number>();
  const count = (n: string) => counts.set(n, (counts.get(n) ?? 0) + 1);
  for (const c of cards) {
    if (c.type === 'invoice') count(c.invoiceNumber);
    else if (c.type === 'invoice_list') c.items.forEach((i) => count(i.invoiceNumber));
  }
  return [...counts].filter(([, n]) => n > 1).map(([number]) => number);
}
