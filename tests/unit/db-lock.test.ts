import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { launchCommand, openConfiguredDatabase } from '../../src/bootstrap.js';
import { testConfig } from '../../src/config.js';
import { acquireDataDirLock, DatabaseInUseError, LOCK_FILE, readLockHolder, type DataDirLock } from '../../src/db/lock.js';

/**
 * The PGlite data-directory lock (src/db/lock.ts): one process at a time, a refusal that names the
 * holder, a dead holder's lock taken over, and only our own file ever removed. bootstrap.ts takes
 * it for a PGlite directory and gives it back when the database closes.
 */

const dirs: string[] = [];
const held: DataDirLock[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ba-lock-'));
  dirs.push(dir);
  return dir;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function writeHolder(dir: string, holder: object): string {
  const file = path.join(dir, LOCK_FILE);
  fs.writeFileSync(file, JSON.stringify({ startedAt: new Date().toISOString(), hostname: os.hostname(), token: 'theirs', ...holder }));
  return file;
}

afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the PGlite data-directory lock', () => {
  it('is exclusive: a second taker is refused with the holder named, and can take it once released', () => {
    const dir = path.join(tempDir(), 'pglite');
    const lock = acquireDataDirLock(dir, { command: 'npm start' });
    held.push(lock);
    expect(readLockHolder(lock.file)).toMatchObject({ pid: process.pid, command: 'npm start', hostname: os.hostname() });

    let refusal: unknown;
    try {
      acquireDataDirLock(dir, { command: 'npm run chat' });
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(DatabaseInUseError);
    expect((refusal as Error).message).toBe(`the database at ${dir} is in use by process ${process.pid} (npm start); stop it, then try again`);
    // Printed by the server's fatal handler as one line, not a stack.
    expect((refusal as Error).stack).toBe(`DatabaseInUseError: ${(refusal as Error).message}`);

    lock.release();
    expect(fs.existsSync(lock.file)).toBe(false);
    held.push(acquireDataDirLock(dir, { command: 'npm run chat' }));
    expect(readLockHolder(lock.file)?.command).toBe('npm run chat');
  });

  it('takes over a lock left by a process that has died', () => {
    const dir = tempDir();
    const file = writeHolder(dir, { pid: deadPid(), command: 'npm start' });
    const lock = acquireDataDirLock(dir, { command: 'npm run chat' });
    held.push(lock);
    expect(readLockHolder(file)).toMatchObject({ pid: process.pid, command: 'npm run chat', token: lock.holder.token });
    expect(fs.readdirSync(dir)).toStrictEqual([LOCK_FILE]);
  });

  it('takes over an unreadable lock file once it is old, and waits for a fresh one to be written', () => {
    const dir = tempDir();
    const file = path.join(dir, LOCK_FILE);
    fs.writeFileSync(file, '');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    held.push(acquireDataDirLock(dir, { command: 'npm start' }));
    expect(readLockHolder(file)?.pid).toBe(process.pid);
    held.pop()!.release();

    fs.writeFileSync(file, '{"pid": 1');
    expect(() => acquireDataDirLock(dir, { command: 'npm start' })).toThrow(/could not take the lock .*remove that file/);
  });

  it('is refused while a living process holds it (pid 1), and while another host holds it', () => {
    const dir = tempDir();
    writeHolder(dir, { pid: 1, command: 'npm start' });
    expect(() => acquireDataDirLock(dir, { command: 'npm run chat' })).toThrow(`is in use by process 1 (npm start)`);
    writeHolder(dir, { pid: deadPid(), command: 'npm start', hostname: 'elsewhere.example' });
    expect(() => acquireDataDirLock(dir, { command: 'npm run chat' })).toThrow(/in use by process \d+ on elsewhere\.example \(npm start\)/);
  });

  it('never removes a lock that is no longer its own', () => {
    const dir = tempDir();
    const lock = acquireDataDirLock(dir, { command: 'npm start' });
    writeHolder(dir, { pid: process.pid, command: 'npm run chat', token: 'someone-else' });
    lock.release();
    expect(readLockHolder(lock.file)?.token).toBe('someone-else');
  });
});

describe('bootstrap: the configured database under the lock', () => {
  it('holds a PGlite data directory while it is open and gives it back on close', async () => {
    const dir = path.join(tempDir(), 'pglite');
    const config = testConfig({ PGLITE_DATA_DIR: dir });
    const database = await openConfiguredDatabase(config, undefined, { command: 'npm start' });
    try {
      expect(readLockHolder(path.join(dir, LOCK_FILE))).toMatchObject({ pid: process.pid, command: 'npm start' });
      await expect(openConfiguredDatabase(config, undefined, { command: 'npm run chat' })).rejects.toThrow(
        `the database at ${dir} is in use by process ${process.pid} (npm start); stop it, then try again`,
      );
    } finally {
      await database.close();
    }
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  }, 60_000);

  it('opens an in-memory PGlite without a lock (no directory to hold)', async () => {
    const database = await openConfiguredDatabase(testConfig({ PGLITE_DATA_DIR: 'memory://' }));
    await database.close();
  });

  it('names the holder by its npm script, else by its script file', () => {
    expect(launchCommand({ npm_lifecycle_event: 'start' }, [])).toBe('npm start');
    expect(launchCommand({ npm_lifecycle_event: 'chat' }, [])).toBe('npm run chat');
    expect(launchCommand({}, ['node', path.join(process.cwd(), 'src/server.ts')])).toBe('node src/server.ts');
    expect(launchCommand({ npm_lifecycle_event: 'npx' }, ['node', path.join(process.cwd(), 'src/server.ts')])).toBe('node src/server.ts');
  });
});
