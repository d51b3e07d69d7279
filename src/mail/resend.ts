import pRetry, { AbortError, type RetryContext } from 'p-retry';
import { Resend } from 'resend';
import { headerSafe, MailTransportError, type Mailer, type MailMessage } from './types.js';

/**
 * The Resend transport, through the real SDK. The SDK returns `{ data, error, headers }` instead of
 * throwing; we retry 429 and 5xx (and network failures) with the same idempotency key (p-retry),
 * waiting what `retry-after` asks when it is short enough, else a bounded exponential backoff.
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

/** A failed attempt worth another: carries what the server asked us to wait (retry-after), if anything. */
class RetryableSendError extends MailTransportError {
  constructor(
    message: string,
    details: MailTransportError['details'],
    readonly askedDelayMs: number | null,
  ) {
    super(message, details);
  }
}

interface Limits {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** One call to the API: the message id, or a thrown error (AbortError when another attempt would not help; p-retry counts the attempts). */
async function sendOnce(client: Resend, msg: MailMessage, attempt: number, timeoutMs: number): Promise<{ id: string }> {
  let res: Awaited<ReturnType<Resend['emails']['send']>>;
  try {
    res = await client.emails.send(
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
  } catch (err) {
    // The SDK answers with `{ error }`; anything it throws is a bug, not a transient failure.
    throw new AbortError(err instanceof Error ? err : String(err));
  }
  if (res.data) return { id: res.data.id };
  const err = res.error;
  const status = typeof err?.statusCode === 'number' ? err.statusCode : null;
  const code = err?.name ?? null;
  const detail = `Resend ${status ?? 'no response'}${code ? ` ${code}` : ''}: ${err?.message ?? 'unknown error'}`;
  if (!retryable(status, code)) {
    throw new AbortError(new MailTransportError(detail, { status, code, attempts: attempt }));
  }
  throw new RetryableSendError(detail, { status, code, attempts: attempt }, retryAfterMs(res.headers));
}

/**
 * Between attempts (p-retry's onFailedAttempt; not after the last one): waits what the server
 * asked for, else a bounded exponential backoff with jitter (between half and all of it), or
 * gives up when the server asks for longer than we wait. The wait is ours, not p-retry's: it
 * honours retry-after and goes through the injectable `sleep`.
 */
async function waitBeforeRetry(ctx: RetryContext, limits: Limits, sleep: (ms: number) => Promise<void>, logger: ResendMailerOptions['logger']): Promise<void> {
  const { error, attemptNumber: attempt, retriesLeft } = ctx;
  if (retriesLeft === 0 || !(error instanceof RetryableSendError)) return;
  const { status, code } = error.details;
  const asked = error.askedDelayMs;
  if (asked !== null && asked > limits.maxDelayMs) {
    throw new MailTransportError(`${error.message} (retry-after ${Math.ceil(asked / 1000)} s is longer than we wait)`, { status, code, attempts: attempt, retryAfterMs: asked });
  }
  const backoff = Math.min(limits.maxDelayMs, limits.baseDelayMs * 2 ** (attempt - 1));
  const delay = asked ?? Math.round(backoff / 2 + Math.random() * (backoff / 2));
  logger?.warn({ attempt, status, code, delayMs: delay }, 'resend: retrying send');
  await sleep(delay);
}

export function createResendMailer(opts: ResendMailerOptions): Mailer {
  const client = new Resend(opts.apiKey, { baseUrl: opts.baseUrl ?? 'https://api.resend.com' });
  const maxAttempts = opts.maxAttempts ?? 3;
  const limits: Limits = {
    baseDelayMs: opts.baseDelayMs ?? 500,
    maxDelayMs: opts.maxDelayMs ?? 5_000,
  };
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const sleep = opts.sleep ?? defaultSleep;

  return {
    transport: 'resend',
    send: (msg: MailMessage) =>
      pRetry((attempt) => sendOnce(client, msg, attempt, timeoutMs), {
        retries: maxAttempts - 1,
        // No delay of p-retry's own: waitBeforeRetry waits.
        minTimeout: 0,
        onFailedAttempt: (ctx) => waitBeforeRetry(ctx, limits, sleep, opts.logger),
      }),
  };
}
