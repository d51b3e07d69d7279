import { sql, type Kysely } from 'kysely';
import { ClientCapabilitiesSchema, LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS, type InitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { DB } from '../db/schema.js';
import { scrubCardNumbers } from '../redaction/card-data.js';
import type { ClientElicitation, McpCaller } from './types.js';

/**
 * What a client declared at `initialize`. The server is stateless (no Mcp-Session-Id: any replica
 * answers any request), so the capabilities a later tools/call needs (can this client answer an
 * elicitation, in which modes?) are kept in PostgreSQL by the SHA-256 of the bearer token the
 * client initialized with, until that token expires. A client we know nothing about gets no
 * elicitation: its side effects are approved on the signed approval page.
 */

const shortText = (v: unknown) => (typeof v === 'string' ? scrubCardNumbers(v).slice(0, 100) : null);

export async function rememberClient(db: Kysely<DB>, caller: McpCaller, init: InitializeRequest['params'], expiresAt: Date, now: Date): Promise<void> {
  const m = db;
  const parsed = ClientCapabilitiesSchema.safeParse(init.capabilities);
  // Only what the server acts on is kept.
  const capabilities = parsed.success && parsed.data.elicitation ? { elicitation: parsed.data.elicitation } : {};
  const protocolVersion = SUPPORTED_PROTOCOL_VERSIONS.includes(init.protocolVersion) ? init.protocolVersion : LATEST_PROTOCOL_VERSION;
  const clientInfo = { name: shortText(init.clientInfo?.name), version: shortText(init.clientInfo?.version) };
  await m.deleteFrom('mcp_clients').where('expires_at', '<=', now).execute();
  await m
    .insertInto('mcp_clients')
    .values({
      token_hash: caller.tokenHash,
      account_id: caller.session.accountId,
      user_id: caller.session.userId,
      protocol_version: protocolVersion,
      capabilities: JSON.stringify(capabilities),
      client_info: JSON.stringify(clientInfo),
      expires_at: expiresAt,
    })
    .onConflict((oc) =>
      oc.column('token_hash').doUpdateSet({
        protocol_version: protocolVersion,
        capabilities: JSON.stringify(capabilities),
        client_info: JSON.stringify(clientInfo),
        created_at: sql`now()`,
        expires_at: expiresAt,
      }),
    )
    .execute();
}

/** The elicitation modes this token's client declared (none when it never initialized with it, or the record expired). */
export async function clientElicitation(db: Kysely<DB>, caller: McpCaller, now: Date): Promise<ClientElicitation> {
  const row = await db
    .selectFrom('mcp_clients')
    .select('capabilities')
    .where('token_hash', '=', caller.tokenHash)
    .where('account_id', '=', caller.session.accountId)
    .where('user_id', '=', caller.session.userId)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  const e = ClientCapabilitiesSchema.safeParse(row?.capabilities ?? {}).data?.elicitation;
  if (!e) return { form: false, url: false };
  // The SDK's schema reads an empty elicitation capability as form mode (the spec's backward compatibility).
  return { form: Boolean(e.form), url: Boolean(e.url) };
}
