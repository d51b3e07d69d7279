import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pRetry, { AbortError } from 'p-retry';
import { ModelError, type ChatModel, type ModelRequest, type ModelResponse } from '../src/agent/types.js';

/**
 * The response cache of live-model runs: a JSON file per request under the OS cache directory, so
 * rerunning a suite after editing one case pays for that case only. The key hashes what decides
 * the answer: the model (and endpoint), the prompt version, the messages and the tool specs.
 * Random ids (UUIDs: proposal and message ids that reach the model in tool results) are replaced
 * by a placeholder in the key, or no turn after a confirm card would ever hit. Only successful
 * answers are stored. `--no-cache` bypasses it (neither reads nor writes).
 *
 * Plain files, not a library: one small JSON per key, written atomically (rename), is all a
 * single-user CLI needs; there is nothing to expire (a changed prompt or case is a new key).
 */

export interface ResponseCache {
  readonly dir: string;
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  readonly stats: { hits: number; misses: number };
}

/** `$EVALS_CACHE_DIR`, else `$XDG_CACHE_HOME/billing-assistant/evals`, else `~/.cache/billing-assistant/evals`. */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env['EVALS_CACHE_DIR']) return path.resolve(env['EVALS_CACHE_DIR']);
  const base = env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'billing-assistant', 'evals');
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** The cache key of a request: sha256 over its parts, UUIDs masked. */
export function cacheKey(parts: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(parts).replace(UUID, '<uuid>')).digest('hex');
}

export function openResponseCache(dir = defaultCacheDir()): ResponseCache {
  const stats = { hits: 0, misses: 0 };
  const file = (key: string) => path.join(dir, key.slice(0, 2), `${key}.json`);
  return {
    dir,
    stats,
    get<T>(key: string): T | undefined {
      try {
        const value = JSON.parse(fs.readFileSync(file(key), 'utf8')) as T;
        stats.hits++;
        return value;
      } catch {
        // Absent (or a torn file from a killed run): a miss; the answer is fetched and rewritten.
        stats.misses++;
        return undefined;
      }
    },
    set(key: string, value: unknown): void {
      const target = file(key);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const tmp = `${target}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(value));
      fs.renameSync(tmp, target);
    },
  };
}

/**
 * What one turn's model calls cost, filled by `evalModel`. A lane runs one turn at a time, so the
 * lane's runner swaps in a fresh meter per turn (no AsyncLocalStorage: its promise hooks cost the
 * offline suite ~10% CPU).
 */
export interface TurnMeter {
  calls: number;
  cacheHits: number;
  usage: { input_tokens: number; output_tokens: number; cached_input_tokens: number };
}

export function newMeter(): TurnMeter {
  return { calls: 0, cacheHits: 0, usage: { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0 } };
}

/** A 429 that got past the SDK's own retries (it already honoured Retry-After up to its maxRetries). */
function rateLimited(err: unknown): { retryAfterMs: number | null } | null {
  if (!(err instanceof ModelError)) return null;
  const cause = err.cause as { status?: number; headers?: Headers | Record<string, string> } | undefined;
  if (cause?.status !== 429) return null;
  const h = cause.headers;
  const raw = h instanceof Headers ? h.get('retry-after') : h?.['retry-after'];
  const secs = raw !== null && raw !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : null;
  return { retryAfterMs: secs === null ? null : secs * 1000 };
}

export interface EvalModelOptions {
  /** Part of the cache key besides the model id: e.g. the endpoint (the same model name on another server). */
  endpoint: string;
  promptVersion: string;
  /** Replaces the system message (a `--prompt` other than the one the services load). */
  systemPrompt?: string | undefined;
  /** The meter of the turn running now. */
  meter: { current: TurnMeter };
  /** null: no cache (offline engine, or `--no-cache`). */
  cache: ResponseCache | null;
  /** The pause after a 429, shared by every lane of a run (one object for all of them). */
  gate?: { pausedUntil: number };
  /** Attempts after a 429 the SDK gave up on (default 6). */
  rateLimitRetries?: number;
  /** First pause without a Retry-After (doubles each time, at most 60 s; default 2 s). */
  rateLimitBaseMs?: number;
}

/**
 * The model as the evals call it: the chosen system prompt, the response cache, a second line of
 * 429 backoff over the SDK's (with `--concurrency N`, lanes share one pause so they don't hammer
 * a rate-limited endpoint), and the turn meter (calls, tokens, cache hits).
 */
export function evalModel(inner: ChatModel, opts: EvalModelOptions): ChatModel {
  const retries = opts.rateLimitRetries ?? 6;
  const base = opts.rateLimitBaseMs ?? 2000;
  const gate = opts.gate ?? { pausedUntil: 0 };
  const call = async (req: ModelRequest, onTextDelta?: (t: string) => void): Promise<ModelResponse> =>
    pRetry(
      async () => {
        const wait = gate.pausedUntil - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        try {
          return await inner.respond(req, onTextDelta);
        } catch (err) {
          if (!rateLimited(err)) throw new AbortError(err instanceof Error ? err : String(err));
          throw err;
        }
      },
      {
        retries,
        // The pause is set here (shared), so p-retry's own delay stays at zero.
        minTimeout: 0,
        maxTimeout: 0,
        randomize: false,
        onFailedAttempt: ({ error, attemptNumber }) => {
          const limited = rateLimited(error);
          const pause = limited?.retryAfterMs ?? Math.min(60_000, base * 2 ** (attemptNumber - 1)) * (0.75 + Math.random() / 2);
          gate.pausedUntil = Math.max(gate.pausedUntil, Date.now() + pause);
        },
      },
    ); // p-retry rethrows what an AbortError wraps: the loop sees the model's own error.
  return {
    id: inner.id,
    async respond(req: ModelRequest, onTextDelta?: (t: string) => void): Promise<ModelResponse> {
      const m = opts.meter.current;
      m.calls++;
      const messages = opts.systemPrompt === undefined ? req.messages : req.messages.map((x) => (x.role === 'system' ? { ...x, content: opts.systemPrompt! } : x));
      const request: ModelRequest = { ...req, messages };
      const key = opts.cache ? cacheKey({ model: inner.id, endpoint: opts.endpoint, prompt: opts.promptVersion, messages, tools: req.tools }) : null;
      const hit = key ? opts.cache!.get<ModelResponse>(key) : undefined;
      if (hit) m.cacheHits++;
      if (hit?.content) onTextDelta?.(hit.content);
      const resp = hit ?? (await call(request, onTextDelta));
      // A cached answer still counts its tokens: the figures describe the answers (so a matrix
      // stays comparable), and the cost is what the run costs without the cache.
      if (resp.usage) {
        m.usage.input_tokens += resp.usage.promptTokens;
        m.usage.output_tokens += resp.usage.completionTokens;
        m.usage.cached_input_tokens += resp.usage.cachedTokens ?? 0;
      }
      if (key && !hit) opts.cache!.set(key, resp);
      return resp;
    },
  };
}
