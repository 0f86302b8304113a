import type { StoreCallObserver, StoreUnavailableError } from "tessera";
import type { LogContext, Logger } from "./logger.js";

/**
 * How long the store must go without a failure before a success counts as recovery. Without it a
 * store that fails only some commands (Redis at `maxmemory` refuses writes but serves reads) would
 * start and end an "outage" on every other request: the flood this class exists to prevent.
 */
export const OUTAGE_QUIET_MS = 2000;

/**
 * Logs session-store outages as two lines, one when the first request is refused and one when the
 * store works again, with how many requests got a 503 in between, instead of a line per failed
 * request (thousands a minute under load).
 *
 * Failures are reported by the app's error handler ({@link refused}); successes by the store
 * calls themselves, through {@link storeCalls} given to `instrumentStore` — the same observation
 * the metrics use, so a store call is wrapped once, not once per observer.
 *
 * @example
 * const outage = new StoreOutageLog(logger);
 * const sessions = createSessionManager({ store: instrumentStore(store, outage.storeCalls), ... });
 * const app = createApp({ sessions, logger, outageLog: outage });
 */
export class StoreOutageLog {
  #startedAtMs: number | undefined;
  #lastFailureAtMs = 0;
  #refusedCount = 0;

  constructor(
    private readonly logger: Logger,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Whether an outage is in progress (a request was refused and the store has not recovered). */
  get active(): boolean {
    return this.#startedAtMs !== undefined;
  }

  /** A request was answered 503 because of `error`. Logs only the first of an outage, with that request's `context`. */
  refused(error: StoreUnavailableError, context?: LogContext): void {
    const now = this.nowMs();
    this.#lastFailureAtMs = now;
    this.#refusedCount++;
    if (this.#startedAtMs !== undefined) return;
    this.#startedAtMs = now;
    this.logger.warn(
      `session store unavailable (${error.code}: ${error.message}); answering 503 until it recovers, the end of the outage will be logged`,
      context,
    );
  }

  /** A store call succeeded: ends the outage once no failure was seen for {@link OUTAGE_QUIET_MS}. */
  succeeded(): void {
    if (this.#startedAtMs === undefined) return;
    const now = this.nowMs();
    if (now - this.#lastFailureAtMs < OUTAGE_QUIET_MS) return;
    const seconds = ((now - this.#startedAtMs) / 1000).toFixed(1);
    this.logger.info(`session store recovered after ${seconds} s; ${this.#refusedCount} request(s) were answered 503 during the outage`);
    this.#startedAtMs = undefined;
    this.#refusedCount = 0;
  }

  /** For `instrumentStore`: each call that succeeded is reported to {@link succeeded}. */
  readonly storeCalls: StoreCallObserver = {
    onCall: (_operation, _durationMs, errorCode) => {
      if (errorCode === undefined) this.succeeded();
    },
  };
}
