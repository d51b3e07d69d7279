import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Clock } from './dates.js';
import * as q from './queries.js';

export type BillingService = ReturnType<typeof createBillingService>;

/**
 * The billing domain every door calls (tools, REST, portal pages, pay page). Each method takes
 * the account id (from the verified session) first; "today" comes from the injected clock.
 */
export function createBillingService(deps: { db: Kysely<DB>; clock: Clock }) {
  const { db, clock } = deps;
  return {
    today: () => clock.today(),
    account: (accountId: string) => q.getAccount(db, accountId),
    balance: (accountId: string) => q.getBalance(db, accountId, clock.today()),
    invoice: (accountId: string, number: string) => q.getInvoice(db, accountId, number, clock.today()),
    outstanding: (accountId: string, page: q.Page) => q.listOutstanding(db, accountId, page, clock.today()),
    invoices: (accountId: string, filter: q.InvoiceFilter, page: q.Page) => q.listInvoices(db, accountId, filter, page, clock.today()),
    payments: (accountId: string, filter: { from?: string | undefined; to?: string | undefined }, page: q.Page) =>
      q.listPayments(db, accountId, filter, page),
    credits: (accountId: string, page: q.Page) => q.listCredits(db, accountId, page),
  };
}
