import { TesseraError } from "./errors.js";
import type { SessionEvent } from "./events.js";
import type { SessionRecord } from "./record.js";
import { READ_AND_EXTEND_THEN, type ReadAndExtendThen, readAndExtendThenOf, type SessionStore } from "./store.js";

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
  // The session manager reads through this (see `READ_AND_EXTEND_THEN`): the report and the
  // manager's reaction in one, where `wrapped.readAndExtend` would be a promise and a reaction more
  // on every authenticated read. Through the store's own, when it has one.
  const innerReadThen = readAndExtendThenOf(store);
  const readThen = <R>(
    bucket: string,
    digest: string,
    ttlMs: number,
    onRecord: (record: SessionRecord | null) => R | PromiseLike<R>,
    onError: (error: unknown) => R | PromiseLike<R>,
  ): Promise<R> => {
    const startedMs = nowMs();
    const reported = (record: SessionRecord | null) => {
      report("readAndExtend", startedMs);
      return onRecord(record);
    };
    const failed = (error: unknown) => {
      report("readAndExtend", startedMs, storeErrorCode(error));
      return onError(error);
    };
    try {
      return innerReadThen !== undefined
        ? innerReadThen(bucket, digest, ttlMs, reported, failed)
        : store.readAndExtend(bucket + digest, ttlMs).then(reported, failed);
    } catch (error) {
      // A store that throws instead of rejecting.
      return Promise.reject(error).then(reported, failed);
    }
  };
  return {
    get description() {
      return store.description;
    },
    ...wrapped,
    close: () => store.close(),
    [READ_AND_EXTEND_THEN]: Object.assign(readThen, { readAndExtend: wrapped.readAndExtend }) satisfies ReadAndExtendThen,
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
