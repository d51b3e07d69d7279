import { z } from 'zod';
import type { Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import type { AnyTool, ToolRegistry } from '../../tools/registry.js';
import { cardSchema } from '../../tools/cards.js';

/**
 * The registry's tools as MCP tools: one definition each. Name, description, input schema (the
 * same zod as the chat's), annotations from the tool; the output schema from the tool's result
 * schema (`result`) plus the cards the chat would show, which carry the signed links.
 *
 *   read-only tools      structuredContent = the tool's result + `cards` (+ `payPage` for createPaymentLink)
 *   side-effecting tools structuredContent = { status, message, result (the tool's, once done), cards, approval }
 */

/** Tools that hand over to the pay page: offered through URL-mode elicitation when the client can. */
export const PAYING_TOOLS: ReadonlySet<string> = new Set(['createPaymentLink']);

const cardsField = z
  .array(cardSchema)
  .describe("What the chat shows for this call: the user's locale for display strings, and the signed links (invoice url, payUrl) to give the user as they are");

export const payPageField = z
  .object({
    url: z.string().describe('the signed pay page'),
    action: z.enum(['accept', 'decline', 'cancel', 'unanswered']).describe("the user's answer to opening it (URL-mode elicitation)"),
  })
  .describe('When the client can open URLs for the user: the pay page was offered there');

export const PROPOSAL_STATUSES = ['done', 'needs_approval', 'declined', 'cancelled', 'expired'] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

export const approvalField = z.object({
  id: z.string(),
  summary: z.string().describe('what would happen, in one sentence'),
  expiresAt: z.string(),
  via: z.enum(['elicitation', 'page']),
  url: z.string().nullable().describe('the signed approval page (the user signs in to the portal to approve or decline); null when asked in the client'),
});

export interface McpToolEntry {
  tool: AnyTool;
  definition: McpTool;
  /** What structuredContent must match (checked before it is sent). */
  output: z.ZodObject;
}

function objectResult(tool: AnyTool): z.ZodObject {
  if (!(tool.result instanceof z.ZodObject)) throw new Error(`MCP: the result schema of ${tool.name} is not an object`);
  return tool.result;
}

export function outputSchema(tool: AnyTool): z.ZodObject {
  const result = objectResult(tool);
  if (tool.effect === 'side-effecting') {
    return z.object({
      status: z.enum(PROPOSAL_STATUSES).describe('done: approved and run (result holds what it did); needs_approval: nothing done yet, the user approves at approval.url'),
      message: z.string(),
      result: result.nullable(),
      cards: cardsField,
      approval: approvalField,
    });
  }
  const withCards = result.extend({ cards: cardsField });
  return PAYING_TOOLS.has(tool.name) ? withCards.extend({ payPage: payPageField.optional() }) : withCards;
}

const APPROVAL_NOTE =
  ' Over MCP this is a proposal: it runs only once the signed-in user approves it (a prompt in their client, or the approval link in the result).';

type JsonObjectSchema = McpTool['inputSchema'];

/** JSON Schema of a zod object, as the SDK's own McpServer writes it (draft-07, the input or output side). */
function jsonSchema(schema: z.ZodObject, io: 'input' | 'output'): JsonObjectSchema {
  return z.toJSONSchema(schema, { target: 'draft-7', io }) as JsonObjectSchema;
}

function entry(tool: AnyTool): McpToolEntry {
  const output = outputSchema(tool);
  return {
    tool,
    output,
    definition: {
      name: tool.name,
      description: tool.effect === 'side-effecting' ? `${tool.description}${APPROVAL_NOTE}` : tool.description,
      inputSchema: jsonSchema(tool.parameters, 'input'),
      outputSchema: jsonSchema(output, 'output'),
      ...(tool.annotations ? { annotations: { ...tool.annotations } } : {}),
    },
  };
}

const cache = new WeakMap<ToolRegistry, ReadonlyMap<string, McpToolEntry>>();

/** The registry's tools as MCP tools, computed once per registry. */
export function mcpTools(registry: ToolRegistry): ReadonlyMap<string, McpToolEntry> {
  let tools = cache.get(registry);
  if (!tools) {
    tools = new Map(registry.tools.map((t) => [t.name, entry(t)]));
    cache.set(registry, tools);
  }
  return tools;
}
