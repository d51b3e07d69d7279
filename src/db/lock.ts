import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * One process at a time on a PGlite data directory. PGlite takes no lock of its own, and two
 * processes writing one directory corrupt it; `npm start`, `npm run chat` and the database
 * scripts all open it through src/bootstrap.ts, which holds this lock while the database is open.
 *
 * Hand-written rather than a lockfile package: the lock must say WHO holds it (pid, command,
 * start time) so that the refusal can name the process, and a crashed holder must not block the
 * next start (a dead pid is stale and taken over).
 */

/** The lock file's name inside the data directory (PostgreSQL ignores files it does not know). */
export const LOCK_FILE = 'billing-assistant.lock';

/** What the lock file holds. */
export interface LockHolder {
  pid: number;
  /** How the holder was started, e.g. "npm start" or "npm run chat". */
  command: string;
  startedAt: string;
  hostname: string;
  /** Tells this holder's file from a later one with a reused pid. */
  token: string;
}

export interface DataDirLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still ours; idempotent. */
  release(): void;
}

/** The data directory is open in another living process. */
export class DatabaseInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
    readonly lockFile: string,
  ) {
    super(`the database at ${dataDir} is in use by ${describeHolder(holder)}; stop it, then try again`);
    this.name = 'DatabaseInUseError';
    // A refusal to start, not a bug: whoever prints the stack (src/server.ts) prints this one line.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** "process 1234 (npm start)", with the host when it is another machine's. */
export function describeHolder(holder: LockHolder): string {
  const where = holder.hostname === os.hostname() ? '' : ` on ${holder.hostname}`;
  return `process ${holder.pid}${where} (${holder.command})`;
}

/** The lock file's holder, or null when there is none (or it cannot be read as one). */
export function readLockHolder(file: string): LockHolder | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid !== 'number' || typeof v.command !== 'string' || typeof v.token !== 'string') return null;
    return { pid: v.pid, command: v.command, startedAt: String(v.startedAt ?? ''), hostname: String(v.hostname ?? ''), token: v.token };
  } catch {
    return null;
  }
}

/** True while the holder's process runs (another host's holder is assumed alive: we cannot look). */
export function holderAlive(holder: LockHolder): boolean {
  if (holder.hostname !== os.hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function createExclusive(file: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, `${JSON.stringify(holder)}\n`);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** A file that is not a holder yet: another process between create and write, or a broken file. */
function unreadableIsStale(file: string): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > 5_000;
  } catch {
    return true;
  }
}

/**
 * Moves a stale lock aside. If, between our look and the move, another process took the lock over
 * and wrote its own, we moved a live lock: it is put back and that process is the holder.
 */
function takeOverStale(file: string, seen: LockHolder | null): LockHolder | null {
  const aside = `${file}.${process.pid}.${randomUUID()}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const moved = readLockHolder(aside);
  if (moved && moved.token !== seen?.token && holderAlive(moved)) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // Someone else holds it by now; either way it is not ours.
    }
    fs.rmSync(aside, { force: true });
    return moved;
  }
  fs.rmSync(aside, { force: true });
  return null;
}

/** A short synchronous wait (the lock is taken before anything else runs; nothing waits on us). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Removes the lock on exit. On a signal nobody else handles, removes it and lets the signal end
 * the process as it would have; when the process handles the signal itself (the server's graceful
 * shutdown), the lock stays until the database is closed or the process exits.
 */
function releaseOnExit(release: () => void): () => void {
  const onExit = () => release();
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return;
    release();
    process.kill(process.pid, signal);
  };
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
  return () => {
    process.removeListener('exit', onExit);
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  };
}

/**
 * Takes the lock on a PGlite data directory (created if missing), or throws DatabaseInUseError
 * naming the living process that holds it. A lock left by a process that has died is taken over.
 */
export function acquireDataDirLock(dataDir: string, opts: { command: string }): DataDirLock {
  fs.mkdirSync(path.resolve(dataDir), { recursive: true });
  const file = path.join(path.resolve(dataDir), LOCK_FILE);
  const holder: LockHolder = { pid: process.pid, command: opts.command, startedAt: new Date().toISOString(), hostname: os.hostname(), token: randomUUID() };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(file, holder)) return heldLock(file, holder);
    const current = readLockHolder(file);
    if (current ? holderAlive(current) : !unreadableIsStale(file)) {
      if (current) throw new DatabaseInUseError(dataDir, current, file);
      pause(50);
      continue;
    }
    const live = takeOverStale(file, current);
    if (live) throw new DatabaseInUseError(dataDir, live, file);
  }
  const current = readLockHolder(file);
  if (current) throw new DatabaseInUseError(dataDir, current, file);
  throw new Error(`could not take the lock ${file}; if no other process uses ${dataDir}, remove that file`);
}

function heldLock(file: string, holder: LockHolder): DataDirLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    stopWatching();
    // Only our own file: never a lock another process took over after a mistaken stale check.
    if (readLockHolder(file)?.token === holder.token) fs.rmSync(file, { force: true });
  };
  const stopWatching = releaseOnExit(release);
  return { file, holder, release };
}
