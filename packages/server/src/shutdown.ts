import { Server as NetServer } from "node:net";
import type { Server } from "node:http";
import type { SessionStore } from "tessera";
import type { ConnectionGuard } from "./connections.js";
import type { Logger } from "./logger.js";

export interface ShutdownOptions {
  server: Server;
  guard: ConnectionGuard;
  /** What to close last: the session store (and anything opened with it). */
  store: Pick<SessionStore, "description" | "close">;
  /** Everything (draining requests, closing the store) must be done within this; then the process exits anyway. */
  graceMs: number;
  logger: Logger;
  /** `process.exit` in production. */
  exit: (code: number) => void;
}

/**
 * A signal handler for an orderly stop: take no new connections, answer every request already
 * received (with `Connection: close`), close the store, exit 0. Each step is bounded by one
 * deadline, `graceMs` after the signal; when it passes, the log names what had not finished (the
 * connections and requests still open, or the store's close) and the process exits 0 anyway: a
 * hung Redis must not keep a stopped server alive.
 */
export function gracefulShutdown(options: ShutdownOptions): (signal: string) => void {
  const { server, guard, store, graceMs, logger, exit } = options;
  let stopping = false;
  return (signal) => {
    if (stopping) return;
    stopping = true;
    const startedAtMs = performance.now();
    logger.info(
      `${signal} received: taking no new connections; answering ${guard.inFlightCount} request(s) in flight, then closing ${guard.openCount} connection(s) (at most ${graceMs} ms, SHUTDOWN_GRACE_MS)`,
    );
    let closingStore = false;
    const deadline = setTimeout(() => {
      const unfinished = closingStore
        ? `closing the session store (${store.description}) had not finished: it is not answering`
        : `${guard.openCount} connection(s) were still open, ${guard.inFlightCount} of them with a request in flight (cut now)`;
      logger.warn(`shutdown grace period of ${graceMs} ms is over and ${unfinished}; exiting anyway`);
      exit(0);
    }, graceMs);

    guard.drain();
    // net.Server's close, not http.Server's: the latter also closes idle keep-alive connections at
    // once, failing requests their clients may be sending on them right now, and stops the sweep
    // that enforces the header and request timeouts. Idle connections close at the keep-alive
    // timeout instead (clients were told it), busy ones after their response.
    NetServer.prototype.close.call(server, () => {
      closingStore = true;
      store.close().then(
        () => {
          clearTimeout(deadline);
          logger.info(`stopped after ${(performance.now() - startedAtMs).toFixed(0)} ms`);
          exit(0);
        },
        (error: unknown) => {
          clearTimeout(deadline);
          logger.warn(`closing the session store failed (${error instanceof Error ? error.message : String(error)}); stopped anyway`);
          exit(0);
        },
      );
    });
  };
}
