import { DEV_JWT_SECRET, loadConfig } from '../config.js';
import { signSessionToken } from '../identity/session.js';
import { FIXTURE_ACCOUNTS } from '../billing/fixture.js';

/** `npm run token -- R10042 [user@example.com]`: a demo portal token. Development secret only. */
async function main(): Promise<void> {
  const config = loadConfig();
  const [accountId, user] = process.argv.slice(2).filter((a) => a !== '--');
  if (!accountId || !/^R[0-9]{5,}$/.test(accountId)) {
    process.stderr.write('usage: npm run token -- <account number, e.g. R10042> [user email]\n');
    process.exit(2);
  }
  if (config.AUTH_JWT_SECRET !== DEV_JWT_SECRET) {
    process.stderr.write('refused: AUTH_JWT_SECRET is not the development default; tokens for real secrets come from the portal.\n');
    process.exit(1);
  }
  const fixture = FIXTURE_ACCOUNTS.find((a) => a.id === accountId);
  const token = await signSessionToken(config, {
    accountId,
    userId: user ?? fixture?.user ?? `demo@${accountId.toLowerCase()}.example`,
    userName: fixture?.userName ?? null,
  });
  process.stdout.write(`${token}\n`);
}
void main();
