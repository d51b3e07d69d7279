import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { seedFixture } from '../../src/billing/fixture.js';
import { migrateToLatest, openDatabase } from '../../src/db/index.js';
import { PROJECT_ROOT } from '../../src/paths.js';

/**
 * Several `src/server.ts` processes over one PostgreSQL database, and Debian's nginx in front of
 * them with `deploy/nginx.conf`. Used by tests/integration/replicas.test.ts and bench/cluster.ts.
 *
 * The API (keep it stable; bench/cluster.ts depends on it):
 *
 *   const db = await createReplicaDatabase(adminUrl);             // migrated + demo fixture
 *   const cluster = await startReplicas({ count: 3, databaseUrl: db.url, redisUrl, env });
 *   cluster.urls[i]        // http://127.0.0.1:<port> of replica i (listening and ready)
 *   await cluster.kill(i, 'SIGKILL')   // resolves once it has exited; 'SIGTERM' = graceful
 *   const proxy = await startProxy(cluster.ports, { exposeUpstream: true });
 *   proxy.url / proxy.httpsUrl / proxy.caCert                       // plain HTTP/1.1; TLS with HTTP/2
 *   await proxy.stop(); await cluster.stop(); await db.drop();
 *
 * Each replica is `node --import tsx src/server.ts` (one process: signals reach the server itself)
 * with a clean environment (PATH, HOME, the Chromium path if set) plus the options' env, so that
 * nothing of the caller's shell leaks in. It starts in its own process group: a SIGKILL takes its
 * Chromium children (PDF pool) with it. Replicas left running when the calling process exits are
 * killed.
 */

export interface ReplicaOptions {
  count: number;
  /** The one PostgreSQL database all replicas share (PGlite cannot be shared between processes). */
  databaseUrl: string;
  /** Shared rate limits (@fastify/rate-limit's Redis store); unset = each replica counts alone. */
  redisUrl?: string;
  /** More environment for every replica (overrides the defaults below). */
  env?: Record<string, string>;
  /** How long a replica may take to answer /readyz (default 90 s: three tsx start-ups on two cores). */
  startTimeoutMs?: number;
}

export interface Replica {
  readonly index: number;
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Everything the process wrote (stdout and stderr, the last 256 KiB). */
  output(): string;
  /** True until the process has exited. */
  readonly alive: boolean;
  /** Resolves with the exit code (or the signal's name) when the process exits. */
  readonly exited: Promise<number | string>;
}

export interface Replicas {
  readonly replicas: readonly Replica[];
  readonly ports: readonly number[];
  readonly urls: readonly string[];
  /** The outbox directory the replicas share (OUTBOX_DIR, unless env set another). */
  readonly outboxDir: string;
  /** Sends a signal (default SIGTERM) and resolves with the exit code or signal once it has exited. */
  kill(index: number, signal?: NodeJS.Signals): Promise<number | string>;
  /** Stops every replica still running (SIGTERM, then SIGKILL after 15 s) and removes the outbox. */
  stop(): Promise<void>;
}

const OUTPUT_LIMIT = 256 * 1024;
const running = new Set<ChildProcess>();
let exitHook = false;

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function registerExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  // A test run that dies (or forgets stop()) must not leave servers holding ports and connections.
  process.once('exit', () => {
    for (const child of running) killGroup(child, 'SIGKILL');
  });
}

