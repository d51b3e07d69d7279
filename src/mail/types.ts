import type { MailTransportName } from '../db/schema.js';

export type { MailTransportName } from '../db/schema.js';

export interface MailAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface MailMessage {
  /** "Name <address>" or an address. */
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments: MailAttachment[];
  /** The same key always means the same message: a retried send is delivered once. */
  idempotencyKey: string;
  /** The email_sends row this message belongs to (the outbox links to it). */
  sendId?: string;
}

/** A way to deliver mail: Resend in production, the local outbox by default. */
export interface Mailer {
  readonly transport: MailTransportName;
  /** Resolves with the transport's message id; throws MailTransportError when it was not accepted. */
  send(msg: MailMessage): Promise<{ id: string }>;
}

/** The transport did not accept the message (after any retries). The message is for logs and the record, not for people. */
export class MailTransportError extends Error {
  constructor(
    message: string,
    readonly details: { status: number | null; code: string | null; attempts: number; retryAfterMs?: number },
    opts?: { cause?: unknown },
  ) {
    super(message, opts);
    this.name = 'MailTransportError';
  }
}

/** Strips what must never reach a header (CR, LF, other controls) and caps the length. */
export function headerSafe(s: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, max);
}
