/**
 * The import's progress on stderr: on a terminal a bar redrawn in place with the rate and the
 * time left; otherwise (a pipe, a log file, CI) a plain line every ten seconds.
 */

export interface ProgressState {
  /** Bytes of the file read and committed. */
  bytes: number;
  /** Records read in this run. */
  records: number;
  rejected: number;
}

export interface Progress {
  update(s: ProgressState): void;
  /** The last update (however the run ended), and the line ended. */
  done(s: ProgressState): void;
}

export interface ProgressOptions {
  out: { write(text: string): unknown; isTTY?: boolean };
  totalBytes: number;
  /** Where this run started in the file (a resumed run). */
  startBytes: number;
  /** Between two plain lines (not a terminal). */
  intervalMs?: number;
  now?: () => number;
}

const count = new Intl.NumberFormat('en-US');
const BAR = 24;

/** 45s, 12m 03s, 1h 02m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The figures both displays show: share done, records per second, time left (from the bytes still to read). */
function figures(o: ProgressOptions, s: ProgressState, elapsedMs: number) {
  const share = o.totalBytes > 0 ? Math.min(1, s.bytes / o.totalBytes) : 1;
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? s.records / seconds : 0;
  const byteRate = seconds > 0 ? (s.bytes - o.startBytes) / seconds : 0;
  const eta = byteRate > 0 ? (o.totalBytes - s.bytes) / byteRate : Infinity;
  return { share, rate, eta };
}

// A bar of our own: one line of text, not worth a dependency.
export function createProgress(o: ProgressOptions): Progress {
  const now = o.now ?? (() => performance.now());
  const started = now();
  const tty = o.out.isTTY === true;
  const interval = tty ? 200 : (o.intervalMs ?? 10_000);
  let last = -Infinity;
  const render = (s: ProgressState, final: boolean) => {
    const t = now();
    if (!final && t - last < interval) return;
    last = t;
    const { share, rate, eta } = figures(o, s, t - started);
    const pct = `${(share * 100).toFixed(1)}%`;
    const tail = `${count.format(s.records)} records, ${count.format(Math.round(rate))}/s, ${final ? `in ${formatDuration((t - started) / 1000)}` : `ETA ${formatDuration(eta)}`}, ${count.format(s.rejected)} rejected`;
    if (tty) {
      const filled = Math.round(share * BAR);
      o.out.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${pct}  ${tail}${final ? '\n' : ''}`);
    } else {
      o.out.write(`billing:import ${pct}: ${tail}\n`);
    }
  };
  return { update: (s) => render(s, false), done: (s) => render(s, true) };
}
