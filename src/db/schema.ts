import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** `date` columns travel as ISO strings (YYYY-MM-DD); see the type parsers in `src/db/index.ts`. */
type DateString = string;
/** A timestamp the writer must give (no default in SQL). */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamp with a SQL default (`now()`): optional on insert. */
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface AccountsTable {
  id: string; // account number, e.g. R10042
  name: string;
  currency: Generated<string>;
  opened_on: DateString;
  created_at: DefaultedTimestamp;
  /** A closed account takes no invoice issued on or after this day (src/billing/ledger.ts). */
  closed_on: DateString | null;
  /** The billing system's version of this record (operator API upserts); null when written here. */
  source_version: bigint | null;
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
  /** The billing system's version of this record (operator API upserts); null when written here. */
  source_version: bigint | null;
}

export interface BillingContactsTable {
  id: Generated<bigint>;
  account_id: string;
  email: string;
  name: string | null;
  /** Who added it (a portal user); null for contacts loaded by the fixture. */
  created_by: Generated<string | null>;
  created_at: DefaultedTimestamp;
  /** The billing system's version of this record (operator API upserts); null when written here. */
  source_version: bigint | null;
}

export interface InvoicesTable {
  id: Generated<bigint>;
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
  /** The billing system's version of this record (operator API upserts); null when written here. */
  source_version: bigint | null;
}

export interface InvoiceLinesTable {
  id: Generated<bigint>;
  invoice_id: bigint;
  position: number;
  kind: 'opening_fee' | 'order' | 'service' | 'adjustment';
  description: string;
  reference: string | null;
  quantity: Generated<number>;
  unit_cents: bigint;
  amount_cents: bigint;
}

export interface PaymentsTable {
  id: Generated<bigint>;
  account_id: string;
  number: string;
  received_on: DateString;
  amount_cents: bigint;
  currency: string;
  method: string;
  processor_ref: string | null;
  created_at: DefaultedTimestamp;
  /** The billing system's version of this record (operator API upserts); null when written here. */
  source_version: bigint | null;
}

export interface PaymentAllocationsTable {
  payment_id: bigint;
  invoice_id: bigint;
  amount_cents: bigint;
}

export interface CreditMemosTable {
  id: Generated<bigint>;
  account_id: string;
  number: string;
  issued_on: DateString;
  amount_cents: bigint;
  applied_cents: Generated<bigint>;
  currency: string;
  reason: string;
  created_at: DefaultedTimestamp;
  /** The billing system's version of this record (operator API upserts); null when written here. */
  source_version: bigint | null;
}

export interface CreditApplicationsTable {
  credit_memo_id: bigint;
  invoice_id: bigint;
  amount_cents: bigint;
  applied_on: DateString;
  /** The billing system's version of this record (operator API upserts); null when written here. */
  source_version: bigint | null;
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
  cards: ColumnType<unknown[], string | undefined, string>;
  status: Generated<'complete' | 'error' | 'cancelled'>;
  prompt_version: string | null;
  model: string | null;
  redacted: Generated<boolean>;
  /** Typed dialogue state of an assistant message (src/agent/context.ts); null on user messages. */
  context: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: DefaultedTimestamp;
}

