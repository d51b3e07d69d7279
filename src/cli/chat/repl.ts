import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Card, TurnEvent } from '../../agent/types.js';
import { cardSummary, createCardRenderer, terminalStyle, type Style } from './render.js';
import type { ChatAnswer, ChatTransport } from './transport.js';

export interface ReplOptions {
  transport: ChatTransport;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** stdin and stdout are terminals: a prompt, colours, tool progress, line editing and its history. */
  interactive: boolean;
  /** Where line history is kept between runs (interactive only). */
  historyFile: string | null;
  timeZone: string;
  maxChars: number;
  /** Ends the chat after the answer in progress (SIGTERM, SIGHUP). */
  signal?: AbortSignal;
}

export const HELP = [
  'Type a question, e.g. "What is my current account balance?" or "Show me invoice IN7654321".',
  'Commands:',
  '  /approve [n]   approve the action on the last confirm card (or card n); "yes" works too',
  '  /decline [n]   decline it; "no" works too',
  '  /new           start a new conversation',
  '  /history       show this conversation so far',
  '  /help          show this help',
  '  /quit          leave (Ctrl+D too)',
];

/** The chat's state between lines: the conversation and the confirm cards waiting for a decision. */
interface ChatState {
  conversationId: string | null;
  /** By the number shown on the card; the cards not decided keep theirs (as their buttons would in the widget). */
  pending: Map<number, ConfirmCard>;
  failures: number;
}

interface Io {
  opts: ReplOptions;
  style: Style;
  write(text: string): void;
  render: ReturnType<typeof createCardRenderer>;
}

/** Streams one turn's text as it arrives (tool progress too, on a terminal); returns what was streamed. */
function turnPrinter(io: Io) {
  let streamed = '';
  let atLineStart = true;
  const onEvent = (e: TurnEvent) => {
    if (e.type === 'text_delta') {
      io.write(e.text);
      streamed += e.text;
      atLineStart = e.text.endsWith('\n');
    } else if (e.type === 'tool_started' && io.opts.interactive) {
      io.write(`${atLineStart ? '' : '\n'}${io.style.dim(`· ${e.label}…`)}\n`);
      atLineStart = true;
    }
  };
  return { onEvent, streamed: () => streamed };
}

/** The answer's end: the final text when it differs from what streamed (it is authoritative), then its cards. */
function finishAnswer(io: Io, answer: ChatAnswer, streamed: string): void {
  if (streamed !== answer.text) io.write(`${streamed ? `\n${io.style.dim('(corrected)')}\n` : ''}${answer.text}`);
  io.write('\n');
  const confirms = confirmCards(answer);
  for (const card of answer.cards) {
    const n = card.type === 'confirm' && confirms.length > 1 ? confirms.indexOf(card) + 1 : undefined;
    io.write(`\n${io.render(card, n).join('\n')}\n`);
  }
  io.write('\n');
}

type ConfirmCard = Extract<Card, { type: 'confirm' }>;

const confirmCards = (answer: ChatAnswer): ConfirmCard[] => answer.cards.filter((c): c is ConfirmCard => c.type === 'confirm');

/** Runs one exchange (a message or a decision), printing it; a failure is reported, not thrown. */
async function exchange(io: Io, session: ChatState, run: (onEvent: (e: TurnEvent) => void) => Promise<ChatAnswer>): Promise<ChatAnswer | null> {
  const printer = turnPrinter(io);
  try {
    const answer = await run(printer.onEvent);
    finishAnswer(io, answer, printer.streamed());
    return answer;
  } catch (err) {
    session.failures++;
    io.write(`${printer.streamed() ? '\n' : ''}error: ${err instanceof Error ? err.message : String(err)}\n\n`);
    return null;
  }
}

async function conversation(io: Io, session: ChatState): Promise<string> {
  session.conversationId ??= await io.opts.transport.createConversation();
  return session.conversationId;
}

/** The confirm cards of an answer by the number they were shown with (1 when alone). */
const numbered = (cards: ConfirmCard[]) => new Map(cards.map((c, i) => [i + 1, c] as const));

