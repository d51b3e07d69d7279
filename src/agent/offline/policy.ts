import { OPENING_FEE_CENTS } from '../../billing/ledger.js';
import { formatMoney } from '../../format/money.js';
import type { Locale } from '../../i18n/locales.js';
import type { Say } from './compose-common.js';
import type { OtherFeeTopic } from './intent-draft.js';
import type { OutOfScopeTopic, PolicyTopic } from './intent.js';

/**
 * Fixed answers: the billing policy of the product brief (the one-time opening fee, paying on the
 * secure payment page), help, and what the assistant does not do. No invoice numbers appear in
 * these texts, so they never become the "context" of a follow-up. The texts are the catalogue's
 * (area `engine`); these tables name their keys.
 */

/** The one-time account opening fee as the replies state it ("$50.00", "50,00 $"). */
export const openingFee = (locale: Locale) => formatMoney(OPENING_FEE_CENTS, 'CAD', locale);

export function capabilities(say: Say, canEmail: boolean): string {
  const items = [
    say.t('engine.capabilities.balance'),
    say.t('engine.capabilities.show'),
    say.t('engine.capabilities.outstanding'),
    say.t('engine.capabilities.history'),
    say.t('engine.capabilities.paymentsCredits'),
    say.t('engine.capabilities.payLinks'),
  ];
  if (canEmail) items.push(say.t('engine.capabilities.email'));
  items.push(say.t('engine.capabilities.fee', { fee: openingFee(say.locale) }));
  return `${say.t('engine.capabilities.intro')}\n${items.map((i) => `- ${i}`).join('\n')}`;
}

/** The short form, after a refusal ("I can check your balance, …"). */
export const capabilitiesShort = (say: Say, canEmail: boolean) =>
  say.t(canEmail ? 'engine.capabilities.shortWithEmail' : 'engine.capabilities.short');

export type PolicyKey = PolicyTopic | 'emailHow' | 'handoffHow';

export const POLICY_KEY: Record<PolicyKey, string> = {
  emailHow: 'engine.policy.emailHow',
  handoffHow: 'engine.policy.handoffHow',
  fee: 'engine.policy.fee',
  feeLate: 'engine.policy.otherFee',
  feeInterest: 'engine.policy.otherFee',
  feePenalty: 'engine.policy.otherFee',
  feeCard: 'engine.policy.otherFee',
  feeReturned: 'engine.policy.otherFee',
  feeOther: 'engine.policy.otherFee',
  howToPay: 'engine.policy.howToPay',
  cardPayment: 'engine.policy.cardPayment',
  otherMethods: 'engine.policy.otherMethods',
  statuses: 'engine.policy.statuses',
  whenPaid: 'engine.policy.whenPaid',
  security: 'engine.policy.security',
  portal: 'engine.policy.portal',
  cardData: 'engine.policy.cardData',
  trouble: 'engine.policy.trouble',
  pdf: 'engine.policy.pdf',
  notShownYet: 'engine.policy.notShownYet',
};

/** What each other-fee answer names ("late fees", "les intérêts"). */
const OTHER_FEE_KIND: Record<OtherFeeTopic, string> = {
  feeLate: 'engine.feeKind.late',
  feeInterest: 'engine.feeKind.interest',
  feePenalty: 'engine.feeKind.penalty',
  feeCard: 'engine.feeKind.card',
  feeReturned: 'engine.feeKind.returned',
  feeOther: 'engine.feeKind.other',
};

export const policyText = (say: Say, topic: PolicyKey) =>
  say.t(POLICY_KEY[topic], { fee: openingFee(say.locale), ...(topic in OTHER_FEE_KIND ? { what: say.t(OTHER_FEE_KIND[topic as OtherFeeTopic]) } : {}) });

export const helpText = (say: Say, canEmail: boolean) => say.t('engine.help', { capabilities: capabilities(say, canEmail) });

export const greetingText = (say: Say, canEmail: boolean) => say.t(canEmail ? 'engine.greeting.withEmail' : 'engine.greeting.withoutEmail');

export const CHAT_KEY = {
  thanks: 'engine.chat.thanks',
  bye: 'engine.chat.bye',
  ack: 'engine.chat.ack',
  no: 'engine.chat.no',
} as const;

export const OTHER_ACCOUNT = 'engine.otherAccount';
export const INJECTION = 'engine.injection';
export const MEMO_INJECTION = 'engine.memoInjection';

export const OUT_OF_SCOPE_KEY: Record<OutOfScopeTopic, string> = {
  orders: 'engine.outOfScope.orders',
  refund: 'engine.outOfScope.refund',
  dispute: 'engine.outOfScope.dispute',
  applyCredit: 'engine.outOfScope.applyCredit',
  autopay: 'engine.outOfScope.autopay',
  profile: 'engine.outOfScope.profile',
  general: 'engine.outOfScope.general',
  bulkEmail: 'engine.outOfScope.bulkEmail',
  cancel: 'engine.outOfScope.cancel',
};

export const unknownText = (say: Say, canEmail: boolean) => say.t('engine.unknown', { capabilities: capabilities(say, canEmail) });

export function emailUnavailable(say: Say, numbers: string[], to: string | null): string {
  const what = numbers.length === 1 ? numbers[0]! : numbers.length > 1 ? numbers.join(', ') : say.t('engine.emailUnavailable.anyInvoice');
  return to ? say.t('engine.emailUnavailable.to', { what, to }) : say.t('engine.emailUnavailable.text', { what });
}
