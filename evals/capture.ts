import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import YAML from 'yaml';
import { conversationFeedback } from '../src/agent/chat/feedback.js';
import { executed, type ToolCallRecord } from '../src/agent/loop.js';
import type { Card } from '../src/agent/types.js';
import { FIXTURE_ACCOUNTS } from '../src/billing/fixture.js';
import { openConfiguredDatabase } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';
import { DatabaseInUseError, describeHolder } from '../src/db/lock.js';
import type { DB } from '../src/db/schema.js';
import { CARD_REDACTION, CVC_REDACTION, EXPIRY_REDACTION } from '../src/redaction/card-data.js';

/**
 * `npm run evals:capture -- --conversation <id> [--out file.yaml]`: a stored conversation as an
 * eval case, for QA to keep as a regression case and edit (README "Evals for QA"). Reads the
 * database directly (DATABASE_URL, or the embedded PGlite data directory under the same lock as
 * `npm start`: while the server holds it, this says so and stops).
 *
 * The case holds the account and user, each user message (an Approve/Decline button as
 * `approve: true` / `decline: true`), the tools that ran with their arguments (`tools`, in order)
 * or `no_tools`, the calls proposed on a confirm card (`proposed`), the reply's key figures
 * (amounts, invoice, payment and credit-memo numbers) as `reply_contains`, the card types, and
 * `today:`, the conversation's billing day, at which the runner seeds the fixture and pins the
 * clock. Flagged answers (the widget's thumbs-down) carry the user's comment as a YAML comment.
 * Rerun unchanged through `npm run evals`, it passes against the engine that answered.
 */

export interface CapturedTurn {
  user?: string;
  approve?: true;
  decline?: true;
  expect: Record<string, unknown>;
}

export interface CapturedCase {
  id: string;
  account: string;
  user: string;
  tags: string[];
  today: string;
  turns: CapturedTurn[];
}

export interface Capture {
  case: CapturedCase;
  /** The case file's text (YAML, with comments). */
  yaml: string;
  /** What QA should know before trusting the case (printed to stderr). */
  warnings: string[];
}

interface MessageRow {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  cards: unknown;
  status: string;
  redacted: boolean;
  created_at: Date;
}

/** The outcomes of a decision on a confirm card (src/agent/chat/proposals.ts). */
const DECISIONS = new Set<ToolCallRecord['outcome']>(['approved', 'declined', 'expired']);

/** Figures in a reply that a rerun must repeat: amounts (en and fr formats), invoice, payment and credit-memo numbers. */
const KEY_FIGURES = /\b(?:IN\d{7}|PAY-\d+|CM-\d+)\b|(?<![\d.,])\d{1,3}(?:(?:,|[\u00a0\u202f ])\d{3})*[.,]\d{2}(?![\d])/g;
const MAX_FIGURES = 8;

export function keyFigures(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(KEY_FIGURES)) if (!out.includes(m[0])) out.push(m[0]);
  return out.slice(0, MAX_FIGURES);
}

