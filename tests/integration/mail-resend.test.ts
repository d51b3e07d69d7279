import fs from 'node:fs';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createResendMailer, retryAfterMs } from '../../src/mail/resend.js';
import { MailTransportError, type MailMessage } from '../../src/mail/types.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { describeWithBrowser, looksLikePdf, pdfText, tempDir } from '../helpers/browser.js';
import { conversation, emailSends, outboxRows, say, STUB_PDF, toolAudit } from '../helpers/mail.js';

/**
 * The Resend transport through the real `resend` SDK, against msw answering
 * POST https://api.resend.com/emails: attachment (base64), idempotency key, retries on 429/5xx
 * honouring retry-after within bounds, and a persistent failure reported and recorded.
 */

const RESEND_URL = 'https://api.resend.com/emails';

interface ResendBody {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  attachments: Array<{ filename: string; content: string; content_type?: string }>;
}
interface Captured {
  body: ResendBody;
  headers: Record<string, string>;
}

type Step = { status: number; body?: unknown; headers?: Record<string, string> } | 'network_error';

/** A scripted Resend endpoint: each request takes the next step; the last step repeats. */
function resendMock(steps: Step[]) {
  const requests: Captured[] = [];
  let n = 0;
  const handler = http.post(RESEND_URL, async ({ request }) => {
    requests.push({ body: (await request.json()) as ResendBody, headers: Object.fromEntries(request.headers.entries()) });
    const step = steps[Math.min(n++, steps.length - 1)]!;
    if (step === 'network_error') return HttpResponse.error();
    return HttpResponse.json(step.body ?? {}, { status: step.status, headers: step.headers ?? {} });
  });
  return { handler, requests };
}

const ok = (id: string): Step => ({ status: 200, body: { id } });
const rateLimited = (retryAfter?: string): Step => ({
  status: 429,
  body: { statusCode: 429, message: 'Too many requests. You can only make 2 requests per second.', name: 'rate_limit_exceeded' },
  headers: retryAfter ? { 'retry-after': retryAfter } : {},
});
const serverError: Step = { status: 500, body: { statusCode: 500, message: 'Internal server error', name: 'internal_server_error' } };

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function message(overrides: Partial<MailMessage> = {}): MailMessage {
  return {
    from: 'Randmar Billing <billing@randmar.example>',
    to: 'accounting@mycompany.com',
    subject: 'Randmar invoice IN7654321',
    text: 'Attached.',
    html: '<p>Attached.</p>',
    attachments: [{ filename: 'IN7654321.pdf', contentType: 'application/pdf', content: STUB_PDF }],
    idempotencyKey: 'invoice-email/test-1',
    ...overrides,
  };
}

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates; ignores junk', () => {
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs({ 'retry-after': '0.5' })).toBe(500);
    expect(retryAfterMs({ 'retry-after': 'Wed, 25 Nov 2026 12:00:30 GMT' }, Date.parse('2026-11-25T12:00:00Z'))).toBe(30_000);
    expect(retryAfterMs({ 'retry-after': 'soon' })).toBeNull();
    expect(retryAfterMs({})).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
  });
});

