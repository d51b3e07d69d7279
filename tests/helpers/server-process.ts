import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { PROJECT_ROOT } from '../../src/paths.js';
import { TEST_TODAY } from './constants.js';
import { freePort } from './e2e.js';

/**
 * `src/server.ts` as a real process, the way a new user starts it (`node --import tsx
 * src/server.ts`), for the integration tests that need the process itself (start-up, banner,
 * logs, signals, OTLP export):
 *
 *   server = await spawnServer({ tmpPrefix: 'ba-x-', env: { LOG_LEVEL: 'warn' } });
 *   await server.waitForStart((s) => s.output.includes('Billing Assistant on'), 'the service to start', 60_000);
 *   await fetch(`${server.url}/readyz`);
 *   await server.waitFor((s) => s.stdout.includes(marker), 'the log line', 10_000);
 *   await server.stop('SIGKILL');   // in afterAll: ends it if still running, removes its data directory
 *
 * The environment is a clean shell's (PATH, HOME) plus development defaults on a free port of
 * 127.0.0.1, PGlite in a fresh temporary data directory and the tests' fixed date; `env` adds or
 * overrides any of them. stdout and stderr are collected as they come, apart and interleaved.
 */

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** The temporary directory (PGLITE_DATA_DIR is its `pglite`), removed by stop(). */
  readonly dataDir: string;
  /** What the process wrote so far: stdout, stderr, and both in the order they came. */
  readonly stdout: string;
  readonly stderr: string;
  readonly output: string;
  /** Null while the process runs. */
  readonly exitCode: number | null;
  /** Resolves with the exit code when the process exits. */
  readonly exit: Promise<number | null>;
  /** Polls `cond` until it holds; after `ms`, fails with `what` and the output so far. */
  waitFor(cond: (server: ServerProcess) => boolean, what: string, ms: number): Promise<void>;
  /** Waits until `cond` holds or the process exits (same timeout and error), and asserts that it still runs. */
  waitForStart(cond: (server: ServerProcess) => boolean, what: string, ms: number): Promise<void>;
  /** Ends the process with `signal` if it still runs, waits for its exit, removes dataDir. */
  stop(signal: NodeJS.Signals): Promise<void>;
}

export interface SpawnServerOptions {
  /** Prefix of the temporary data directory's name (in os.tmpdir()). */
  tmpPrefix: string;
  /** More environment (overrides the defaults). */
  env?: NodeJS.ProcessEnv;
}

/** The last part of a process's output, for an error message. */
function tail(output: string, max = 8000): string {
  return output.length > max ? `…${output.slice(-max)}` : output;
}

/** Polls `cond` every 50 ms; after `ms`, throws naming `what`, with `output()` (if given) in the message. */
export async function waitFor(cond: () => boolean, what: string, ms: number, output?: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) {
      const seen = output ? `; the server's output so far:\n${tail(output()) || '(none)'}` : '';
      throw new Error(`timed out after ${ms} ms waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `src/server.ts` (it does not wait for it: see waitForStart). */
export async function spawnServer(opts: SpawnServerOptions): Promise<ServerProcess> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), opts.tmpPrefix));
  // Only what a new user's shell would have: none of our settings but the ones below.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'] ?? os.tmpdir(),
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    FIXED_TODAY: TEST_TODAY,
    PGLITE_DATA_DIR: path.join(dataDir, 'pglite'),
    ...opts.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout!.on('data', (b: Buffer) => {
    const s = b.toString();
    stdout += s;
    output += s;
  });
  child.stderr!.on('data', (b: Buffer) => {
    const s = b.toString();
    stderr += s;
    output += s;
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const server: ServerProcess = {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    get output() {
      return output;
    },
    get exitCode() {
      return child.exitCode;
    },
    exit,
    waitFor: (cond, what, ms) => waitFor(() => cond(server), what, ms, () => output),
    async waitForStart(cond, what, ms) {
      await waitFor(() => cond(server) || child.exitCode !== null, what, ms, () => output);
      expect(child.exitCode, `src/server.ts exited before ${what}; its output:\n${tail(output)}`).toBeNull();
    },
    async stop(signal) {
      if (child.exitCode === null) {
        child.kill(signal);
        await exit;
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
