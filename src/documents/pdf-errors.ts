import { AppError } from '../errors.js';

/** Every way a PDF can be refused or fail: a 503 with a stable code (and Retry-After when busy). */
export class PdfUnavailableError extends AppError {
  constructor(code: 'pdf_unavailable' | 'pdf_busy' | 'pdf_failed' | 'pdf_closed', message: string, opts: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(503, code, message, {
      ...(opts.retryAfterSeconds ? { headers: { 'retry-after': String(opts.retryAfterSeconds) } } : {}),
      ...(opts.cause === undefined ? {} : { cause: opts.cause }),
    });
  }
}

export function closedError(): PdfUnavailableError {
  return new PdfUnavailableError('pdf_closed', 'The PDF service is shutting down; try again in a moment.');
}

export function busyError(size: number, waiting: number): PdfUnavailableError {
  return new PdfUnavailableError('pdf_busy', `The PDF service is busy (${size} rendering, ${waiting} waiting); try again in a few seconds.`, {
    retryAfterSeconds: 2,
  });
}

export function failedError(cause: unknown): PdfUnavailableError {
  return new PdfUnavailableError('pdf_failed', 'The PDF could not be created right now; please try again.', { cause });
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
