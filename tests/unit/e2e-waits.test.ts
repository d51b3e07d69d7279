import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Puppeteer waits for a selector that crosses a shadow root (`billing-assistant >>> …`) with a
 * MutationObserver on the document unless the wait asks for { visible } or { hidden }. Changes
 * inside the widget's shadow root never reach that observer, so such a wait only succeeds when the
 * element is already there at its first check: a race that CI lost on a loaded machine. This keeps
 * every browser test on the frame-polling form.
 */

const root = join(import.meta.dirname, '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : testFiles(path);
    return /\.ts$/.test(e.name) ? [path] : [];
  });
}

/** Each `waitForSelector(...)` call's argument text, with the line it starts on. */
function waitCalls(source: string): { line: number; args: string }[] {
  const calls: { line: number; args: string }[] = [];
  const marker = 'waitForSelector(';
  for (let at = source.indexOf(marker); at !== -1; at = source.indexOf(marker, at + 1)) {
    let depth = 1;
    let i = at + marker.length;
    for (; i < source.length && depth > 0; i++) {
      if (source[i] === '(') depth++;
      else if (source[i] === ')') depth--;
    }
    calls.push({ line: source.slice(0, at).split('\n').length, args: source.slice(at + marker.length, i - 1) });
  }
  return calls;
}

/** A wait into the widget's shadow root that would poll on document mutations. */
function racyShadowWait(args: string): boolean {
  const intoShadow = args.includes('>>>') || /^\s*`?\$?\{?W\./.test(args);
  return intoShadow && !/\b(visible|hidden)\s*:\s*true\b/.test(args);
}

describe('browser tests wait into the widget by polling frames', () => {
  it('tells a racy wait from a safe one', () => {
    expect(racyShadowWait("W.panel")).toBe(true);
    expect(racyShadowWait("`${W.panel}:not([hidden])`")).toBe(true);
    expect(racyShadowWait("'billing-assistant >>> .close'")).toBe(true);
    expect(racyShadowWait("W.panel, { visible: true }")).toBe(false);
    expect(racyShadowWait("W.panel, { hidden: true, timeout: 5000 }")).toBe(false);
    expect(racyShadowWait("'.swagger-ui .opblock'")).toBe(false);
    expect(waitCalls("a.waitForSelector(`${W.panel}:not([hidden])`, { timeout: 1 });\nb.waitForSelector(W.input)")).toEqual([
      { line: 1, args: '`${W.panel}:not([hidden])`, { timeout: 1 }' },
      { line: 2, args: 'W.input' },
    ]);
  });

  it('no test waits on a shadow-root selector without { visible } or { hidden }', () => {
    const self = relative(root, import.meta.filename);
    const racy = testFiles(root)
      .filter((f) => relative(root, f) !== self)
      .flatMap((f) => waitCalls(readFileSync(f, 'utf8')).filter((c) => racyShadowWait(c.args)).map((c) => `${relative(root, f)}:${c.line}: waitForSelector(${c.args})`));
    expect(racy).toEqual([]);
  });
});
