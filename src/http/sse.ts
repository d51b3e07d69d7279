import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { trackStream } from '../telemetry/metrics.js';

/**
 * Server-sent events, written once for every stream the API serves (chat turns, approvals and the
 * conversation's live updates). The framing is ours: a few lines of the HTML standard's format.
 *
 * Graceful shutdown (`trackEventStreams`): when the app closes, every open stream is sent
 * `retry: <ms>` (the standard's reconnection delay: short, spread over a second so that the
 * clients of a replica do not all reconnect at once) and a live stream is ended; a chat turn's
 * stream ends when its turn is stored (closing waits for it). Clients reconnect to another
 * replica behind the proxy (the widget's live stream waits what `retry:` said, then looks its
 * cards up again, so no update is lost and none is shown twice).
 */

/** The `retry:` a closing server sends: between this and twice this, per stream. */
export const SHUTDOWN_RETRY_MS = 500;

/** One event: `event: <name>` and one `data:` line of JSON (JSON never contains a raw newline). */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line (ignored by clients; opens the stream through proxies). */
export function sseComment(text: string): string {
  return `: ${text}\n\n`;
}

/** `retry: <ms>`: how long the client should wait before reconnecting. */
export function sseRetry(ms: number): string {
  return `retry: ${Math.round(ms)}\n\n`;
}

export interface SseStream {
  /** Writes one event while the client is connected; a no-op afterwards. */
  send(event: string, data: unknown): void;
  /** Writes raw, already framed text (e.g. `retry:` or a comment). */
  writeRaw(text: string): void;
  /** True until the client disconnects or `end()` is called. */
  readonly open: boolean;
  end(text?: string): void;
  /** Runs once when the client goes away or the stream ends. */
  onClose(listener: () => void): void;
}

export interface EventStreamOptions {
  keepAlive?: boolean;
  /**
   * A stream that stays open until the client leaves (the conversation's live updates): ended
   * when the app closes. Other streams end with their response.
   */
  live?: boolean;
}

/** The open streams of one app (trackEventStreams). */
export interface EventStreams {
  /** How many are open. */
  readonly size: number;
  /** Called by openEventStream for each stream it opens. */
  add(stream: SseStream, live: boolean): void;
  /** Sends `retry:` to every open stream and ends the live ones (the app's preClose). */
  closeAll(): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Present once `trackEventStreams` ran on the app. */
    eventStreams?: EventStreams;
  }
}

/**
 * Keeps the app's open streams, so that closing the app tells their clients to reconnect
 * elsewhere (before the server stops accepting connections) rather than cutting them off.
 */
export function trackEventStreams(app: FastifyInstance): EventStreams {
  const open = new Set<{ stream: SseStream; live: boolean }>();
  const streams: EventStreams = {
    get size() {
      return open.size;
    },
    add(stream, live) {
      const entry = { stream, live };
      open.add(entry);
      stream.onClose(() => open.delete(entry));
    },
    closeAll() {
      for (const { stream, live } of [...open]) {
        stream.writeRaw(sseRetry(SHUTDOWN_RETRY_MS * (1 + Math.random())));
        if (live) stream.end();
        // The server closed its idle connections when it began closing; one that goes idle later
        // would stay open until the client's keep-alive timeout and hold the close up.
        else stream.onClose(() => setImmediate(() => app.server.closeIdleConnections()));
      }
    },
  };
  app.decorate('eventStreams', streams);
  app.addHook('preClose', async () => streams.closeAll());
  return streams;
}

/**
 * Takes the response over from Fastify and starts an event stream (CORS as the app allows it:
 * the hijacked response bypasses the CORS plugin's headers).
 */
export function openEventStream(req: FastifyRequest, reply: FastifyReply, corsOrigins: readonly string[], opts: EventStreamOptions = {}): SseStream {
  reply.hijack();
  const raw = reply.raw;
  const origin = req.headers.origin;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    ...(opts.keepAlive === false ? {} : { connection: 'keep-alive' }),
    'x-accel-buffering': 'no',
    ...(origin && corsOrigins.includes(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {}),
  });
  let open = true;
  const listeners: Array<() => void> = [];
  const close = () => {
    if (!open) return;
    open = false;
    for (const l of listeners.splice(0)) l();
  };
  raw.on('close', close);
  const stream: SseStream = {
    send(event, data) {
      if (open) raw.write(sseFrame(event, data));
    },
    writeRaw(text) {
      if (open) raw.write(text);
    },
    get open() {
      return open;
    },
    end(text) {
      if (open && !raw.writableEnded) raw.end(text);
      close();
    },
    onClose(listener) {
      if (open) listeners.push(listener);
      else listener();
    },
  };
  req.server.eventStreams?.add(stream, opts.live === true);
  // The open-streams gauge of /metrics (src/telemetry/metrics.ts).
  stream.onClose(trackStream());
  return stream;
}
