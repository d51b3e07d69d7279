import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import type { Card } from '../src/agent/types.js';

/** Eval case files (YAML) and the matching of one turn against its expectations. */

const toolExpect = z.union([z.string(), z.object({ name: z.string(), args: z.record(z.string(), z.unknown()).optional() }).strict()]);

export const expectSchema = z
  .object({
    tools: z.array(toolExpect).optional(),
    tools_exact: z.array(z.string()).optional(),
    no_tools: z.boolean().optional(),
    forbidden_tools: z.array(z.string()).optional(),
    reply_contains: z.array(z.string()).optional(),
    reply_not_contains: z.array(z.string()).optional(),
    reply_matches: z.array(z.string()).optional(),
    cards: z.array(z.record(z.string(), z.unknown())).optional(),
    /** Calls proposed to the user (a confirm card; not run). */
    proposed: z.array(toolExpect).optional(),
    no_proposals: z.boolean().optional(),
    /** Approve/decline steps: the decision was refused (expired, already decided, nothing pending). */
    rejected: z.boolean().optional(),
  })
  .strict();

/** A number or boolean typed as a YAML scalar is still the text the user typed. */
const userText = z.union([z.string(), z.number(), z.boolean()]).transform(String).pipe(z.string().min(1));

export const turnSchema = z.union([
  z.object({ user: userText, expect: expectSchema.default({}) }).strict(),
  z.object({ approve: z.literal(true), expect: expectSchema.default({}) }).strict(),
  z.object({ decline: z.literal(true), expect: expectSchema.default({}) }).strict(),
  z.object({ advance_minutes: z.number().positive() }).strict(),
]);
export type EvalTurn = z.infer<typeof turnSchema>;

export const caseSchema = z
  .object({
    id: z.string().min(1),
    account: z.string().regex(/^R\d{5,}$/),
    user: z.string().optional(),
    tags: z.array(z.string()).default([]),
    turns: z.array(turnSchema).min(1),
  })
  .strict();

export const fileSchema = z.object({ cases: z.array(caseSchema) }).strict();

export type EvalCase = z.infer<typeof caseSchema>;
export type Expect = z.infer<typeof expectSchema>;

export interface ObservedTurn {
  user: string;
  /** Calls that ran. */
  tools: Array<{ name: string; args: unknown }>;
  /** Calls proposed (needs_approval), not run. */
  proposals: Array<{ name: string; args: unknown }>;
  /** An approve/decline step that was refused. */
  rejected: boolean;
  reply: string;
  cards: Card[];
}

/** Loads every .yaml/.yml under a file or directory; ids must be unique. */
export function loadCases(target: string): EvalCase[] {
  const files: string[] = [];
  const walk = (p: string) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const f of fs.readdirSync(p).sort()) walk(path.join(p, f));
    else if (/\.ya?ml$/.test(p)) files.push(p);
  };
  walk(target);
  if (files.length === 0) throw new Error(`no .yaml case files under ${target}`);
  const cases: EvalCase[] = [];
  const ids = new Set<string>();
  for (const f of files) {
    const parsed = fileSchema.safeParse(YAML.parse(fs.readFileSync(f, 'utf8')));
    if (!parsed.success) {
      throw new Error(`${f}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    for (const c of parsed.data.cases) {
      if (ids.has(c.id)) throw new Error(`${f}: duplicate case id ${c.id}`);
      ids.add(c.id);
      cases.push(c);
    }
  }
  return cases;
}

/** Partial match: every key of `expected` must match in `actual`; strings case-insensitively, arrays element-wise. */
export function partialMatch(expected: unknown, actual: unknown): boolean {
  if (expected === null || expected === undefined) return actual === expected;
  if (typeof expected === 'string') return typeof actual === 'string' ? actual.toLowerCase() === expected.toLowerCase() : String(actual) === expected;
  if (typeof expected === 'number' || typeof expected === 'boolean') return actual === expected;
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && expected.length === actual.length && expected.every((e, i) => partialMatch(e, actual[i]));
  }
  if (typeof expected === 'object') {
    if (typeof actual !== 'object' || actual === null) return false;
    return Object.entries(expected as Record<string, unknown>).every(([k, v]) => partialMatch(v, (actual as Record<string, unknown>)[k]));
  }
  return false;
}

/** Returns the failed expectations of one turn (empty when it passed). */
export function checkTurn(expect: Expect, t: ObservedTurn): string[] {
  const failures: string[] = [];
  const names = t.tools.map((x) => x.name);
  const norm = (s: string) => s.toLowerCase();
  const inOrder = (key: 'tools' | 'proposed', wanted: Expect['tools'], calls: ObservedTurn['tools']) => {
    // In order among the turn's calls (other calls may come between).
    let from = 0;
    for (const e of wanted ?? []) {
      const want = typeof e === 'string' ? { name: e } : e;
      const idx = calls.findIndex((c, i) => i >= from && c.name === want.name && (!want.args || partialMatch(want.args, c.args)));
      if (idx < 0) {
        failures.push(`${key}: expected ${JSON.stringify(want)} (in order) among ${JSON.stringify(calls)}`);
        break;
      }
      from = idx + 1;
    }
  };
  inOrder('tools', expect.tools, t.tools);
  inOrder('proposed', expect.proposed, t.proposals);
  if (expect.no_proposals && t.proposals.length > 0) failures.push(`no_proposals: got ${JSON.stringify(t.proposals)}`);
  if (expect.rejected !== undefined && expect.rejected !== t.rejected) failures.push(`rejected: expected ${expect.rejected}, got ${t.rejected}`);
  if (expect.tools_exact && JSON.stringify(expect.tools_exact) !== JSON.stringify(names)) {
    failures.push(`tools_exact: expected ${JSON.stringify(expect.tools_exact)}, got ${JSON.stringify(names)}`);
  }
  if (expect.no_tools && names.length > 0) failures.push(`no_tools: got ${JSON.stringify(names)}`);
  for (const f of expect.forbidden_tools ?? []) if (names.includes(f)) failures.push(`forbidden_tools: ${f} was called`);
  for (const s of expect.reply_contains ?? []) if (!norm(t.reply).includes(norm(s))) failures.push(`reply_contains: ${JSON.stringify(s)}`);
  for (const s of expect.reply_not_contains ?? []) if (norm(t.reply).includes(norm(s))) failures.push(`reply_not_contains: ${JSON.stringify(s)}`);
  for (const r of expect.reply_matches ?? []) if (!new RegExp(r, 'i').test(t.reply)) failures.push(`reply_matches: /${r}/`);
  for (const c of expect.cards ?? []) if (!t.cards.some((card) => partialMatch(c, card))) failures.push(`cards: no card matches ${JSON.stringify(c)}`);
  return failures;
}

function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** τ-bench pass^k: mean over cases of C(c,k)/C(n,k), c successes out of n trials. */
export function passHatK(results: Array<{ successes: number; trials: number }>, k: number): number {
  if (results.length === 0) return 0;
  return results.reduce((s, r) => s + choose(r.successes, k) / choose(r.trials, k), 0) / results.length;
}
