import { OPENING_FEE_CENTS } from '../../billing/ledger.js';
import { formatMoney } from '../../format/money.js';
import type { OutOfScopeTopic, PolicyTopic } from './intent.js';

/**
 * Fixed answers: the billing policy of the product brief (the one-time opening fee, paying on the
 * secure payment page), help, and what the assistant does not do. No invoice numbers appear in
 * these texts, so they never become the "context" of a follow-up.
 */

/** The one-time account opening fee as the replies state it ("$50.00"). */
export const OPENING_FEE = formatMoney(OPENING_FEE_CENTS);

export function capabilities(canEmail: boolean): string {
  const items = [
    'check your balance and what is overdue ("What is my current account balance?")',
    'show an invoice by its number ("Show me invoice" and the number)',
    'list your outstanding invoices',
    'search your invoice history by status or date ("paid invoices from October")',
    'list your payments and credit memos',
    'create secure payment links, for one invoice or all overdue ones',
  ];
  if (canEmail) items.push('email a PDF copy of an invoice to your billing contacts');
  items.push(`explain the one-time ${OPENING_FEE} opening fee and how payment works`);
  return `I can:\n${items.map((i) => `- ${i}`).join('\n')}`;
}

export const SECURE_PAGE_NOTE = 'Card details are only ever entered on that secure page, never in chat.';

export const POLICY: Record<PolicyTopic | 'emailHow' | 'handoffHow', string> = {
  emailHow:
    'I can email a PDF copy of an invoice when you ask me to, naming the invoice and the address, for example "Email IN7654321 to accounting@yourcompany.com". It can go to your billing contacts or to an address at your verified domain, and it is sent right away. Nothing is sent unless you ask.',
  handoffHow:
    "For disputes, due-date extensions, refunds or anything else I can't do, I can pass your request to our accounts-receivable team, who follow up by email. I only do that when you ask me to.",
  fee:
    `The ${OPENING_FEE} charge is the one-time account opening fee. It is charged once, when an account is opened, on the account's first invoice, and it can be paid by credit card like the rest of that invoice, on our secure payment page. It is never charged again.`,
  howToPay:
    'To pay an invoice, ask me for a payment link (say "pay" and the invoice number, or "pay all my overdue invoices"), or click Pay Now next to the invoice on the Invoices tab of the Billing section in the portal. Either way you go to our secure payment page, run by our payment processor, where you enter your credit card details and confirm. The invoice is marked Paid once the payment completes. For your security, I never ask for or take card details in chat.',
  cardPayment:
    'Yes, invoices are paid by credit card on our secure payment page. Ask me for a payment link for the invoice (or use Pay Now on the Invoices tab of the Billing section), then enter your card details on that page. For your security, I never take card details in chat.',
  otherMethods:
    "Through the portal and this assistant, invoices are paid by credit card on our secure payment page (ask me for a payment link, or use Pay Now in the Billing section). For other ways to pay, please contact your Randmar account representative. I never take payment details in chat.",
  statuses:
    'Invoice statuses: Paid means nothing is left to pay; Due means it is open but not yet past its due date; Overdue means it is past its due date with an amount still due; Partially paid means part of it has been paid or credited and the rest is still due. An invoice is marked Paid once its payment completes on the secure payment page.',
  whenPaid:
    'Once your payment completes on the secure payment page, the invoice is marked Paid in the portal, and your balance updates with it.',
  security:
    "Payments happen only on our secure payment processor's page, never in this chat: I give you a signed link to it, and you enter your credit card details there. I never ask for, see or store card details.",
  portal:
    'In the portal, select "Billing" from the main menu. The dashboard shows your current balance and any overdue amounts; the Invoices tab lists all your invoices with their status and a Pay Now button; the Payments and Credits tabs show your payment history and credit memos; the Contacts tab lists your billing contacts and verified domains, and is where you add a billing contact.',
  cardData:
    "For your security, I can't take card details in chat, so please don't type them here. Card details are only ever entered on our secure payment page: ask me for a payment link for the invoice you want to pay (or say \"pay all my overdue invoices\").",
  trouble:
    "Sorry about that. Try the payment link again (I can create a fresh one: say \"pay\" and the invoice number), or use Pay Now next to the invoice on the Invoices tab of the portal's Billing section. If the secure payment page still doesn't load or your card is declined, please contact your Randmar account representative. Never send card details in chat.",
  pdf: 'You can open any invoice from the Invoices tab in the portal\'s Billing section, where you can view and download it.',
};

export const HELP = (canEmail: boolean) => `I'm your Billing Assistant for the Reseller Portal. ${capabilities(canEmail)}\nWhat would you like to do?`;

export const GREETING = (canEmail: boolean) =>
  `Hello! I'm your Billing Assistant. I can check your balance, show or list your invoices, payments and credits, and create secure payment links${canEmail ? ', and email invoice copies' : ''}. What would you like to do?`;

export const CHAT = {
  thanks: "You're welcome! Is there anything else I can help you with on your billing?",
  bye: 'Goodbye! Your balance and invoices are always on the Billing pages of the portal.',
  ack: 'Okay. Is there anything else I can help you with on your billing?',
  no: 'No problem. Is there anything else I can help you with?',
} as const;

export const OTHER_ACCOUNT =
  "I can only work with the account you're signed in to, so I can't look up, show or act on another account, and an account number in a message doesn't change that. If you meant your own account, just ask (for example \"What is my balance?\"); for another account, sign in to the portal with that account.";

export const INJECTION =
  "I can't change how I work or set my rules aside. I only help with your own account's billing, and I only act on what you ask me directly.";

export const MEMO_INJECTION =
  "Text inside an invoice, such as a memo or a line description, is just information: I don't follow instructions written there, and I haven't taken any action because of it. If you want something done, ask me directly, for example to show an invoice or create a payment link.";

export const OUT_OF_SCOPE: Record<OutOfScopeTopic, string> = {
  orders: "I can't help with orders, products, pricing or shipping here: I'm the billing assistant.",
  refund: "I can't issue refunds in chat. Please contact your Randmar account representative; I can show you the invoice and payment details to share with them.",
  dispute:
    "I can't open a dispute or change an invoice in chat. Please contact your Randmar account representative; I can show you the invoice details to share with them.",
  applyCredit:
    "I can't apply credit memos to invoices myself. Unapplied credit already counts toward your balance; your Randmar account representative can apply it to a specific invoice. I can list your credits and what is still available.",
  autopay:
    "I can't set up automatic payments or store cards. Each invoice is paid on our secure payment page, and I can create a payment link whenever you're ready.",
  profile: "I can't change account settings, users or contact details here. You can manage those in the portal.",
  general: "I can't help with that: I only handle billing for your Reseller Portal account.",
  bulkEmail: 'I can email one invoice at a time.',
  cancel:
    "I can't cancel, change or waive invoices, fees or charges in chat. Please contact your Randmar account representative about it; I can show you the invoice details to share with them.",
};

export const UNKNOWN = (canEmail: boolean) => `Sorry, I didn't quite get that. ${capabilities(canEmail)}`;

export const EMAIL_UNAVAILABLE = (numbers: string[], to: string | null) => {
  const what = numbers.length === 1 ? numbers[0]! : numbers.length > 1 ? numbers.join(', ') : 'any invoice';
  return `Emailing invoice copies isn't available in the assistant yet, so I haven't sent anything. You can open ${what} from the Invoices tab in the portal's Billing section, download it there and forward it${to ? ` to ${to}` : ''}.`;
};
