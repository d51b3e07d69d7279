import fs from 'node:fs';
import { projectPath } from '../src/paths.js';

/** Nearest-rank percentile of a sample (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

const PREAMBLE =
  '# Benchmarks\n\nFigures come from shared, noisy 2-core machines: medians over several runs; compare ratios, not absolutes.\n';

/**
 * Replaces the `## <heading>` section of BENCHMARKS.md (up to the next `## ` heading outside a
 * code fence) or appends it, keeping the other sections.
 */
export function writeBenchSection(heading: string, body: string): void {
  const file = projectPath('BENCHMARKS.md');
  const marker = `## ${heading}`;
  const section = `${marker}\n\n${body.trim()}\n`;
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : PREAMBLE;
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trimEnd() === marker);
  let next: string;
  if (start === -1) {
    next = `${text.trimEnd()}\n\n${section}`;
  } else {
    let end = lines.length;
    let fence = false;
    for (let i = start + 1; i < lines.length; i++) {
      const l = lines[i] ?? '';
      if (/^\s*(```|~~~)/.test(l)) fence = !fence;
      if (!fence && /^## /.test(l)) {
        end = i;
        break;
      }
    }
    const before = lines.slice(0, start).join('\n').trimEnd();
    const after = lines.slice(end).join('\n').trim();
    next = `${before ? `${before}\n\n` : ''}${section}${after ? `\n${after}\n` : ''}`;
  }
  fs.writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`);
}
