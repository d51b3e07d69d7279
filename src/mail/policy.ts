import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/**
 * The recipient policy, enforced here in code (never left to the prompt): an invoice may be
 * emailed only to one of the account's billing contacts or to an address whose domain is exactly
 * one of the account's verified domains (case-insensitive). Subdomains and look-alikes do not
 * count: `x@mycompany.com.evil.example`, `x@evil.mycompany.com`, `x@mycompany.co`.
 *
 * Addresses are validated strictly, to the plain form people type: ASCII, one `@`, a local part of
 * letters, digits and `. _ + - '` (no quotes, comments, `%`/`!` source routes, `?`, `/` or `=`), and a
 * domain of DNS labels with a real top-level label (no IP literals, no trailing dot). Anything else
 * (display names, several addresses, `mailto:`, line breaks) is refused as invalid rather than
 * "interpreted".
 */

export interface ParsedAddress {
  /** Lowercased `local@domain`. */
  address: string;
  local: string;
  domain: string;
}

const LOCAL = /^[a-z0-9_+'-]+(?:\.[a-z0-9_+'-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TOP = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** Parses one plain email address; null when it is not one. */
export function parseEmailAddress(raw: unknown): ParsedAddress | null {
  if (typeof raw !== 'string') return null;
  const s = raw.trim();
  if (s.length < 3 || s.length > 254) return null;
  // Printable ASCII only: no spaces, controls, line breaks or look-alike Unicode.
  if (!/^[\x21-\x7e]+$/.test(s)) return null;
  const at = s.indexOf('@');
  if (at < 1 || at !== s.lastIndexOf('@')) return null;
  const local = s.slice(0, at).toLowerCase();
  const domain = s.slice(at + 1).toLowerCase();
  if (local.length > 64 || !LOCAL.test(local)) return null;
  if (domain.length > 253) return null;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || !TOP.test(labels[labels.length - 1]!)) return null;
  return { address: `${local}@${domain}`, local, domain };
}

export type RecipientDecision =
  | { allowed: true; address: string; basis: 'billing_contact' | 'verified_domain' }
  | { allowed: false; code: 'invalid_recipient' | 'recipient_not_allowed'; address: string | null; message: string };

export const CONTACTS_REMEDY = 'add it as a billing contact under Billing → Contacts in the portal (or with POST /v1/billing/contacts), then ask again';

function quoted(raw: string): string {
  const s = raw.replace(/[\r\n\t]+/g, ' ').trim();
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** May this account's invoices be emailed to `raw`? */
export async function checkRecipient(db: Kysely<DB>, accountId: string, raw: string): Promise<RecipientDecision> {
  const parsed = parseEmailAddress(raw);
  if (!parsed) {
    return {
      allowed: false,
      code: 'invalid_recipient',
      address: null,
      message: `"${quoted(raw)}" is not a valid email address, so nothing was sent. Give one plain address, such as name@yourcompany.com.`,
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
  };
}
