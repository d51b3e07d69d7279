import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { formProblem, headerLabel, parseEmailAddress, whyNotPlain, type RecipientReading } from './recipients.js';

/**
 * The recipient policy, enforced here in code (never left to the prompt): an invoice may be
 * emailed only to one of the account's billing contacts or to an address whose domain is exactly
 * one of the account's verified domains (case-insensitive). Subdomains and look-alikes do not
 * count: `x@mycompany.com.evil.example`, `x@evil.mycompany.com`, `x@mycompany.co`.
 *
 * Addresses are validated strictly (parseEmailAddress, in recipients.ts with the reading of what was
 * typed), to the plain form people type: ASCII, one `@`, a local part of
 * letters, digits and `. _ + - '` (no quotes, comments, `%`/`!` source routes, `?`, `/` or `=`), and a
 * domain of DNS labels with a real top-level label (no IP literals, no trailing dot). Anything else
 * (display names, several addresses, `mailto:`, line breaks) is refused as invalid rather than
 * "interpreted", with the reason (recipients.ts reads what was typed).
 */

export { parseEmailAddress, type ParsedAddress } from './recipients.js';

export type RecipientDecision =
  | { allowed: true; address: string; basis: 'billing_contact' | 'verified_domain' }
  | {
      allowed: false;
      code: 'invalid_recipient' | 'recipient_not_allowed';
      address: string | null;
      message: string;
      /** The reason alone ("it is not one of…"), for an answer that lists several addresses. */
      reason: string;
    };

/** The portal's Contacts page (Billing → Contacts), where a billing contact is added: a relative path the server writes, never the model. */
export const CONTACTS_PAGE_PATH = '/portal/billing/contacts';

export const CONTACTS_REMEDY = `add it as a billing contact under Billing → Contacts in the portal, at ${CONTACTS_PAGE_PATH} (or with POST /v1/billing/contacts), then ask again`;

function quoted(raw: string): string {
  const s = raw.replace(/[\r\n\t]+/g, ' ').trim();
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** May this account's invoices be emailed to `raw`? */
export async function checkRecipient(db: Kysely<DB>, accountId: string, raw: string): Promise<RecipientDecision> {
  const parsed = parseEmailAddress(raw);
  if (!parsed) {
    const reason = whyNotPlain(raw);
    return {
      allowed: false,
      code: 'invalid_recipient',
      address: null,
      message: `"${quoted(raw)}" is refused: ${reason}, so nothing was sent. Give one plain address, such as name@yourcompany.com.`,
      reason,
    };
  }
  const [contact, domains] = await Promise.all([
    db.selectFrom('billing_contacts').select('id').where('account_id', '=', accountId).where('email', '=', parsed.address).executeTakeFirst(),
    db.selectFrom('account_domains').select('domain').where('account_id', '=', accountId).orderBy('domain').execute(),
  ]);
  if (contact) return { allowed: true, address: parsed.address, basis: 'billing_contact' };
  const verified = domains.map((d) => d.domain.toLowerCase());
  if (verified.includes(parsed.domain)) return { allowed: true, address: parsed.address, basis: 'verified_domain' };
  const where =
    verified.length === 0
      ? 'and this account has no verified email domain'
      : `and is not at this account's verified domain${verified.length > 1 ? 's' : ''} (${verified.join(', ')})`;
  return {
    allowed: false,
    code: 'recipient_not_allowed',
    address: parsed.address,
    message: `${parsed.address} is not one of this account's billing contacts ${where}, so nothing was sent. Invoices can only be emailed to billing contacts or addresses at a verified domain. To email invoices to this address, ${CONTACTS_REMEDY}.`,
    reason: `it is not one of this account's billing contacts ${where}`,
  };
}

/** One typed recipient of a request that named several (or wrote one in a form that is refused). */
export interface RecipientVerdict {
  typed: string;
  allowed: boolean;
  /** "a billing contact", "an address at a verified domain", or the reason it is refused. */
  why: string;
}

/** The verdict on one typed recipient: its form first, then the policy (`check` is checkRecipient for the account). */
export async function recipientVerdict(r: RecipientReading['recipients'][number], check: (to: string) => Promise<RecipientDecision>): Promise<RecipientVerdict> {
  const problem = formProblem(r);
  if (problem) return { typed: r.typed, allowed: false, why: problem };
  const d = await check(r.typed);
  if (!d.allowed) return { typed: r.typed, allowed: false, why: d.reason };
  return { typed: r.typed, allowed: true, why: d.basis === 'billing_contact' ? 'a billing contact' : `at the verified domain ${d.address.split('@')[1]}` };
}

/**
 * The answer to a request that names several recipients, or writes one in a refused form, or adds
 * mail headers: nothing is sent to anyone, and each address is listed as would-be-allowed or
 * refused with its reason. One request names one recipient per send.
 */
export function severalRecipientsMessage(reading: RecipientReading, verdicts: RecipientVerdict[], invoiceNumber: string): string {
  const count = reading.recipients.length;
  const headers = [...new Set(reading.headers.map(headerLabel))];
  const injected =
    headers.length > 0
      ? `Your message puts a mail header (${headers.join(', ')}) after a line break, which could add hidden recipients (header injection).`
      : 'Your message contains an encoded line break (such as %0A), which could add mail headers and hidden recipients (header injection).';
  const intro = reading.injection
    ? `${injected} That is refused, so nothing was sent to anyone.`
    : count > 1
      ? `You named ${count} addresses, and I email an invoice to one recipient per request, so nothing was sent to anyone.`
      : 'Nothing was sent.';
  const allowed = verdicts.find((v) => v.allowed);
  const again = `To send ${invoiceNumber}, ask again naming one plain address, for example "Email ${invoiceNumber} to ${allowed ? allowed.typed : 'name@yourcompany.com'}".`;
  const one = verdicts[0];
  if (count === 1 && !reading.injection && one && !one.allowed) return `${quoted(one.typed)} is refused: ${one.why}, so nothing was sent. ${again}`;
  const lines = verdicts.map((v) => `- ${quoted(v.typed)} ${v.allowed ? `would be allowed (${v.why})` : `is refused: ${v.why}`}`);
  if (count > verdicts.length) lines.push(`- and ${count - verdicts.length} more, not checked`);
  const remedy = verdicts.some((v) => !v.allowed && /billing contacts/.test(v.why)) ? ` To email invoices to a refused address, ${CONTACTS_REMEDY}.` : '';
  return `${intro}\n${lines.join('\n')}\n${again}${remedy}`;
}
