import type { ColumnType, Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/**
 * The MCP server's tables (migration 20261201070000_mcp), typed as src/db/schema.ts types the
 * others. They belong in schema.ts's DB interface; until they are there, `mcpDb` adds them.
 */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

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

export interface McpTables {
  mcp_clients: McpClientsTable;
  mcp_proposals: McpProposalsTable;
  mcp_elicitations: McpElicitationsTable;
}

export type McpDB = DB & McpTables;

/** The database with the MCP tables typed. */
export function mcpDb(db: Kysely<DB>): Kysely<McpDB> {
  return db as unknown as Kysely<McpDB>;
}
