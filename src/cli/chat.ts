import path from 'node:path';
import { z } from 'zod';
import { FIXTURE_ACCOUNTS } from '../billing/fixture.js';
import { ConfigError, DEV_JWT_SECRET, loadConfig, type Config } from '../config.js';
import { DatabaseInUseError, describeHolder } from '../db/lock.js';
import { isAccountId, signSessionToken, type Session } from '../identity/session.js';
import { apiBaseUrl, createApiTransport, probeServer } from './chat/api.js';
import { openLocalTransport } from './chat/local.js';
import { runRepl } from './chat/repl.js';
import { ChatCliError, type ChatTransport } from './chat/transport.js';

/**
 * `npm run chat -- R10042 [user@example.com]`: the assistant in a terminal, through the same chat
 * service as the API and the widget. When a server answers on the configured HOST:PORT the chat
 * goes through its HTTP API; otherwise it opens the database itself, under the PGlite lock that
 * `npm start` also takes. Development only: it signs in with a development portal token.
 */

const USAGE = 'usage: npm run chat -- <account number, e.g. R10042> [user email]\n';

/** The signed-in user: the fixture's user of the account unless another email is given. */
function chatSession(args: readonly string[]): Session | null {
  const [accountId, user, ...rest] = args;
  if (!accountId || !isAccountId(accountId) || rest.length > 0) return null;
  if (user !== undefined && !z.email().safeParse(user).success) return null;
  const fixture = FIXTURE_ACCOUNTS.find((a) => a.id === accountId);
  const userId = user ?? fixture?.user ?? `demo@${accountId.toLowerCase()}.example`;
  return { accountId, userId, userName: fixture && fixture.user === userId ? fixture.userName : null };
}

/** Why this configuration may not mint a development token (as `npm run token` decides), or null. */
function refusal(config: Config): string | null {
  if (config.NODE_ENV === 'production') return 'refused: the terminal chat signs in with a development token; it does not run in production.';
  if (config.AUTH_JWT_SECRET !== DEV_JWT_SECRET) return 'refused: AUTH_JWT_SECRET is not the development default; tokens for real secrets come from the portal.';
  return null;
}

/** A portal token for the session, signed as `npm run token` signs it, renewed well before it expires. */
function tokenMinter(config: Config, session: Session): () => Promise<string> {
  let cached: { token: string; at: number } | null = null;
  return async () => {
    if (!cached || Date.now() - cached.at > 60 * 60_000) cached = { token: await signSessionToken(config, session), at: Date.now() };
    return cached.token;
  };
}

/** The running server's API when one answers, else the database in this process (under its lock). */
async function connect(config: Config, session: Session): Promise<ChatTransport> {
  const base = apiBaseUrl(config);
  if (await probeServer(base)) return createApiTransport(base, tokenMinter(config, session));
  try {
    return await openLocalTransport(config, session, (m) => process.stderr.write(`${m}\n`));
  } catch (err) {
    if (!(err instanceof DatabaseInUseError)) throw err;
    const advice = /\bchat\b/.test(err.holder.command)
      ? 'stop it, or start the server (npm start) and both chats will use its API'
      : `stop it or let the chat use its API at ${base}`;
    throw new ChatCliError(`the database at ${err.dataDir} is in use by ${describeHolder(err.holder)}; ${advice}`);
  }
}

/** Line history next to the PGlite data directory (./data/chat-history by default). */
function historyFile(config: Config): string {
  const dataDir = config.PGLITE_DATA_DIR.startsWith('memory://') ? './data/pglite' : config.PGLITE_DATA_DIR;
  return path.join(path.dirname(path.resolve(dataDir)), 'chat-history');
}

/** SIGINT, SIGTERM, SIGHUP end the chat after the answer in progress; a second one ends it now. */
function stopOnSignals(): AbortSignal {
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  return stop.signal;
}

async function main(): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 78;
  }
  const session = chatSession(process.argv.slice(2).filter((a) => a !== '--'));
  if (!session) {
    process.stderr.write(USAGE);
    return 2;
  }
  const refused = refusal(config);
  if (refused) {
    process.stderr.write(`${refused}\n`);
    return 1;
  }
  // The reader went away (`npm run chat | head`): nothing more to say.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const transport = await connect(config, session);
  const who = `${session.accountId} as ${session.userId}`;
  if (interactive) process.stdout.write(`Billing Assistant chat for ${who}, ${transport.description}. /help for commands.\n\n`);
  else process.stderr.write(`chat: ${who}, ${transport.description}\n`);
  try {
    const failures = await runRepl({
      transport,
      input: process.stdin,
      output: process.stdout,
      interactive,
      historyFile: historyFile(config),
      timeZone: config.BILLING_TIME_ZONE,
      maxChars: config.CHAT_MAX_MESSAGE_CHARS,
      signal: stopOnSignals(),
    });
    return failures > 0 ? 1 : 0;
  } finally {
    await transport.close();
  }
}

main().then(
  // Everything written has been flushed; open sockets (keep-alive) must not hold the exit.
  (code) => process.stdout.write('', () => process.exit(code)),
  (err: unknown) => {
    process.stderr.write(err instanceof ChatCliError ? `${err.message}\n` : `fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
