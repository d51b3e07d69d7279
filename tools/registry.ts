import { zodFunction } from 'openai/helpers/zod';
import type { ToolSpec } from './types.js';
import { createPaymentLink } from './createPaymentLink.js';
import { emailInvoicePdf } from './emailInvoicePdf.js';
import { getBalance } from './getBalance.js';
import { getInvoice } from './getInvoice.js';
import { listCredits } from './listCredits.js';
import { listInvoices } from './listInvoices.js';
import { listOutstanding } from './listOutstanding.js';
import { listPayments } from './listPayments.js';
import { requestBillingFollowUp } from './requestBillingFollowUp.js';
import type { Tool } from './types.js';

/** Every tool the assistant has. Names and parameters are a public contract (evals match on them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = Tool<any>;

export const BASE_TOOLS: readonly AnyTool[] = [getBalance, getInvoice, listOutstanding, listInvoices, listPayments, listCredits, createPaymentLink, emailInvoicePdf, requestBillingFollowUp];

export interface ToolRegistry {
  tools: readonly AnyTool[];
  get(name: string): AnyTool | undefined;
  /** Strict JSON-schema specs, computed once, byte-identical on every turn. */
  specs: readonly ToolSpec[];
}

export function toolSpec(tool: AnyTool): ToolSpec {
  const f = zodFunction({ name: tool.name, description: tool.description, parameters: tool.parameters });
  const { $schema: _ignored, ...parameters } = f.function.parameters as Record<string, unknown>;
  return { name: tool.name, description: tool.description, parameters };
}

export function createToolRegistry(extra: readonly AnyTool[] = []): ToolRegistry {
  const tools = [...BASE_TOOLS, ...extra];
  const byName = new Map(tools.map((t) => [t.name, t]));
  if (byName.size !== tools.length) throw new Error('duplicate tool name');
  const specs = Object.freeze(tools.map(toolSpec));
  return { tools, get: (n) => byName.get(n), specs };
}
