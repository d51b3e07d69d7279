import { parseArgs } from 'node:util';
import { DEV_JWT_SECRET, DEV_OPS_JWT_SECRET, loadConfig, type Config } from '../config.js';
import { isOpsScope, OPERATOR_ID_RE, OPS_SCOPES, signOperatorToken, type OpsScope } from '../identity/operator.js';
import { isAccountId, signSessionToken } from '../identity/session.js';
import { FIXTURE_ACCOUNTS } from '../billing/fixture.js';
import { isLocale, LOCALES, type Locale } from '../i18n/locales.js';

/**
 * Development tokens. Development secrets only: real portal tokens come from the portal, real
 * operator tokens are signed by whoever holds OPS_JWT_SECRET.
 *   npm run token -- R10042 [user@example.com] [--locale fr-CA]     a portal token (a French user's with --locale fr-CA)
 *   npm run token -- --ops [--scope billing:write,alerts] [--sub billing-system]   an operator token
 */

const USAGE = [
  `usage: npm run token -- <account number, e.g. R10042> [user email] [--locale ${LOCALES.join('|')}]`,
  `       npm run token -- --ops [--scope ${OPS_SCOPES.join(',')}] [--sub billing-system]`,
  '',
].join('\n');

function fail(message: string, code: number): never {
  process.stderr.write(message);
  process.exit(code);
}

async function portalToken(config: Config, accountId: string | undefined, user: string | undefined, locale: Locale | null): Promise<string> {
  if (!accountId || !isAccountId(accountId)) fail(USAGE, 2);
  if (config.AUTH_JWT_SECRET !== DEV_JWT_SECRET) {
    fail('refused: AUTH_JWT_SECRET is not the development default; tokens for real secrets come from the portal.\n', 1);
  }
  const fixture = FIXTURE_ACCOUNTS.find((a) => a.id === accountId);
  return signSessionToken(config, {
    accountId,
    userId: user ?? fixture?.user ?? `demo@${accountId.toLowerCase()}.example`,
    userName: fixture?.userName ?? null,
    locale,
  });
}

/** `--scope a,b` (every scope when absent); an unknown name is a usage error naming it. */
function scopesOf(list: string | undefined): OpsScope[] {
  if (list === undefined) return [...OPS_SCOPES];
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((s) => !isOpsScope(s));
  if (names.length === 0 || unknown.length > 0) fail(`unknown scope ${unknown.join(', ') || '(none given)'}; scopes: ${OPS_SCOPES.join(', ')}\n`, 2);
  return names.filter(isOpsScope);
}

async function operatorToken(config: Config, scope: string | undefined, sub: string | undefined): Promise<string> {
  const scopes = scopesOf(scope);
  const operatorId = sub ?? 'dev-operator';
  if (!OPERATOR_ID_RE.test(operatorId)) fail('--sub: 1-64 of letters, digits and . _ @ : + - (starting with a letter or digit)\n', 2);
  if (config.OPS_JWT_SECRET !== DEV_OPS_JWT_SECRET) {
    fail('refused: OPS_JWT_SECRET is not the development default; operator tokens for real secrets are signed by the billing system.\n', 1);
  }
  return signOperatorToken(config, { operatorId, scopes });
}

async function main(): Promise<void> {
  const config = loadConfig();
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2).filter((a) => a !== '--'),
      allowPositionals: true,
      options: { ops: { type: 'boolean' }, scope: { type: 'string' }, sub: { type: 'string' }, locale: { type: 'string' } },
    });
  } catch (err) {
    fail(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  const [first, second] = positionals;
  let token: string;
  if (values.ops) {
    if (positionals.length > 0 || values.locale !== undefined) fail(USAGE, 2);
    token = await operatorToken(config, values.scope, values.sub);
  } else {
    if (values.scope !== undefined || values.sub !== undefined) fail(USAGE, 2);
    if (values.locale !== undefined && !isLocale(values.locale)) fail(`--locale: one of ${LOCALES.join(', ')}\n`, 2);
    token = await portalToken(config, first, second, values.locale ?? null);
  }
  process.stdout.write(`${token}\n`);
}
void main();
