import fs from 'node:fs';
import { projectPath } from '../src/paths.js';

/** Nearest-rank percentile of a sample (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Replaces (or appends) the `## <heading>` section of BENCHMARKS.md, keeping the others. */
export function writeBenchSection(heading: string, body: string): void {
  const file = projectPath('BENCHMARKS.md');
  const current = fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8')
    : '# Benchmarks\n\nFigures come from shared, noisy 2-core machines: medians over several runs; compare ratios, not absolutes.\n';
  const marker = `## ${heading}`;
  const start = current.indexOf(marker);
  const section = `${marker}\n\n${body.trim()}\n`;
  let next: string;
  if (start < 0) {
    next = `${current.trimEnd()}\n\n${section}`;
  } else {
    const after = current.indexOf('\n## ', start + marker.length);
    next = `${current.slice(0, start)}${section}${after < 0 ? '' : `\n${current.slice(after + 1)}`}`;
  }
  fs.writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`);
}