/** A day (YYYY-MM-DD) in the billing time zone. */
function dayIn(timeZone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The flags on the conversation's answers; none when the database predates the feedback table. */
async function flagsOf(db: Kysely<DB>, conversationId: string): Promise<Map<string, string | null>> {
  try {
    return await conversationFeedback(db, conversationId);
  } catch (err) {
    if ((err as { code?: unknown }).code === '42P01') return new Map();
    throw err;
  }
}

function expectations(calls: readonly ToolCallRecord[], answer: MessageRow): Record<string, unknown> {
  const expect: Record<string, unknown> = {};
  const ran = calls.filter(executed);
  if (ran.length > 0) expect['tools'] = ran.map((c) => ({ name: c.name, args: c.arguments ?? {} }));
  else expect['no_tools'] = true;
  const proposed = calls.filter((c) => c.outcome === 'needs_approval');
  if (proposed.length > 0) expect['proposed'] = proposed.map((c) => ({ name: c.name, args: c.arguments ?? {} }));
  const figures = keyFigures(answer.text);
  if (figures.length > 0) expect['reply_contains'] = figures;
  const types = [...new Set(((answer.cards as Card[] | null) ?? []).map((c) => c.type))];
  if (types.length > 0) expect['cards'] = types.map((type) => ({ type }));
  return expect;
}

/**
 * Reads one conversation and writes it as a case. `today` is the billing day the server ran at
 * (its FIXED_TODAY, when pinned); otherwise the day of the conversation's first message in the
 * billing time zone.
 */
export async function captureConversation(db: Kysely<DB>, conversationId: string, opts: { timeZone: string; today?: string | undefined }): Promise<Capture> {
  const conv = await db.selectFrom('conversations').select(['id', 'account_id', 'user_id']).where('id', '=', conversationId).executeTakeFirst();
  if (!conv) throw new Error(`no conversation ${conversationId} in this database`);
  const messages: MessageRow[] = await db
    .selectFrom('chat_messages')
    .select(['id', 'role', 'text', 'cards', 'status', 'redacted', 'created_at'])
    .where('conversation_id', '=', conversationId)
    .orderBy('seq')
    .execute();
  if (messages.length === 0) throw new Error(`conversation ${conversationId} has no messages`);
  const audit = await db
    .selectFrom('audit_log')
    .select(['message_id', 'call_id', 'name', 'arguments', 'outcome', 'error', 'latency_ms'])
    .where('conversation_id', '=', conversationId)
    .where('action', '=', 'tool_call')
    .orderBy('id')
    .execute();
  const callsOf = (messageId: string): ToolCallRecord[] =>
    audit
      .filter((a) => a.message_id === messageId)
      .map((a) => ({ id: a.call_id ?? '', name: a.name ?? '', arguments: a.arguments, outcome: a.outcome as ToolCallRecord['outcome'], error: a.error, latencyMs: a.latency_ms ?? 0 }));
  const flags = await flagsOf(db, conversationId);

  const warnings: string[] = [];
  const days = [...new Set(messages.map((m) => dayIn(opts.timeZone, new Date(m.created_at))))];
  const today = opts.today ?? days[0]!;
  if (!opts.today && days.length > 1) warnings.push(`the conversation spans ${days.join(', ')}: the case runs at ${today}`);
  if (!FIXTURE_ACCOUNTS.some((a) => a.id === conv.account_id)) {
    warnings.push(`account ${conv.account_id} is not in the demo fixture the evals seed (${FIXTURE_ACCOUNTS.map((a) => a.id).join(', ')}): the case fails until it is`);
  }

  const turns: CapturedTurn[] = [];
  const notes = new Map<number, string>();
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const next = messages[i + 1];
    let turn: CapturedTurn;
    let answer: MessageRow | undefined;
    if (m.role === 'user') {
      answer = next?.role === 'assistant' ? next : undefined;
      if (answer) i++;
      turn = { user: m.text, expect: {} };
      if (m.redacted || [CARD_REDACTION, EXPIRY_REDACTION, CVC_REDACTION].some((r) => m.text.includes(r))) {
        // The card data was never stored: a rerun sends the redacted text, which the card policy does not answer.
        notes.set(turns.length, 'card data was removed from this message before it was stored: its reply is not expected again');
        turns.push(turn);
        continue;
      }
    } else {
      // An answer with no message before it: an Approve or Decline button on a confirm card.
      answer = m;
      const decided = callsOf(m.id).find((c) => DECISIONS.has(c.outcome));
      turn = decided?.outcome === 'declined' ? { decline: true, expect: {} } : { approve: true, expect: {} };
    }
    if (!answer) {
      warnings.push(`message ${m.id} has no stored answer (the turn failed): captured without expectations`);
      turns.push(turn);
      continue;
    }
    const calls = callsOf(answer.id);
    turn.expect = expectations(
      calls.filter((c) => !DECISIONS.has(c.outcome)),
      answer,
    );
    if (answer.status !== 'complete') notes.set(turns.length, `the answer's status was ${answer.status}`);
    if (flags.has(answer.id)) {
      const comment = flags.get(answer.id);
      notes.set(turns.length, `flagged in the widget (thumbs-down)${comment ? `: ${comment.replace(/\s+/g, ' ')}` : ''}`);
    }
    turns.push(turn);
  }

  const captured: CapturedCase = {
    id: `captured/${conversationId}`,
    account: conv.account_id,
    user: conv.user_id,
    tags: flags.size > 0 ? ['captured', 'feedback'] : ['captured'],
    today,
    turns,
  };
  const doc = new YAML.Document({ cases: [captured] });
  doc.commentBefore = [
    ` Captured from conversation ${conversationId} by npm run evals:capture.`,
    ` Billing day ${today}: the runner seeds the fixture and pins the clock at it.`,
    ' Edit freely: loosen tool arguments, add reply_not_contains or judge: rubrics.',
  ].join('\n');
  const turnNodes = (doc.getIn(['cases', 0, 'turns']) as YAML.YAMLSeq).items as YAML.Node[];
  for (const [i, note] of notes) turnNodes[i]!.commentBefore = ` ${note}`;
  return { case: captured, yaml: doc.toString({ lineWidth: 0 }), warnings };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { conversation: { type: 'string' }, out: { type: 'string' } }, allowPositionals: false });
  const id = values.conversation;
  if (!id || !UUID.test(id)) {
    process.stderr.write('usage: npm run evals:capture -- --conversation <conversation id (uuid)> [--out file.yaml]\n');
    return 2;
  }
  const config = loadConfig(process.env);
  const where = config.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `the embedded database at ${config.PGLITE_DATA_DIR}`;
  let database;
  try {
    database = await openConfiguredDatabase(config, undefined, { command: 'npm run evals:capture' });
  } catch (err) {
    if (!(err instanceof DatabaseInUseError)) throw err;
    process.stderr.write(
      `evals:capture: ${where} is held by ${describeHolder(err.holder)}; the embedded database serves one process at a time.\n` +
        '  Stop the server (or that script) and run this again, or run the server on PostgreSQL (DATABASE_URL) so both can read it.\n',
    );
    return 2;
  }
  try {
    process.stderr.write(`evals:capture: reading ${where}${config.DATABASE_URL ? '' : ' (holding its lock, as npm start does)'}\n`);
    const out = await captureConversation(database.db, id, { timeZone: config.BILLING_TIME_ZONE, today: config.FIXED_TODAY });
    for (const w of out.warnings) process.stderr.write(`evals:capture: note: ${w}\n`);
    if (!values.out) {
      process.stdout.write(out.yaml);
      return 0;
    }
    fs.mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
    fs.writeFileSync(values.out, out.yaml);
    process.stderr.write(`evals:capture: wrote ${values.out} (${out.case.turns.length} turns, billing day ${out.case.today}); run it with npm run evals -- --cases ${values.out}\n`);
    return 0;
  } finally {
    await database.close();
  }
}

const invokedDirectly = process.argv[1] && path.resolve(process.argv[1]).replace(/\.[cm]?[jt]s$/, '') === path.resolve(import.meta.dirname, 'capture');
if (invokedDirectly) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`evals:capture: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