/** `/approve [n]`, `/decline [n]`: the proposals on the last answer's confirm cards, through the proposals API. */
async function decide(io: Io, session: ChatState, decision: 'approve' | 'decline', arg: string): Promise<void> {
  if (session.pending.size === 0 || !session.conversationId) {
    io.write('Nothing is waiting for approval.\n\n');
    return;
  }
  const one = arg ? session.pending.get(Number(arg)) : undefined;
  if (arg && !one) {
    io.write(`There is no confirm card ${arg} waiting: ${[...session.pending.keys()].map((n) => `/${decision} ${n}`).join(' or ')}.\n\n`);
    return;
  }
  const chosen = [...session.pending].filter(([, card]) => !one || card === one);
  const conversationId = session.conversationId;
  for (const [n, card] of chosen) {
    session.pending.delete(n);
    const answer = await exchange(io, session, (onEvent) => io.opts.transport.decideProposal(conversationId, card.proposalId, decision, onEvent));
    // An answer that asks for new confirmations replaces what was waiting, as a message's answer does.
    const asked = answer ? confirmCards(answer) : [];
    if (asked.length > 0) session.pending = numbered(asked);
  }
}

async function showHistory(io: Io, session: ChatState): Promise<void> {
  if (!session.conversationId) {
    io.write('Nothing yet in this conversation.\n\n');
    return;
  }
  const messages = await io.opts.transport.listMessages(session.conversationId);
  for (const m of messages) {
    io.write(`${io.style.bold(m.role === 'user' ? 'you' : 'assistant')}: ${m.text}\n`);
    for (const card of m.cards) io.write(io.style.dim(`  [${cardSummary(card)}]`) + '\n');
  }
  io.write('\n');
}

/** One input line: a command or a message. Returns false when the chat should end. */
async function handleLine(io: Io, session: ChatState, raw: string): Promise<boolean> {
  const line = raw.trim();
  if (!line) return true;
  if (!io.opts.interactive) io.write(`> ${line}\n`);
  const [command = '', arg = ''] = line.startsWith('/') ? line.split(/\s+/, 2) : [];
  switch (command.toLowerCase()) {
    case '':
      if (line.length > io.opts.maxChars) {
        io.write(`Messages are limited to ${io.opts.maxChars} characters.\n\n`);
        return true;
      }
      {
        const answer = await exchange(io, session, async (onEvent) => io.opts.transport.sendMessage(await conversation(io, session), line, onEvent));
        // Any message settles or drops what was waiting (the server decides which); its own cards wait now.
        session.pending = numbered(answer ? confirmCards(answer) : []);
      }
      return true;
    case '/approve':
    case '/decline':
      await decide(io, session, command.toLowerCase() === '/approve' ? 'approve' : 'decline', arg);
      return true;
    case '/new':
      Object.assign(session, { conversationId: null, pending: new Map() });
      io.write('New conversation.\n\n');
      return true;
    case '/history':
      await showHistory(io, session).catch((err: unknown) => io.write(`error: ${err instanceof Error ? err.message : String(err)}\n\n`));
      return true;
    case '/help':
      io.write(`${HELP.join('\n')}\n\n`);
      return true;
    case '/quit':
    case '/exit':
      return false;
    default:
      io.write(`Unknown command ${command}; /help lists the commands.\n\n`);
      return true;
  }
}

/** Line history between runs (most recent first, as readline keeps it), private to the user. */
function loadHistory(file: string | null): string[] {
  if (!file) return [];
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 500);
  } catch {
    return [];
  }
}

function saveHistory(file: string | null, history: string[]): void {
  if (!file) return;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${[...history].slice(0, 500).reverse().join('\n')}\n`, { mode: 0o600 });
  } catch {
    // History is a convenience: a read-only directory must not end the chat.
  }
}

/**
 * Reads lines until /quit or the end of input, each answered in full before the next is read.
 * Returns how many exchanges failed (an unreachable server, a refused request).
 */
export async function runRepl(opts: ReplOptions): Promise<number> {
  const style = terminalStyle(opts.interactive && !process.env['NO_COLOR']);
  const io: Io = { opts, style, write: (t) => void opts.output.write(t), render: createCardRenderer(opts.timeZone, style) };
  const session: ChatState = { conversationId: null, pending: new Map(), failures: 0 };
  const rl = readline.createInterface({
    input: opts.input,
    ...(opts.interactive ? { output: opts.output, terminal: true, history: loadHistory(opts.historyFile), historySize: 500, removeHistoryDuplicates: true } : { terminal: false }),
    prompt: style.bold('you› '),
  });
  if (opts.interactive) {
    rl.on('history', (h: string[]) => saveHistory(opts.historyFile, h));
    // Ctrl+C ends the chat like /quit (an answer in progress is still completed and stored).
    rl.on('SIGINT', () => rl.close());
    rl.prompt();
  }
  opts.signal?.addEventListener('abort', () => rl.close(), { once: true });
  if (opts.signal?.aborted) rl.close();
  for await (const line of rl) {
    if (!(await handleLine(io, session, line))) break;
    if (opts.interactive) rl.prompt();
  }
  rl.close();
  return session.failures;
}
