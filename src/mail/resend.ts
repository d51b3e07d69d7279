import { Resend } from 'resend';
import { headerSafe, MailTransportError, type Mailer, type MailMessage } from './types.js';

/**
 * The Resend transport, through the real SDK. The SDK returns `{ data, error, headers }` instead of
 * throwing; we retry 429 and 5xx (and network failures) with the same idempotency key, waiting
 * what `retry-after` asks when it is short enough, else a bounded exponential backoff.
 */

export interface ResendMailerOptions {
  apiKey: string;
  baseUrl?: string;
  /** Attempts in all, first included (default 3). */
  maxAttempts?: number;
  /** First backoff delay when the server gives no retry-after (default 500 ms; doubles, with jitter). */
  baseDelayMs?: number;
  /** Longest wait between attempts; a longer retry-after fails the send instead (default 5 s). */
  maxDelayMs?: number;
  /** Per-request timeout (default 15 s). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  logger?: { warn(obj: object, msg: string): void };
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** retry-after: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(headers: Record<string, string> | null, now = Date.now()): number | null {
  const v = headers?.['retry-after'];
  if (!v) return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function retryable(status: number | null, code: string | null): boolean {
  if (status === 429 || (status !== null && status >= 500)) return true;
  // No status: the request never got an answer (network, timeout).
  return status === null && (code === 'application_error' || code === null);
}

export function createResendMailer(opts: ResendMailerOptions): Mailer {
  const client = new Resend(opts.apiKey, { baseUrl: opts.baseUrl ?? 'https://api.resend.com' });
  const maxAttempts = opts.maxAttempts ?? 3;
  const baseDelayMs = opts.baseDelayMs ?? 500;
  const maxDelayMs = opts.maxDelayMs ?? 5_000;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const sleep = opts.sleep ?? defaultSleep;

  return {
    transport: 'resend',
    async send(msg: MailMessage) {
      for (let attempt = 1; ; attempt++) {
        const res = await client.emails.send(
          {
            from: msg.from,
            to: [msg.to],
            subject: headerSafe(msg.subject),
            text: msg.text,
            html: msg.html,
            attachments: msg.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
          },
          { idempotencyKey: msg.idempotencyKey, signal: AbortSignal.timeout(timeoutMs) },
        );
        if (res.data) return { id: res.data.id };
        const err = res.error;
        const status = typeof err?.statusCode === 'number' ? err.statusCode : null;
        const code = err?.name ?? null;
        const detail = `Resend ${status ?? 'no response'}${code ? ` ${code}` : ''}: ${err?.message ?? 'unknown error'}`;
        if (!retryable(status, code) || attempt >= maxAttempts) {
          throw new MailTransportError(detail, { status, code, attempts: attempt });
        }
        const asked = retryAfterMs(res.headers);
        if (asked !== null && asked > maxDelayMs) {
          throw new MailTransportError(`${detail} (retry-after ${Math.ceil(asked / 1000)} s is longer than we wait)`, { status, code, attempts: attempt, retryAfterMs: asked });
        }
        const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        const delay = asked ?? Math.round(backoff / 2 + Math.random() * (backoff / 2));
        opts.logger?.warn({ attempt, status, code, delayMs: delay }, 'resend: retrying send');
        await sleep(delay);
      }
    },
  };
}
