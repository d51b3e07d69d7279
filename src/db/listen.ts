import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/**
 * LISTEN on one channel, for the cross-replica event relay (src/eventlog/relay.ts).
 *
 * PostgreSQL: a dedicated connection outside the pool (a pooled connection goes back to the pool
 * after each query, and LISTEN belongs to its session). When that connection fails (the server
 * restarted, an administrator or a failover ended the session, the network dropped), it is opened
 * again with backoff; notifications sent meanwhile are lost, so `onListening` runs after every
 * (re)connection and the caller catches up from the table. TCP keepalive lets a silently dead peer
 * be noticed; the relay's backstop poll covers the time that takes.
 *
 * PGlite: one process owns the database, so its own `listen` (no connection of its own) is enough.
 */

export interface ListenHandlers {
  /** A notification arrived on the channel (payloads are not used: a notification only says "look"). */
  onNotify(): void;
  /** LISTEN is in place, the first time or after a reconnection: anything sent before may have been missed. */
  onListening(): void;
  /** The connection failed; it is opened again after `retryInMs`. */
  onLost?(err: Error, retryInMs: number): void;
}

export interface Listener {
  /** Stops listening and closes the connection (idempotent). */
  close(): Promise<void>;
}

/** Starts listening on a channel; connecting and reconnecting happen in the background. */
export type Listen = (channel: string, handlers: ListenHandlers) => Listener;

/** Shows in pg_stat_activity (operators, and the tests that end this session on purpose). */
export const LISTEN_APPLICATION_NAME = 'billing-assistant-listen';

export interface PostgresListenOptions {
  /** First reconnection delay; doubled per failed attempt up to `maxDelayMs` (with jitter). */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export function listenPostgres(connectionString: string, opts: PostgresListenOptions = {}): Listen {
  const minDelay = opts.minDelayMs ?? 250;
  const maxDelay = opts.maxDelayMs ?? 10_000;
  return (channel, handlers) => {
    let closed = false;
    let client: pg.Client | null = null;
    let timer: NodeJS.Timeout | undefined;
    let failures = 0;

    const connect = async (): Promise<void> => {
      if (closed) return;
      const c = new pg.Client({ connectionString, keepAlive: true, application_name: LISTEN_APPLICATION_NAME });
      client = c;
      let lost = false;
      const fail = (err: Error) => {
        if (lost) return;
        lost = true;
        if (client === c) client = null;
        c.removeAllListeners('notification');
        // pg emits 'error' once more if ending a broken connection fails: nothing left to do with it.
        c.on('error', () => undefined);
        c.end().catch(() => undefined);
        if (closed) return;
        const base = Math.min(maxDelay, minDelay * 2 ** failures++);
        const delay = Math.round(base * (0.75 + Math.random() * 0.5));
        handlers.onLost?.(err, delay);
        timer = setTimeout(() => void connect(), delay);
        timer.unref();
      };
      c.on('error', fail);
      c.on('end', () => fail(new Error('the listening connection ended')));
      c.on('notification', (n) => {
        if (n.channel === channel) handlers.onNotify();
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${c.escapeIdentifier(channel)}`);
      } catch (err) {
        fail(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (lost || closed) return;
      failures = 0;
      handlers.onListening();
    };

    void connect();
    return {
      close: async () => {
        if (closed) return;
        closed = true;
        clearTimeout(timer);
        const c = client;
        client = null;
        if (!c) return;
        c.removeAllListeners();
        c.on('error', () => undefined);
        await c.end().catch(() => undefined);
      },
    };
  };
}

export function listenPglite(pglite: PGlite): Listen {
  return (channel, handlers) => {
    let closed = false;
    const unlisten = pglite.listen(channel, () => {
      if (!closed) handlers.onNotify();
    });
    unlisten.then(
      () => {
        if (!closed) handlers.onListening();
      },
      (err: unknown) => handlers.onLost?.(err instanceof Error ? err : new Error(String(err)), 0),
    );
    return {
      close: async () => {
        if (closed) return;
        closed = true;
        // The database may be closing too: nothing more to undo then.
        await unlisten.then((stop) => stop()).catch(() => undefined);
      },
    };
  };
}
