import fs from 'node:fs';

/**
 * Where the Chromium used for PDFs lives. Configured explicitly (CHROMIUM_PATH, else
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
