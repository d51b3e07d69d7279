import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from '../../src/app.js';
import { fixedClock } from '../../src/billing/dates.js';
import { testConfig } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import { signSessionToken } from '../../src/identity/session.js';
import { TEST_TODAY } from './constants.js';
import { freshDatabase } from './db.js';

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  token(accountId: string, userId?: string): Promise<string>;
  auth(accountId: string): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

/** An app over a fresh fixture database with the clock at TEST_TODAY. */
export async function createTestApp(
  env: Record<string, string> = {},
  inject: Pick<AppOptions, 'model' | 'registry'> = {},
): Promise<TestApp> {
  const config = testConfig({ FIXED_TODAY: TEST_TODAY, ...env });
  const database = await freshDatabase();
  const app = await buildApp({ config, database, clock: fixedClock(TEST_TODAY), ...inject });
  await app.ready();
  const token = (accountId: string, userId = `user@${accountId.toLowerCase()}.test`) => signSessionToken(config, { accountId, userId });
  return {
    app,
    database,
    token,
    auth: async (accountId) => ({ authorization: `Bearer ${await token(accountId)}` }),
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}
