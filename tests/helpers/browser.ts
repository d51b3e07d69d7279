import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';
import { resolveChromium, type ChromiumResolution } from '../../src/documents/chromium.js';

/**
 * Tests that need a real browser (and pdftotext to read the PDFs back) go through
 * `describeWithBrowser`. When Chromium (or pdftotext) is missing:
 * - with CI set (or REQUIRE_BROWSER=1) the suite FAILS, saying what is missing and how to install it;
 * - otherwise a loud banner says these tests DID NOT RUN and how to install what they need, and
 *   the suite shows as skipped with that reason in its name. Everything else still runs.
 * Set REQUIRE_BROWSER=0 to allow the skip even under CI.
 */

export const INSTALL_HINT =
  'install it: apt-get install -y chromium poppler-utils fonts-liberation fonts-dejavu-core (or set CHROMIUM_PATH to a Chrome/Chromium binary)';

export const CHROMIUM: ChromiumResolution = resolveChromium({
  CHROMIUM_PATH: process.env['CHROMIUM_PATH'],
  PUPPETEER_EXECUTABLE_PATH: process.env['PUPPETEER_EXECUTABLE_PATH'],
});

function hasCommand(cmd: string): boolean {
  try {
    execFileSync(cmd, ['-v'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // pdftotext -v exits 0 on recent poppler, 99 on old ones: only "not found" means missing.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export const HAS_PDFTOTEXT = hasCommand('pdftotext');

/** What is missing for browser tests, or null when they can run. */
export function browserProblem(opts: { pdftotext?: boolean } = {}): string | null {
  const problems: string[] = [];
  if (!CHROMIUM.ok) problems.push(CHROMIUM.message.replace(/\.$/, ''));
  if (opts.pdftotext && !HAS_PDFTOTEXT) problems.push('pdftotext (poppler-utils) was not found');
  return problems.length > 0 ? problems.join('; ') : null;
}

function mustRun(): boolean {
  if (process.env['REQUIRE_BROWSER'] === '0') return false;
  return Boolean(process.env['CI']) || process.env['REQUIRE_BROWSER'] === '1';
}

/** `describe` for suites that need Chromium (and pdftotext with `{ pdftotext: true }`). */
export function describeWithBrowser(name: string, fn: () => void, opts: { pdftotext?: boolean } = {}): void {
  const problem = browserProblem(opts);
  if (!problem) {
    describe(name, fn);
    return;
  }
  if (mustRun()) {
    describe(name, () => {
      it('needs a real browser', () => {
        throw new Error(`Browser tests cannot run: ${problem}. ${INSTALL_HINT}. (CI is set, so this fails instead of skipping.)`);
      });
    });
    return;
  }
  const line = '!'.repeat(100);
  process.stderr.write(
    `\n${line}\n!! BROWSER TESTS DID NOT RUN: "${name}"\n!! ${problem}.\n!! To run them, ${INSTALL_HINT}.\n!! Everything else still runs; in CI these tests fail instead.\n${line}\n\n`,
  );
  describe(`${name} [DID NOT RUN: ${problem}; ${INSTALL_HINT}]`, () => {
    it.skip('needs Chromium', () => undefined);
  });
}

/** The text of a PDF: pdftotext -layout (columns kept), or with `{ layout: false }` in reading order, whitespace collapsed. */
export function pdfText(pdf: Buffer, opts: { layout?: boolean } = {}): string {
  const layout = opts.layout ?? true;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdftext-'));
  try {
    const file = path.join(dir, 'doc.pdf');
    fs.writeFileSync(file, pdf);
    const out = execFileSync('pdftotext', [...(layout ? ['-layout'] : []), file, '-'], { encoding: 'utf8' });
    return layout ? out : out.replace(/\s+/g, ' ');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The PDF's Info dictionary as pdfinfo prints it (Title, Pages...). */
export function pdfInfo(pdf: Buffer): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdfinfo-'));
  try {
    const file = path.join(dir, 'doc.pdf');
    fs.writeFileSync(file, pdf);
    const out = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    return Object.fromEntries(
      out
        .split('\n')
        .map((l) => /^([^:]+):\s*(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!.trim(), m[2]!.trim()]),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A valid PDF: the header, an EOF marker, and a size that is not trivially small. */
export function looksLikePdf(buf: Buffer): boolean {
  // A one-line page from Chromium is under 1 KB: check the structure (header, page, trailer), not a size.
  const tail = buf.subarray(-1024).toString('latin1');
  return buf.length > 500 && buf.subarray(0, 5).toString('latin1') === '%PDF-' && buf.includes('/Type /Page') && /startxref\s+\d+\s+%%EOF\s*$/.test(tail);
}

/** A fresh temporary directory (the outbox of one suite). */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