describe('Resend mailer (real SDK, msw)', () => {
  function mailer(sleeps: number[]) {
    return createResendMailer({ apiKey: 're_test_123', sleep: async (ms) => void sleeps.push(ms) });
  }

  it('sends the attachment base64-encoded with the idempotency key and the API key', async () => {
    const m = resendMock([ok('re_msg_1')]);
    server.use(m.handler);
    expect(await mailer([]).send(message())).toStrictEqual({ id: 're_msg_1' });
    expect(m.requests).toHaveLength(1);
    const { body, headers } = m.requests[0]!;
    expect(headers['authorization']).toBe('Bearer re_test_123');
    expect(headers['idempotency-key']).toBe('invoice-email/test-1');
    expect(body).toMatchObject({ from: 'Randmar Billing <billing@randmar.example>', to: ['accounting@mycompany.com'], subject: 'Randmar invoice IN7654321', text: 'Attached.' });
    expect(body.attachments).toHaveLength(1);
    expect(body.attachments[0]).toMatchObject({ filename: 'IN7654321.pdf', content_type: 'application/pdf' });
    expect(Buffer.from(body.attachments[0]!.content, 'base64').equals(STUB_PDF)).toBe(true);
  });

  it('429 then success: waits what retry-after asks, retries with the same key', async () => {
    const m = resendMock([rateLimited('1'), ok('re_msg_2')]);
    server.use(m.handler);
    const sleeps: number[] = [];
    expect(await mailer(sleeps).send(message())).toStrictEqual({ id: 're_msg_2' });
    expect(sleeps).toStrictEqual([1000]);
    expect(m.requests.map((r) => r.headers['idempotency-key'])).toStrictEqual(['invoice-email/test-1', 'invoice-email/test-1']);
  });

  it('5xx and network failures are retried with a bounded backoff, then fail with the details', async () => {
    const m = resendMock(['network_error', serverError]);
    server.use(m.handler);
    const sleeps: number[] = [];
    const err = await mailer(sleeps)
      .send(message())
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(MailTransportError);
    expect((err as MailTransportError).details).toMatchObject({ status: 500, code: 'internal_server_error', attempts: 3 });
    expect((err as MailTransportError).message).toBe('Resend 500 internal_server_error: Internal server error');
    expect(m.requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(250);
    expect(sleeps[0]).toBeLessThanOrEqual(500);
    expect(sleeps[1]).toBeGreaterThanOrEqual(500);
    expect(sleeps[1]).toBeLessThanOrEqual(1000);
  });

  it('a retry-after longer than the bound fails at once instead of waiting', async () => {
    const m = resendMock([rateLimited('120'), ok('never')]);
    server.use(m.handler);
    const sleeps: number[] = [];
    const err = (await mailer(sleeps)
      .send(message())
      .catch((e: unknown) => e)) as MailTransportError;
    expect(err).toBeInstanceOf(MailTransportError);
    expect(err.details).toMatchObject({ status: 429, attempts: 1, retryAfterMs: 120_000 });
    expect(m.requests).toHaveLength(1);
    expect(sleeps).toStrictEqual([]);
  });

  it('a 4xx other than 429 is not retried', async () => {
    const m = resendMock([{ status: 422, body: { statusCode: 422, message: 'Invalid `from` field.', name: 'validation_error' } }]);
    server.use(m.handler);
    const err = (await mailer([])
      .send(message())
      .catch((e: unknown) => e)) as MailTransportError;
    expect(err.details).toMatchObject({ status: 422, code: 'validation_error', attempts: 1 });
    expect(m.requests).toHaveLength(1);
  });
});

describeWithBrowser(
  'Resend path through the chat (RESEND_API_KEY set; real PDFs)',
  () => {
    let t: TestApp;
    let dir: string;
    beforeAll(async () => {
      dir = tempDir('outbox-resend-');
      t = await createTestApp({ RESEND_API_KEY: 're_test_chat', OUTBOX_DIR: dir });
    });
    afterAll(async () => {
      await t?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('uses Resend, not the outbox: a PDF attachment, the send id as idempotency key, the message id recorded', async () => {
      expect(t.app.services.mail.mailer.transport).toBe('resend');
      const m = resendMock([ok('4ef9a417-02e9-4d39-ad75-9611e0fcc33c')]);
      server.use(m.handler);
      const reply = await say(t, await conversation(t), 'Email a PDF copy of IN7654321 to accounting@mycompany.com');
      expect(reply.cards.find((c) => c.type === 'email_receipt')).toMatchObject({ invoiceNumber: 'IN7654321', to: 'accounting@mycompany.com', status: 'sent' });
      expect(m.requests).toHaveLength(1);
      const { body, headers } = m.requests[0]!;
      const [send] = (await emailSends(t.app.services.db)).filter((s) => s.invoice_number === 'IN7654321');
      expect(send).toMatchObject({ transport: 'resend', status: 'sent', transport_message_id: '4ef9a417-02e9-4d39-ad75-9611e0fcc33c' });
      expect(headers['idempotency-key']).toBe(`invoice-email/${send!.id}`);
      expect(send!.idempotency_key).toBe(headers['idempotency-key']);
      expect(headers['authorization']).toBe('Bearer re_test_chat');
      expect(body.to).toStrictEqual(['accounting@mycompany.com']);
      expect(body.from).toBe('Randmar Billing <billing@randmar.example>');
      expect(body.subject).toBe('Randmar invoice IN7654321: $1,234.56 due Nov 20, 2026');
      expect(body.text).toContain('Amount due: $1,234.56 CAD');
      expect(body.html).toContain('IN7654321');
      expect(body.attachments.map((a) => [a.filename, a.content_type])).toStrictEqual([['IN7654321.pdf', 'application/pdf']]);
      const pdf = Buffer.from(body.attachments[0]!.content, 'base64');
      expect(looksLikePdf(pdf)).toBe(true);
      expect(pdfText(pdf)).toMatch(/Amount due \(CAD\)\s+\$1,234\.56/);
      expect(await outboxRows(t.app.services.db)).toStrictEqual([]);
    });

    it('429 then success: retried (same key) and sent', async () => {
      const m = resendMock([rateLimited('1'), ok('re_after_429')]);
      server.use(m.handler);
      const reply = await say(t, await conversation(t), 'Email a PDF copy of IN7654320 to accounting@mycompany.com');
      expect(reply.cards.find((c) => c.type === 'email_receipt')).toMatchObject({ invoiceNumber: 'IN7654320', status: 'sent' });
      expect(m.requests).toHaveLength(2);
      expect(new Set(m.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
      const [send] = (await emailSends(t.app.services.db)).filter((s) => s.invoice_number === 'IN7654320');
      expect(send).toMatchObject({ status: 'sent', transport_message_id: 're_after_429' });
    });

    it('a persistent failure: the user is told it was not sent, and it is recorded as failed', async () => {
      const m = resendMock([serverError]);
      server.use(m.handler);
      const reply = await say(t, await conversation(t), 'Email a PDF copy of IN7654322 to ap@mycompany.com');
      expect(m.requests).toHaveLength(3);
      expect(reply.text).toMatch(/couldn't email IN7654322 to ap@mycompany\.com/i);
      expect(reply.text).toMatch(/not sent/);
      expect(reply.cards.filter((c) => c.type === 'email_receipt')).toStrictEqual([]);
      const audit = await toolAudit(t.app.services.db, reply.id);
      expect(audit.map((a) => [a.name, a.outcome])).toStrictEqual([['emailInvoicePdf', 'error']]);
      const [send] = (await emailSends(t.app.services.db)).filter((s) => s.invoice_number === 'IN7654322');
      expect(send).toMatchObject({ status: 'failed', transport: 'resend', reason: 'transport_error', transport_message_id: null });
      expect(send!.error).toBe('Resend 500 internal_server_error: Internal server error');
      // A failure is not a duplicate: once Resend recovers, asking again sends it.
      server.resetHandlers();
      const again = resendMock([ok('re_recovered')]);
      server.use(again.handler);
      const retry = await say(t, await conversation(t), 'Email a PDF copy of IN7654322 to ap@mycompany.com');
      expect(retry.cards.find((c) => c.type === 'email_receipt')).toMatchObject({ invoiceNumber: 'IN7654322', status: 'sent', duplicate: false });
      // A new send, so a new idempotency key.
      expect(again.requests[0]!.headers['idempotency-key']).not.toBe(m.requests[0]!.headers['idempotency-key']);
    });
  },
  { pdftotext: true },
);
