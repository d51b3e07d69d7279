import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';
import { describeError, PdfUnavailableError } from './pdf-errors.js';

/**
 * The Chromium used for PDFs: where it lives, how it is started and stopped.
 *
 * Where it lives: configured explicitly (CHROMIUM_PATH, else
 * PUPPETEER_EXECUTABLE_PATH), else the usual system locations. We never download a browser
 * (puppeteer-core only): when none is found, the service still starts and PDF requests fail with
 * CHROMIUM_INSTALL_HINT.
 */

export const CHROMIUM_INSTALL_HINT = 'install chromium (apt-get install -y chromium) or set CHROMIUM_PATH';

export const CHROMIUM_CANDIDATES: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

export type ChromiumResolution =
  | { ok: true; path: string; source: 'CHROMIUM_PATH' | 'PUPPETEER_EXECUTABLE_PATH' | 'system' }
  | { ok: false; message: string };

export interface ChromiumSettings {
  CHROMIUM_PATH?: string | undefined;
  PUPPETEER_EXECUTABLE_PATH?: string | undefined;
}

export function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves the browser executable. An explicitly configured path that is not an executable file
 * is an error (no silent fallback to another browser).
 */
export function resolveChromium(
  settings: ChromiumSettings,
  opts: { isExecutable?: (p: string) => boolean; candidates?: readonly string[] } = {},
): ChromiumResolution {
  const isExec = opts.isExecutable ?? isExecutableFile;
  for (const key of ['CHROMIUM_PATH', 'PUPPETEER_EXECUTABLE_PATH'] as const) {
    const configured = settings[key];
    if (configured) {
      if (isExec(configured)) return { ok: true, path: configured, source: key };
      return { ok: false, message: `PDF rendering is unavailable: ${key}=${configured} is not an executable file; ${CHROMIUM_INSTALL_HINT}.` };
    }
  }
  for (const candidate of opts.candidates ?? CHROMIUM_CANDIDATES) {
    if (isExec(candidate)) return { ok: true, path: candidate, source: 'system' };
  }
  return { ok: false, message: `PDF rendering is unavailable: Chromium was not found; ${CHROMIUM_INSTALL_HINT}.` };
}

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
  '--disable-extensions',
  '--disable-default-apps',
  '--mute-audio',
  '--no-default-browser-check',
  // The PDF's Creator is the browser's user agent: name the product, not "HeadlessChrome/<version>".
  '--user-agent=Billing Assistant',
  // No network at all: every connection goes to a dead proxy (loopback included). Request
  // interception blocks what the page asks for; this also covers what Chromium opens on its own
  // (e.g. the speculative connection for an iframe's navigation, which interception never sees).
  '--proxy-server=127.0.0.1:1',
  '--proxy-bypass-list=<-loopback>',
];

/** Starts headless Chromium over a pipe; a browser that cannot start is a 503 `pdf_unavailable` with the install hint. */
export async function launchChromium(executablePath: string, timeouts: { launchTimeoutMs: number; protocolTimeoutMs: number }): Promise<Browser> {
  try {
    return await puppeteer.launch({
      executablePath,
      headless: true,
      pipe: true,
      args: [...CHROMIUM_ARGS],
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      timeout: timeouts.launchTimeoutMs,
      protocolTimeout: timeouts.protocolTimeoutMs,
    });
  } catch (err) {
    throw new PdfUnavailableError('pdf_unavailable', `PDF rendering is unavailable: Chromium at ${executablePath} could not be started; ${CHROMIUM_INSTALL_HINT}.`, {
      cause: err,
    });
  }
}

/**
 * ref()/unref() a browser's process and its stdio pipes (puppeteer's pipe transport reads them).
 * Hand-written because no library does it: an idle browser must not keep the process alive (a
 * script that forgets close() still exits; puppeteer kills the browser on exit), a busy one must.
 */
export function refProcess(proc: ChildProcess | null, on: boolean): void {
  if (!proc) return;
  if (on) proc.ref();
  else proc.unref();
  for (const stream of proc.stdio) {
    const s = stream as { ref?: () => void; unref?: () => void } | null;
    if (on) s?.ref?.();
    else s?.unref?.();
  }
}

const CLOSE_TIMEOUT_MS = 5_000;

/** Closes a browser, killing it when it does not close within 5 s (generic-pool's destroyTimeoutMillis would only stop waiting). Never throws. */
export async function closeChromium(browser: Browser, onStuck?: (err: string) => void): Promise<void> {
  const proc = browser.process();
  // Closing waits on the browser's pipes and exit: keep the process alive until it is done.
  refProcess(proc, true);
  try {
    await Promise.race([
      browser.close(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('browser.close() timed out')), CLOSE_TIMEOUT_MS).unref()),
    ]);
  } catch (err) {
    onStuck?.(describeError(err));
    proc?.kill('SIGKILL');
  }
}
