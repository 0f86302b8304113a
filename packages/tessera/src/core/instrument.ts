import { TesseraError } from "./errors.js";
import type { SessionEvent } from "./events.js";
import type { SessionStore } from "./store.js";

/**
 * Hooks for metrics, framework-free: {@link instrumentStore} times every store call, and
 * {@link sessionEventLabels} turns a session event into labels that are safe to export. Neither
 * ever hands out a user id, a session id or a token, so whatever a metrics library does with what
 * it receives cannot put one in a label.
 */

/** The store calls {@link instrumentStore} reports, named as the `SessionStore` methods. */
export type StoreOperation = "create" | "readAndExtend" | "touch" | "patch" | "destroy" | "listForUser" | "destroyForUser";

/** Receives one report per store call. */
export interface StoreCallObserver {
  /**
   * Called once per store call when it settles. `errorCode` is set when the call rejected: the
   * `TesseraError` code (`STORE_UNAVAILABLE`, `STORE_TIMEOUT`, `STORE_FULL`,
   * `SESSION_INPUT_INVALID`), or `"UNKNOWN"` for anything else. A listener that throws is ignored.
   */
  onCall(operation: StoreOperation, durationMs: number, errorCode?: string): void;
}

/** Options of {@link instrumentStore}. */
export interface InstrumentStoreOptions extends StoreCallObserver {
  /** Monotonic clock in milliseconds. @default performance.now */
  nowMs?: () => number;
}

const OPERATIONS: readonly StoreOperation[] = ["create", "readAndExtend", "touch", "patch", "destroy", "listForUser", "destroyForUser"];

/** The code a metrics label may show for `error`: a fixed, short set, never a message. */
export function storeErrorCode(error: unknown): string {
  return error instanceof TesseraError ? error.code : "UNKNOWN";
}

/**
 * What a store made by {@link instrumentStore} carries under this symbol: the store it wraps and
 * how it reports a call, so that the session manager can time its reads in its own promise
 * reaction, where the wrapper's would be one more promise and one more reaction on every
 * authenticated read. Not part of the public interface.
 */
export const INSTRUMENTED: unique symbol = Symbol("tessera.instrumented");

/** See {@link INSTRUMENTED}. */
export interface InstrumentedStore {
  /** The store that was wrapped. */
  readonly store: SessionStore;
  /** The wrapper's own `readAndExtend`: a copy of the wrapper with another one (`{ ...store, readAndExtend }`) must be read through that. */
  readonly readAndExtend: SessionStore["readAndExtend"];
  readonly nowMs: () => number;
  /** Reports a call that started at `startedMs` (by `nowMs`), as the wrapper does. */
  report(operation: StoreOperation, startedMs: number, errorCode?: string): void;
}

/** The parts of an instrumented store (see {@link INSTRUMENTED}) when its reads may be timed by the caller, else `undefined`. */
export function instrumentedParts(store: SessionStore): InstrumentedStore | undefined {
  const parts = (store as { [INSTRUMENTED]?: InstrumentedStore })[INSTRUMENTED];
  return parts !== undefined && parts.readAndExtend === store.readAndExtend ? parts : undefined;
}

/**
 * `store`, reporting the duration and outcome of every call to `onCall`. Results and errors pass
 * through unchanged; arguments (ids, records) are never shown to the observer. `close` and
 * `description` are not timed.
 *
 * @example
 * ```ts
 * const store = instrumentStore(createRedisStore({ connection }), {
 *   onCall(operation, durationMs, errorCode) {
 *     storeSeconds.observe({ operation }, durationMs / 1000);
 *     if (errorCode) storeErrors.inc({ operation, code: errorCode });
 *   },
 * });
 * const sessions = createSessionManager({ store });
 * ```
 */
export function instrumentStore(store: SessionStore, options: InstrumentStoreOptions): SessionStore {
  const nowMs = options.nowMs ?? (() => performance.now());
  const report = (operation: StoreOperation, startedMs: number, errorCode?: string) => {
    try {
      if (errorCode === undefined) options.onCall(operation, nowMs() - startedMs);
      else options.onCall(operation, nowMs() - startedMs, errorCode);
    } catch {
      // A metrics hook must not turn a working store call into a failed request.
    }
  };
  const timed = <K extends StoreOperation>(operation: K) => {
    const call = store[operation].bind(store) as (...args: unknown[]) => Promise<unknown>;
    // .then rather than an async function: this wraps every store call, and an extra async frame
    // per call is measurable on the read path.
    return (...args: unknown[]) => {
      const startedMs = nowMs();
      return call(...args).then(
        (result) => {
          report(operation, startedMs);
          return result;
        },
        (error: unknown) => {
          report(operation, startedMs, storeErrorCode(error));
          throw error;
        },
      );
    };
  };
  const wrapped = Object.fromEntries(OPERATIONS.map((operation) => [operation, timed(operation)])) as unknown as Pick<SessionStore, StoreOperation>;
  const parts: InstrumentedStore = { store, readAndExtend: wrapped.readAndExtend, nowMs, report };
  return {
    get description() {
      return store.description;
    },
    ...wrapped,
    close: () => store.close(),
    [INSTRUMENTED]: parts,
  } as SessionStore;
}

/** Labels of a session event for a counter: what happened and why, nothing about whom. */
export interface SessionEventLabels {
  /** `login` (a session was created), `rotation` (a login replaced the request's session), `logout`, `revocation` (ended by a revoke or evicted by `maxSessionsPerUser`), `expiration`. */
  event: "login" | "rotation" | "logout" | "revocation" | "expiration";
  /** `revoke` or `evicted` for a revocation, `idle` or `absolute` for an expiration, `""` otherwise. */
  reason: "" | "revoke" | "evicted" | "idle" | "absolute";
}

/**
 * The labels under which to count a session event: the `onEvent` recipe for metrics. The event's
 * user id and session id are left out on purpose: as labels they would be unbounded and personal.
 *
 * @example
 * ```ts
 * const sessions = createSessionManager({
 *   store,
 *   onEvent: (event) => sessionEvents.inc(sessionEventLabels(event)),
 * });
 * ```
 */
export function sessionEventLabels(event: SessionEvent): SessionEventLabels {
  switch (event.type) {
    case "created":
      return { event: "login", reason: "" };
    case "rotated":
      return { event: "rotation", reason: "" };
    case "revoked":
      return event.reason === "logout" ? { event: "logout", reason: "" } : { event: "revocation", reason: event.reason };
    case "expired":
      return { event: "expiration", reason: event.reason };
  }
}
