/**
 * The progress line of a run: `12/340 (3%) 0:42 elapsed, ETA 19:05  balance/whats-my-balance`.
 * On a terminal it rewrites one line; in CI logs (no TTY) it prints a line every 25 items or 30 s,
 * so a slow live-model run still shows life without flooding the log. ETA: elapsed time per item
 * so far times the items left (items are trials, so `--trials` and `--concurrency` are included).
 */

export interface Progress {
  tick(label: string): void;
  done(): void;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function progressLine(done: number, total: number, elapsedMs: number, label: string): string {
  const pct = total ? Math.floor((100 * done) / total) : 100;
  const eta = done > 0 && done < total ? `, ETA ${formatDuration((elapsedMs / done) * (total - done))}` : '';
  return `${done}/${total} (${pct}%) ${formatDuration(elapsedMs)} elapsed${eta}  ${label}`;
}

export function createProgress(opts: {
  total: number;
  stream?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  quiet?: boolean;
  now?: () => number;
  prefix?: string;
}): Progress {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? Date.now;
  const started = now();
  const prefix = opts.prefix ?? '  ';
  let done = 0;
  let lastPrinted = started;
  let wrote = false;
  return {
    tick(label) {
      done++;
      if (opts.quiet) return;
      const line = `${prefix}${progressLine(done, opts.total, now() - started, label)}`;
      if (stream.isTTY) {
        const width = (stream.columns ?? 100) - 1;
        stream.write(`\r${line.slice(0, width).padEnd(width)}`);
        wrote = true;
      } else if (done % 25 === 0 || done === opts.total || now() - lastPrinted >= 30_000) {
        stream.write(`${line}\n`);
        lastPrinted = now();
      }
    },
    done() {
      if (wrote) stream.write('\n');
      wrote = false;
    },
  };
}
