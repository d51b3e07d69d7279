import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Card, TurnEvent } from '../../src/agent/types.js';
import { createCardRenderer, terminalStyle } from '../../src/cli/chat/render.js';
import { runRepl } from '../../src/cli/chat/repl.js';
import type { ChatAnswer, ChatTransport } from '../../src/cli/chat/transport.js';

/**
 * The terminal chat's loop (src/cli/chat/repl.ts) over a scripted transport: streamed text, the
 * final text when it differs, confirm cards numbered and decided by number, commands, failures.
 */

const confirm = (proposalId: string, summary: string): Card => ({
  type: 'confirm',
  proposalId,
  tool: 'requestFollowUp',
  action: 'follow_up',
  summary,
  invoiceNumber: null,
  to: null,
  expiresAt: '2026-11-25T15:10:00Z',
});

function scripted(answers: Record<string, { deltas: string[]; text?: string; cards?: Card[] } | Error>) {
  const calls: string[] = [];
  let conversations = 0;
  const transport: ChatTransport = {
    description: 'scripted',
    createConversation: async () => `c${++conversations}`,
    async sendMessage(conversationId: string, text: string, onEvent: (e: TurnEvent) => void): Promise<ChatAnswer> {
      calls.push(`${conversationId} say ${text}`);
      const a = answers[text];
      if (!a) throw new Error(`unscripted: ${text}`);
      if (a instanceof Error) throw a;
      onEvent({ type: 'tool_started', id: 't1', name: 'getBalance', label: 'Checking your balance' });
      for (const d of a.deltas) onEvent({ type: 'text_delta', text: d });
      return { id: 'm', text: a.text ?? a.deltas.join(''), cards: a.cards ?? [] };
    },
    async decideProposal(conversationId, proposalId, decision, onEvent) {
      calls.push(`${conversationId} ${decision} ${proposalId}`);
      onEvent({ type: 'text_delta', text: `${decision}d ${proposalId}` });
      return { id: 'd', text: `${decision}d ${proposalId}`, cards: [] };
    },
    listMessages: async () => [{ role: 'user', text: 'hi', cards: [], createdAt: '' }],
    close: async () => undefined,
  };
  return { transport, calls };
}

async function chat(transport: ChatTransport, lines: string[]): Promise<{ out: string; failures: number }> {
  let out = '';
  const output = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  const failures = await runRepl({ transport, input: Readable.from(lines.map((l) => `${l}\n`)), output, interactive: false, historyFile: null, timeZone: 'America/Toronto', maxChars: 40 });
  return { out, failures };
}

describe('the terminal chat loop', () => {
  it('echoes each piped line, streams the answer, and ends at the end of input', async () => {
    const { transport, calls } = scripted({ hello: { deltas: ['Hi ', 'there.'] } });
    const { out, failures } = await chat(transport, ['hello', '', '/history']);
    expect(out).toBe('> hello\nHi there.\n\n> /history\nyou: hi\n\n');
    expect(calls).toStrictEqual(['c1 say hello']);
    expect(failures).toBe(0);
  });

  it('prints the final text when it differs from what streamed (it is authoritative)', async () => {
    const { transport } = scripted({ card: { deltas: ['My card is 4242 4242 4242 4242'], text: 'My card is [card number removed]' } });
    const { out } = await chat(transport, ['card']);
    expect(out).toBe('> card\nMy card is 4242 4242 4242 4242\n(corrected)\nMy card is [card number removed]\n\n');
  });

  it('numbers several confirm cards and decides them by the number shown, the rest keeping theirs', async () => {
    const { transport, calls } = scripted({ two: { deltas: ['Two requests.'], cards: [confirm('p1', 'First.'), confirm('p2', 'Second.')] } });
    const { out } = await chat(transport, ['two', '/approve 2', '/approve 2', '/decline 1', '/approve']);
    expect(out).toContain('Confirm 1: First.\n  Type /approve 1 to go ahead or /decline 1 to cancel (or answer yes / no). Expires Nov 25, 2026, 10:10 a.m. EST.\n');
    expect(out).toContain('Confirm 2: Second.\n  Type /approve 2 to go ahead or /decline 2 to cancel');
    expect(out).toContain('> /approve 2\napproved p2\n');
    expect(out).toContain('> /approve 2\nThere is no confirm card 2 waiting: /approve 1.\n');
    expect(out).toContain('> /approve\nNothing is waiting for approval.\n');
    expect(calls).toStrictEqual(['c1 say two', 'c1 approve p2', 'c1 decline p1']);
  });

  it('a single confirm card has no number; a new message drops it, /new starts another conversation', async () => {
    const { transport, calls } = scripted({ one: { deltas: ['One.'], cards: [confirm('p1', 'Only.')] }, other: { deltas: ['Other.'] } });
    const { out } = await chat(transport, ['one', 'other', '/approve', '/new', 'other']);
    expect(out).toContain('Confirm: Only.\n  Type /approve to go ahead or /decline to cancel');
    expect(out).toContain('> /approve\nNothing is waiting for approval.\n');
    expect(calls).toStrictEqual(['c1 say one', 'c1 say other', 'c2 say other']);
  });

  it('reports a failed exchange and goes on; counts it; refuses an over-long message; /quit ends it', async () => {
    const { transport, calls } = scripted({ down: new Error('the server at http://127.0.0.1:3000 did not answer'), hello: { deltas: ['Hi.'] } });
    const { out, failures } = await chat(transport, ['down', 'x'.repeat(41), '/nope', 'hello', '/quit', 'hello']);
    expect(out).toContain('> down\nerror: the server at http://127.0.0.1:3000 did not answer\n');
    expect(out).toContain('Messages are limited to 40 characters.');
    expect(out).toContain('> /nope\nUnknown command /nope; /help lists the commands.\n');
    expect(calls).toStrictEqual(['c1 say down', 'c1 say hello']);
    expect(failures).toBe(1);
  });
});

describe('cards as text tables', () => {
  const render = createCardRenderer('America/Toronto', terminalStyle(false));
  const m = (cents: number) => ({ amount: (cents / 100).toFixed(2), cents, currency: 'CAD', display: `$${(cents / 100).toFixed(2)}` });

  it('payments and credits', () => {
    expect(render({ type: 'payment_list', items: [{ paymentNumber: 'PAY-1', receivedOn: '2026-11-01', amount: m(50000), method: 'Credit card', invoices: ['IN7654322'] }], more: false })).toStrictEqual([
      'Payments',
      '  Payment  Received      Amount  Method       Invoices',
      '  PAY-1    Nov 1, 2026  $500.00  Credit card  IN7654322',
    ]);
    expect(
      render({ type: 'credit_list', items: [{ creditNumber: 'CM-1', issuedOn: '2026-10-01', amount: m(7500), available: m(7500), reason: 'Goodwill', appliedTo: [] }], available: m(7500) }),
    ).toStrictEqual(['Credits', '  Credit  Issued       Amount  Available  Reason    Applied to', '  CM-1    Oct 1, 2026  $75.00     $75.00  Goodwill', '  Available in all: $75.00']);
  });

  it('an empty list says so', () => {
    expect(render({ type: 'invoice_list', title: 'Overdue invoices', items: [], total: null, more: false })).toStrictEqual(['Overdue invoices', '  (none)']);
  });
});
