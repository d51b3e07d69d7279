import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import { createOutboxMailer } from './outbox.js';
import { createResendMailer } from './resend.js';
import type { Mailer } from './types.js';

export type { Mailer, MailMessage, MailAttachment } from './types.js';
export { MailTransportError } from './types.js';

/** OUTBOX_DIR, else ./data/outbox (tests: a temporary directory, so runs leave nothing in the tree). */
export function outboxDir(config: Pick<Config, 'OUTBOX_DIR' | 'NODE_ENV'>): string {
  if (config.OUTBOX_DIR) return path.resolve(config.OUTBOX_DIR);
  return config.NODE_ENV === 'test' ? path.join(os.tmpdir(), 'billing-assistant-outbox') : path.resolve('data', 'outbox');
}

/** Resend when RESEND_API_KEY is set, else the local outbox (refused in production by config). */
export function mailerFor(
  config: Pick<Config, 'RESEND_API_KEY' | 'RESEND_BASE_URL' | 'OUTBOX_DIR' | 'NODE_ENV'>,
  db: Kysely<DB>,
  logger?: { warn(obj: object, msg: string): void },
): Mailer {
  if (config.RESEND_API_KEY) {
    return createResendMailer({ apiKey: config.RESEND_API_KEY, baseUrl: config.RESEND_BASE_URL, ...(logger ? { logger } : {}) });
  }
  return createOutboxMailer({ db, dir: outboxDir(config), ...(logger ? { logger } : {}) });
}
