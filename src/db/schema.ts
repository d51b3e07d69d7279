import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** `date` columns travel as ISO strings (YYYY-MM-DD); see the type parsers in `src/db/index.ts`. */
type DateString = string;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface AccountsTable {
  id: string; // account number, e.g. R10042
  name: string;
  currency: string;
  opened_on: DateString;
  created_at: DefaultedTimestamp;
}

export interface AccountUsersTable {
  account_id: string;
  email: string;
  name: string | null;
  created_at: DefaultedTimestamp;
}

export interface AccountDomainsTable {
  account_id: string;
  domain: string;
  verified_at: Timestamp;
}

export interface BillingContactsTable {
  id: Generated<string>;
  account_id: string;
  email: string;
  name: string | null;
  created_at: DefaultedTimestamp;
}

export interface InvoicesTable {
  id: Generated<string>;
  account_id: string;
  number: string;
  issued_on: DateString;
  due_on: DateString;
  currency: string;
  total_cents: bigint;
  paid_cents: Generated<bigint>;
  credited_cents: Generated<bigint>;
  amount_due_cents: ColumnType<bigint, never, never>;
  memo: string | null;
  is_opening: Generated<boolean>;
  voided_at: Timestamp | null;
  created_at: DefaultedTimestamp;
}

export interface InvoiceLinesTable {
  id: Generated<string>;
  invoice_id: string;
  position: number;
  kind: 'opening_fee' | 'order' | 'service' | 'adjustment';
  description: string;
  reference: string | null;
  quantity: number;
  unit_cents: bigint;
  amount_cents: bigint;
}

export interface PaymentsTable {
  id: Generated<string>;
  account_id: string;
  number: string;
  received_on: DateString;
  amount_cents: bigint;
  currency: string;
  method: string;
  processor_ref: string | null;
  created_at: DefaultedTimestamp;
}

export interface PaymentAllocationsTable {
  payment_id: string;
  invoice_id: string;
  amount_cents: bigint;
}

export interface CreditMemosTable {
  id: Generated<string>;
  account_id: string;
  number: string;
  issued_on: DateString;
  amount_cents: bigint;
  applied_cents: Generated<bigint>;
  currency: string;
  reason: string;
  created_at: DefaultedTimestamp;
}

export interface CreditApplicationsTable {
  credit_memo_id: string;
  invoice_id: string;
  amount_cents: bigint;
  applied_on: DateString;
}

export interface ConversationsTable {
  id: string;
  account_id: string;
  user_id: string;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface ChatMessagesTable {
  id: string;
  conversation_id: string;
  seq: number;
  role: 'user' | 'assistant';
  text: string;
  cards: ColumnType<unknown[], string, string>;
  status: Generated<'complete' | 'error' | 'cancelled'>;
  prompt_version: string | null;
  model: string | null;
  redacted: Generated<boolean>;
  created_at: DefaultedTimestamp;
}

export interface ToolCallAuditTable {
  id: Generated<string>;
  message_id: string;
  conversation_id: string;
  account_id: string;
  call_id: string;
  name: string;
  arguments: ColumnType<unknown, string, string>;
  outcome: string;
  error: string | null;
  latency_ms: number;
  created_at: DefaultedTimestamp;
}

export interface DB {
  conversations: ConversationsTable;
  chat_messages: ChatMessagesTable;
  tool_call_audit: ToolCallAuditTable;
  accounts: AccountsTable;
  account_users: AccountUsersTable;
  account_domains: AccountDomainsTable;
  billing_contacts: BillingContactsTable;
  invoices: InvoicesTable;
  invoice_lines: InvoiceLinesTable;
  payments: PaymentsTable;
  payment_allocations: PaymentAllocationsTable;
  credit_memos: CreditMemosTable;
  credit_applications: CreditApplicationsTable;
}

export type InvoiceRow = Selectable<InvoicesTable>;
export type NewInvoice = Insertable<InvoicesTable>;
