import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from '../../src/app.js';
import { fixedClock } from '../../src/billing/dates.js';
import { testConfig } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import { signSessionToken } from '../../src/identity/session.js';
import { OPS_SCOPES, signOperatorToken, type OpsScope } from '../../src/identity/operator.js';
import { TEST_TODAY } from './constants.js';
import { freshDatabase } from './db.js';

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  token(accountId: string, userId?: string): Promise<string>;
  auth(accountId: string): Promise<{ authorization: string }>;
  /** Headers of an operator (/v1/ops) call: every scope unless given, operator 'test-operator' unless given. */
  opsAuth(scopes?: readonly OpsScope[], operatorId?: string): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

/**
 * Rate-limit budgets far above what any test sends (tests run many requests from one address and
 * account within a minute); tests/security/rate-limits.test.ts sets small ones. Chat messages keep
 * the shipped CHAT_RATE_LIMIT_PER_MINUTE unless a test sets it.
 */
const GENEROUS_LIMITS = {
  RATE_LIMIT_READS_PER_MINUTE: '100000',
  RATE_LIMIT_PDF_PER_MINUTE: '10000',
  RATE_LIMIT_CONTACT_WRITES_PER_MINUTE: '10000',
  RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
  RATE_LIMIT_OPS_PER_MINUTE: '1000000',
};

/** An app over a fresh fixture database with the clock at TEST_TODAY. */
export async function createTestApp(
  env: Record<string, string> = {},
  inject: Pick<AppOptions, 'model' | 'registry'> = {},
): Promise<TestApp> {
  // A generous tool timeout unless a test sets its own: a tool's first PDF launches Chromium, which
  // took over the default 10 s on a loaded CI machine and turned an email test into a timeout.
  const config = testConfig({ FIXED_TODAY: TEST_TODAY, ...GENEROUS_LIMITS, AGENT_TOOL_TIMEOUT_MS: '60000', ...env });
  const database = await freshDatabase();
  const app = await buildApp({ config, database, clock: fixedClock(TEST_TODAY), ...inject });
  await app.ready();
  const token = (accountId: string, userId = `user@${accountId.toLowerCase()}.test`) => signSessionToken(config, { accountId, userId });
  return {
    app,
    database,
    token,
    auth: async (accountId) => ({ authorization: `Bearer ${await token(accountId)}` }),
    opsAuth: async (scopes = OPS_SCOPES, operatorId = 'test-operator') => ({
      authorization: `Bearer ${await signOperatorToken(config, { operatorId, scopes })}`,
    }),
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}