async function waitReady(replica: Replica, deadline: number): Promise<void> {
  for (;;) {
    if (!replica.alive) throw new Error(`replica ${replica.index} exited before it was ready:\n${replica.output().slice(-4000)}`);
    try {
      const res = await fetch(`${replica.url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`replica ${replica.index} did not answer /readyz in time:\n${replica.output().slice(-4000)}`);
    await sleep(100);
  }
}

function spawnReplica(index: number, port: number, env: NodeJS.ProcessEnv): Replica {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  let out = '';
  const append = (b: Buffer) => {
    out += b.toString();
    if (out.length > OUTPUT_LIMIT) out = out.slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return {
    index,
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    output: () => out,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    exited,
    // Not part of the interface: kill() and stop() reach the process through this.
    child,
  } as Replica & { child: ChildProcess };
}

/** Starts `count` replicas over one PostgreSQL database and resolves once every one answers /readyz. */
export async function startReplicas(opts: ReplicaOptions): Promise<Replicas> {
  if (!/^postgres(ql)?:\/\//.test(opts.databaseUrl)) throw new Error('startReplicas: databaseUrl must be a postgres:// URL (replicas share one PostgreSQL database)');
  registerExitHook();
  const outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ba-replicas-outbox-'));
  const base: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'] ?? os.tmpdir() };
  for (const key of ['TMPDIR', 'CHROMIUM_PATH', 'PUPPETEER_EXECUTABLE_PATH']) if (process.env[key]) base[key] = process.env[key];
  Object.assign(base, {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    DATABASE_URL: opts.databaseUrl,
    OUTBOX_DIR: outboxDir,
    ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
  });
  const ports: number[] = [];
  while (ports.length < opts.count) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const replicas = ports.map((port, i) => spawnReplica(i, port, { ...base, ...opts.env, PORT: String(port) }));
  const deadline = Date.now() + (opts.startTimeoutMs ?? 90_000);
  const cluster: Replicas = {
    replicas,
    ports,
    urls: replicas.map((r) => r.url),
    outboxDir,
    async kill(index, signal = 'SIGTERM') {
      const r = replicas[index] as Replica & { child: ChildProcess };
      if (!r) throw new Error(`no replica ${index}`);
      if (!r.alive) return r.exited;
      // SIGKILL: the whole group (its Chromium too). Other signals: the server alone, which closes what it opened.
      if (signal === 'SIGKILL') killGroup(r.child, 'SIGKILL');
      else r.child.kill(signal);
      return r.exited;
    },
    async stop() {
      await Promise.all(
        replicas.map(async (r) => {
          const child = (r as Replica & { child: ChildProcess }).child;
          if (!r.alive) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 15_000);
          await r.exited;
          clearTimeout(timer);
        }),
      );
      fs.rmSync(outboxDir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(replicas.map((r) => waitReady(r, deadline)));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

// --- the database -------------------------------------------------------------------------------

export interface ReplicaDatabase {
  readonly url: string;
  readonly name: string;
  /** Drops the database (forcing out any session still connected). */
  drop(): Promise<void>;
}

/**
 * A new database on the server of `adminUrl` (a URL whose user may create databases), migrated and
 * holding the demo fixture as of `today`: ready before any replica starts, so that a test never
 * depends on how replicas race for an empty database (tests/integration/startup-lock.test.ts does).
 */
export async function createReplicaDatabase(adminUrl: string, opts: { today?: string; seed?: boolean; prefix?: string } = {}): Promise<ReplicaDatabase> {
  // Unquoted in SQL below: PostgreSQL folds it to lower case, so it is made of [a-z0-9_] only.
  const name = `${opts.prefix ?? 'ba_replicas'}_${process.pid}_${Date.now()}`.toLowerCase();
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`createReplicaDatabase: bad database name ${name}`);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const drop = async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(`drop database if exists ${name} with (force)`);
    } finally {
      await c.end();
    }
  };
  try {
    const database = await openDatabase({ url: url.toString(), poolMax: 2 });
    try {
      await migrateToLatest(database.db);
      if (opts.seed !== false) await seedFixture(database.db, opts.today ?? '2026-11-25');
    } finally {
      await database.close();
    }
  } catch (err) {
    await drop();
    throw err;
  }
  return { url: url.toString(), name, drop };
}

// --- the proxy ----------------------------------------------------------------------------------

export const NGINX_CONF = path.join(PROJECT_ROOT, 'deploy', 'nginx.conf');
export const NGINX_INSTALL_HINT = 'install nginx: apt-get install -y nginx-light (or set NGINX_BIN to an nginx binary)';

/** The nginx binary (NGINX_BIN, else Debian's), or null when there is none. */
export function nginxBinary(): string | null {
  const bin = process.env['NGINX_BIN'] ?? '/usr/sbin/nginx';
  return fs.existsSync(bin) ? bin : null;
}

export interface RenderOptions {
  /** Local ports of the replicas (127.0.0.1). */
  ports: readonly number[];
  httpPort: number;
  httpsPort: number;
  /** Directory for the certificate, logs, pid file and temporary files. */
  dir: string;
  /** Adds an `X-Upstream` response header naming the replica that answered (tests only: it shows internal addresses). */
  exposeUpstream?: boolean;
}

/**
 * deploy/nginx.conf made to run here: the compose service names become local ports, the listen
 * ports and the certificate, log, pid and temporary paths move into `dir`. Every replaced line must
 * be found, so a change to the deployed file that this does not understand fails loudly instead of
 * testing something else.
 */
export function renderNginxConfig(conf: string, opts: RenderOptions): string {
  let out = conf;
  const replace = (pattern: RegExp, by: string | ((m: string, ...g: string[]) => string), what: string) => {
    if (!pattern.test(out)) throw new Error(`renderNginxConfig: deploy/nginx.conf no longer has ${what}`);
    out = out.replace(pattern, by as string);
  };
  const d = opts.dir;
  replace(/^(\s*)server app\d+:3000( [^;]*)?;\n/gm, '', 'the upstream servers (server appN:3000)');
  replace(/^(\s*)(keepalive \d+;)$/m, (_m, indent: string, keepalive: string) => `${opts.ports.map((p) => `${indent}server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join('\n')}\n${indent}${keepalive}`, 'the upstream keepalive line');
  replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${opts.httpPort};`, 'listen 80');
  replace(/^(\s*)listen 443 ssl http2;$/m, `$1listen 127.0.0.1:${opts.httpsPort} ssl http2;`, 'listen 443 ssl http2');
  replace(/\/etc\/nginx\/certs\//g, `${d}/`, 'the certificate paths');
  replace(/\/var\/log\/nginx\//g, `${d}/`, 'the log paths');
  replace(/^pid \/var\/run\/nginx\.pid;$/m, `pid ${d}/nginx.pid;`, 'the pid file');
  // Debian's compiled-in temporary paths are under /var/lib/nginx: keep everything in `dir`.
  replace(
    /^http \{$/m,
    `http {\n${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${d}/tmp-${k};`).join('\n')}`,
    'the http block',
  );
  if (opts.exposeUpstream) replace(/^(\s*)(proxy_pass http:\/\/billing_assistant;)$/m, '$1$2\n$1add_header X-Upstream $upstream_addr always;', 'proxy_pass');
  return out;
}

export interface Proxy {
  /** Plain HTTP/1.1: http://127.0.0.1:<port>. */
  readonly url: string;
  /** TLS with HTTP/2 (ALPN h2), self-signed for localhost and 127.0.0.1: https://127.0.0.1:<port>. */
  readonly httpsUrl: string;
  /** The self-signed certificate (PEM), to trust in a client (`ca`). */
  readonly caCert: string;
  /** The rendered configuration. */
  readonly config: string;
  /** The access log so far (format "upstream" in deploy/nginx.conf: the replica is `upstream=`). */
  accessLog(): string;
  errorLog(): string;
  stop(): Promise<void>;
}

/** Runs nginx with deploy/nginx.conf in front of local replicas; resolves once it proxies /healthz. */
export async function startProxy(ports: readonly number[], opts: { exposeUpstream?: boolean } = {}): Promise<Proxy> {
  const bin = nginxBinary();
  if (!bin) throw new Error(`nginx was not found; ${NGINX_INSTALL_HINT}`);
  registerExitHook();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ba-nginx-'));
  // As root, nginx's workers run as nobody: they must reach the directory and write the temporary ones.
  fs.chmodSync(dir, 0o755);
  for (const k of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    fs.mkdirSync(path.join(dir, `tmp-${k}`));
    fs.chmodSync(path.join(dir, `tmp-${k}`), 0o777);
  }
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', path.join(dir, 'tls.key'), '-out', path.join(dir, 'tls.crt')],
    { stdio: 'ignore' },
  );
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const config = renderNginxConfig(fs.readFileSync(NGINX_CONF, 'utf8'), { ports, httpPort: httpPort!, httpsPort: httpsPort!, dir, exposeUpstream: opts.exposeUpstream ?? false });
  const confFile = path.join(dir, 'nginx.conf');
  fs.writeFileSync(confFile, config);
  const child = spawn(bin, ['-p', `${dir}/`, '-c', confFile, '-e', path.join(dir, 'error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  const read = (file: string) => {
    try {
      return fs.readFileSync(path.join(dir, file), 'utf8');
    } catch {
      return '';
    }
  };
  const url = `http://127.0.0.1:${httpPort}`;
  const proxy: Proxy = {
    url,
    httpsUrl: `https://127.0.0.1:${httpsPort}`,
    caCert: fs.readFileSync(path.join(dir, 'tls.crt'), 'utf8'),
    config,
    accessLog: () => read('access.log'),
    errorLog: () => read('error.log'),
    async stop() {
      // SIGTERM: a fast shutdown (SIGQUIT would wait for open event streams).
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${out}\n${proxy.errorLog()}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await proxy.stop();
      throw new Error(`nginx did not proxy /healthz in time: ${out}\n${proxy.errorLog()}`);
    }
    await sleep(100);
  }
  return proxy;
}
