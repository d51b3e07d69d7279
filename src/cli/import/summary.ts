import { formatDuration } from './progress.js';
import type { ImportSummary } from './run.js';

/** The summary the CLI prints on stdout after a run. */

const n = new Intl.NumberFormat('en-US');

export function summaryText(s: ImportSummary): string {
  const w = Math.max(...[s.records, s.applied, s.unchanged, s.rejected].map((x) => n.format(x).length));
  const row = (label: string, value: number, note = '') => `  ${label.padEnd(10)} ${n.format(value).padStart(w)}${note}`;
  const lines = [
    `billing:import ${s.file} (${s.format}, import #${s.importId}): ${s.status === 'completed' ? 'completed' : 'stopped; run the same command again to continue after the last committed batch'}`,
    row('records', s.records, s.resumedFromLine === null ? '' : ` (continued from line ${n.format(s.resumedFromLine)})`),
    row('applied', s.applied),
    row('unchanged', s.unchanged),
    row('rejected', s.rejected, s.rejected > 0 ? ` (report: ${s.rejectsPath})` : ''),
    `  ${'time'.padEnd(10)} ${formatDuration(s.seconds)}, ${n.format(Math.round(s.recordsPerSecond))} records/s, RSS ${s.rssAtStartMiB.toFixed(0)} MiB at start, peak ${s.peakRssMiB.toFixed(0)} MiB`,
  ];
  if (s.resumedFromLine !== null) {
    const t = s.total;
    lines.push(`  whole import: ${n.format(t.records)} records, ${n.format(t.applied)} applied, ${n.format(t.unchanged)} unchanged, ${n.format(t.rejected)} rejected`);
  }
  return `${lines.join('\n')}\n`;
}