/** A thumbs-down on an assistant message, with an optional comment (migration 20261201090000_feedback). */
export interface ChatFeedbackTable {
  id: Generated<bigint>;
  message_id: string;
  conversation_id: string;
  account_id: string;
  user_id: string;
  /** Card numbers already removed (src/redaction); null when the user wrote none. */
  comment: string | null;
  comment_redacted: Generated<boolean>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface ChatProposalsTable {
  id: string;
  conversation_id: string;
  message_id: string;
  account_id: string;
  user_id: string;
  tool: string;
  arguments: ColumnType<unknown, string, string>;
  status: Generated<'pending' | 'approved' | 'declined' | 'expired' | 'superseded'>;
  created_at: DefaultedTimestamp;
  expires_at: Timestamp;
  decided_at: Timestamp | null;
}

export interface FollowUpsTable {
  id: Generated<bigint>;
  reference: string;
  account_id: string;
  user_id: string;
  conversation_id: string | null;
  invoice_number: string | null;
  topic: 'dispute' | 'extension' | 'refund' | 'other';
  user_words: string;
  status: Generated<'open' | 'closed'>;
  notified_at: Timestamp | null;
  created_at: DefaultedTimestamp;
}

export type AuditActorType = 'user' | 'operator' | 'system';

/** Every audited action (src/audit/log.ts is the one writer): tool calls, contact changes, operator calls. */
export interface AuditLogTable {
  id: Generated<bigint>;
  created_at: DefaultedTimestamp;
  actor_type: AuditActorType;
  actor_id: string | null;
  account_id: string | null;
  /** 'tool_call', 'contact.add', 'contact.remove', 'ops.*' */
  action: string;
  outcome: string;
  conversation_id: string | null;
  message_id: string | null;
  call_id: string | null;
  name: string | null;
  arguments: ColumnType<unknown, string | null | undefined, string | null>;
  error: string | null;
  latency_ms: number | null;
  details: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  /** Tool calls only: 'chat', or 'mcp' (src/mcp; no conversation or message). Null for other actions. */
  channel: 'chat' | 'mcp' | null;
}

/** A read-only view: the 'tool_call' rows of audit_log, with the columns the table of that name had. */
export interface ToolCallAuditTable {
  id: ColumnType<bigint, never, never>;
  message_id: ColumnType<string, never, never>;
  conversation_id: ColumnType<string, never, never>;
  account_id: ColumnType<string, never, never>;
  call_id: ColumnType<string, never, never>;
  name: ColumnType<string, never, never>;
  arguments: ColumnType<unknown, never, never>;
  outcome: ColumnType<string, never, never>;
  error: ColumnType<string | null, never, never>;
  latency_ms: ColumnType<number, never, never>;
  created_at: ColumnType<Date, never, never>;
}

/** A Checkout Session we created (payments issue). */
export interface CheckoutSessionsTable {
  id: string;
  account_id: string;
  invoice_id: bigint;
  invoice_number: string;
  processor: 'stripe' | 'sandbox';
  amount_cents: bigint;
  currency: string;
  state: Generated<CheckoutSessionState>;
  url: string;
  idempotency_key: string;
  expires_at: Timestamp;
  payment_intent: string | null;
  payment_id: bigint | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}
export type CheckoutSessionState = 'open' | 'processing' | 'paid' | 'failed' | 'expired';

/** Processor events processed exactly once, keyed by event id. */
export interface StripeEventsTable {
  id: string;
  type: string;
  source: 'webhook' | 'reconcile';
  session_id: string | null;
  account_id: string | null;
  outcome: string;
  reason: string | null;
  payment_id: bigint | null;
  event_created_at: Timestamp | null;
  processed_at: DefaultedTimestamp;
}

/** Events that did not match what we created (never applied); for an operator to resolve. */
export interface PaymentAlertsTable {
  id: Generated<bigint>;
  alert: string;
  event_id: string | null;
  session_id: string | null;
  account_id: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: DefaultedTimestamp;
  resolved_at: Timestamp | null;
  /** The operator who resolved it (set with resolved_at and resolution_note; migration 20261201030000_ops_alerts). */
  resolved_by: string | null;
  resolution_note: string | null;
}

export type EmailSendStatus = 'sending' | 'sent' | 'failed' | 'duplicate' | 'refused';
export type MailTransportName = 'resend' | 'outbox';

/** Every attempt to email an invoice, whatever came of it. */
export interface EmailSendsTable {
  id: string;
  account_id: string;
  user_id: string;
  conversation_id: string | null;
  invoice_number: string;
  recipient: string;
  transport: MailTransportName | null;
  transport_message_id: string | null;
  status: EmailSendStatus;
  reason: string | null;
  error: string | null;
  duplicate_of: string | null;
  idempotency_key: string | null;
  created_at: DefaultedTimestamp;
  completed_at: Timestamp | null;
}

/** The local outbox: messages the development transport "sent". */
export interface OutboxTable {
  id: string;
  email_send_id: string | null;
  idempotency_key: string | null;
  from_address: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  disk_path: string | null;
  created_at: DefaultedTimestamp;
}

export interface OutboxAttachmentsTable {
  outbox_id: string;
  position: number;
  filename: string;
  content_type: string;
  size_bytes: number;
  content: Buffer;
}

/** The durable, ordered event table (src/eventlog writes and reads it; migration 20261201050000_events). */
export interface EventsTable {
  id: Generated<bigint>;
  /** 'evt_…': the stable public id (feed items, webhook-id). */
  event_id: Generated<string>;
  /** 'payment.completed', 'credit_memo.created', 'alert.raised', 'followup.requested' (src/eventlog/store.ts EVENT_TYPES). */
  type: string;
  account_id: string | null;
  payload: ColumnType<Record<string, unknown>, string | undefined, never>;
  /** The writing transaction's id (pg_current_xact_id() as int8): the feed's order is (txid, id). */
  txid: ColumnType<bigint, undefined, never>;
  created_at: DefaultedTimestamp;
}

/** A configured webhook URL and the feed position its deliveries were created up to. */
export interface WebhookEndpointsTable {
  url: string;
  after_txid: bigint;
  after_id: bigint;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event to one URL, with its retry state (src/ops-webhooks). */
export interface WebhookDeliveriesTable {
  id: Generated<bigint>;
  event_id: bigint;
  url: string;
  status: Generated<WebhookDeliveryStatus>;
  attempts: Generated<number>;
  next_attempt_at: DefaultedTimestamp;
  last_attempt_at: Timestamp | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Timestamp | null;
  created_at: DefaultedTimestamp;
}

/** Every attempt at a delivery. */
export interface WebhookDeliveryAttemptsTable {
  id: Generated<bigint>;
  delivery_id: bigint;
  attempt: number;
  started_at: Timestamp;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  outcome: 'delivered' | 'retry' | 'failed';
}

/** One operator request per (operator, Idempotency-Key) and the answer it got (src/billing/ops/idempotency.ts). */
export interface OpsIdempotencyTable {
  operator_id: string;
  key: string;
  /** 'PUT /v1/ops/invoices/IN7654321' */
  request: string;
  /** sha256 of the method, path and validated body. */
  request_hash: string;
  /** Null only inside the writing transaction. */
  response_status: number | null;
  response_body: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: DefaultedTimestamp;
}

/** The bulk importer's checkpoint per imported file (src/cli/import/checkpoint.ts; migration 20261201060000_ops_import). */
export interface OpsImportsTable {
  id: Generated<bigint>;
  /** sha256 of the file's first 64 KiB and its size. */
  fingerprint: string;
  file_name: string;
  format: 'ndjson' | 'csv';
  operator_id: string;
  /** The run writing it now; another run of the same file takes it over. */
  run_id: string;
  status: Generated<'running' | 'stopped' | 'completed'>;
  /** After the last committed batch: the next byte to read and its line number. */
  next_offset: Generated<bigint>;
  next_line: Generated<bigint>;
  records: Generated<bigint>;
  applied: Generated<bigint>;
  unchanged: Generated<bigint>;
  rejected: Generated<bigint>;
  rejects_path: string;
  /** The reject report's length after the last committed batch. */
  rejects_bytes: Generated<bigint>;
  started_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  finished_at: Timestamp | null;
}

/** What a client declared at `initialize`, by the SHA-256 (hex) of its bearer token, until the token expires. */
export interface McpClientsTable {
  token_hash: string;
  account_id: string;
  user_id: string;
  protocol_version: string;
  capabilities: ColumnType<Record<string, unknown>, string, string>;
  client_info: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  created_at: DefaultedTimestamp;
  expires_at: Timestamp;
}

export type McpProposalStatus = 'pending' | 'approved' | 'declined' | 'cancelled' | 'expired';

/** A side effect proposed over MCP, approved at most once (an elicitation or the approval page). */
export interface McpProposalsTable {
  id: string;
  /** The approval link's reference (AP + 7). */
  ref: string;
  account_id: string;
  user_id: string;
  tool: string;
  arguments: ColumnType<unknown, string, string>;
  status: ColumnType<McpProposalStatus, McpProposalStatus | undefined, McpProposalStatus>;
  decided_via: 'elicitation' | 'page' | null;
  created_at: DefaultedTimestamp;
  expires_at: Timestamp;
  decided_at: Timestamp | null;
  /** What the approved call reported. */
  outcome: ColumnType<unknown, string | null | undefined, string | null>;
}

/** An elicitation request sent to a client, and the client's answer (which may reach another replica). */
export interface McpElicitationsTable {
  id: string;
  account_id: string;
  user_id: string;
  mode: 'form' | 'url';
  proposal_id: string | null;
  answer: ColumnType<unknown, string | null | undefined, string | null>;
  answered_at: Timestamp | null;
  created_at: DefaultedTimestamp;
  expires_at: Timestamp;
}

export interface DB {
  conversations: ConversationsTable;
  chat_messages: ChatMessagesTable;
  chat_feedback: ChatFeedbackTable;
  audit_log: AuditLogTable;
  mcp_clients: McpClientsTable;
  mcp_proposals: McpProposalsTable;
  mcp_elicitations: McpElicitationsTable;
  tool_call_audit: ToolCallAuditTable;
  chat_proposals: ChatProposalsTable;
  follow_ups: FollowUpsTable;
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
  checkout_sessions: CheckoutSessionsTable;
  stripe_events: StripeEventsTable;
  payment_alerts: PaymentAlertsTable;
  email_sends: EmailSendsTable;
  outbox: OutboxTable;
  outbox_attachments: OutboxAttachmentsTable;
  ops_idempotency: OpsIdempotencyTable;
  ops_imports: OpsImportsTable;
  events: EventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable;
}

export type InvoiceRow = Selectable<InvoicesTable>;
export type NewInvoice = Insertable<InvoicesTable>;
