import type { Kysely } from 'kysely';
import type { BillingService } from '../billing/service.js';
import type { DB } from '../db/schema.js';
import type { CheckoutProcessor } from './processor.js';

/** The slice of a pino/fastify logger the payments service uses. */
export interface PaymentsLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What the payments functions share; `createPaymentsService` builds it once from the config. */
export interface PaymentsContext {
  db: Kysely<DB>;
  billing: Pick<BillingService, 'invoice'>;
  processor: CheckoutProcessor;
  /** Wall clock (the billing clock may be pinned to a day). */
  now: () => Date;
  log: PaymentsLog | undefined;
}
