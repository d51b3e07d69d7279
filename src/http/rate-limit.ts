import { RateLimitedError } from '../errors.js';

/**
 * A per-key sliding-window limiter (in memory, per replica). Chat turns are limited per account
 * so one reseller cannot exhaust the model budget or the database.
 */
export function createRateLimiter(opts: { limit: number; windowMs: number; now?: () => number }) {
  const now = opts.now ?? Date.now;
  const hits = new Map<string, number[]>();
  return {
    /** Records a hit or throws 429 with Retry-After. */
    take(key: string, what = 'requests'): void {
      const t = now();
      const from = t - opts.windowMs;
      const list = (hits.get(key) ?? []).filter((x) => x > from);
      if (list.length >= opts.limit) {
        const retryMs = list[0]! + opts.windowMs - t;
        hits.set(key, list);
        throw new RateLimitedError(`Too many ${what}; try again in ${Math.ceil(retryMs / 1000)} s`, retryMs / 1000);
      }
      list.push(t);
      hits.set(key, list);
      if (hits.size > 10_000) {
        for (const [k, v] of hits) if (v.every((x) => x <= from)) hits.delete(k);
      }
    },
  };
}
