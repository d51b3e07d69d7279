import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { systemClock, fixedClock, type Clock } from './billing/dates.js';
import { createBillingService, type BillingService } from './billing/service.js';
import type { Config } from './config.js';
import type { Database } from './db/index.js';
import type { DB } from './db/schema.js';

/** Everything a door needs, built once and injected (no module reads process.env or opens resources). */
export interface Services {
  config: Config;
  db: Kysely<DB>;
  dbKind: Database['kind'];
  clock: Clock;
  billing: BillingService;
}

export function clockFor(config: Config): Clock {
  return config.FIXED_TODAY ? fixedClock(config.FIXED_TODAY) : systemClock(config.BILLING_TIME_ZONE);
}

export function createServices(deps: { config: Config; database: Database; clock?: Clock; logger?: Logger }): Services {
  const clock = deps.clock ?? clockFor(deps.config);
  const db = deps.database.db;
  return {
    config: deps.config,
    db,
    dbKind: deps.database.kind,
    clock,
    billing: createBillingService({ db, clock }),
  };
}
