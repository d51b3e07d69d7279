import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Server-sent events, written once for every stream the API serves (chat turns, approvals and the
 * conversation's live updates). The framing is ours: a few lines of the HTML standard's format.
 */

/** One event: `event: <name>` and one `data:` line of JSON (JSON never contains a raw newline). */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line (ignored by clients; opens the stream through proxies). */
export function sseComment(text: string): string {
  return `: ${text}\n\n`;
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

/**
 * Takes the response over from Fastify and starts an event stream (CORS as the app allows it:
 * the hijacked response bypasses the CORS plugin's headers).
 */
export function openEventStream(req: FastifyRequest, reply: FastifyReply, corsOrigins: readonly string[], opts: { keepAlive?: boolean } = {}): SseStream {
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
  return {
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
}
