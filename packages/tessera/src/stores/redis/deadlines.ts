import { commandTimedOut } from "./connection.js";

/**
 * Deadlines for in-flight store calls: each call arms its own timer and clears it when it settles,
 * so a call past its deadline is rejected `timeoutMs` after it started, on every runtime.
 *
 * Why not one timer shared by all calls (what this file used to do): on workerd a timer belongs
 * to the request that set it and is cancelled when that request ends. A shared timer started by
 * the first request died with it, and no later call had a deadline: with the backend hanging, a
 * Worker answered only when the client gave up. A call's own timer lives exactly as long as the
 * request that awaits the call. On Node it costs no more than the shared timer's bookkeeping did
 * (a Set entry and a clock read per call), measured as CPU time per authenticated read on the
 * bench's Hono target.
 */
export function createDeadlines(timeoutMs: number) {
  /**
   * `work`, rejected with `timeoutError()` once `timeoutMs` have passed. `onValue` and `onError`
   * (which must throw) shape its outcome in the same step, so a caller needs no `then` of its
   * own: a promise reaction less per store call. The timeout's error does not go through `onError`.
   * `onLate` gets the value of work that succeeded after its deadline had rejected the call: the
   * caller reported a failure for something that happened, and may want to undo it.
   */
  function within<T>(work: Promise<T>, timeoutError: () => Error): Promise<T>;
  function within<T, R>(
    work: Promise<T>,
    timeoutError: () => Error,
    onValue: (value: T) => R,
    onError: (error: unknown) => never,
    onLate?: (value: T) => void,
  ): Promise<R>;
  function within<T, R>(
    work: Promise<T>,
    timeoutError: () => Error,
    onValue?: (value: T) => R,
    onError?: (error: unknown) => never,
    onLate?: (value: T) => void,
  ): Promise<T | R> {
    return new Promise<T | R>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(timeoutError());
      }, timeoutMs);
      // Node and Bun: a call still in flight must not keep the process alive (Deno and workerd return a number).
      (timer as { unref?: () => void }).unref?.();
      work.then(
        (value) => {
          clearTimeout(timer);
          if (timedOut) {
            // The caller was told the call failed; the work happened all the same.
            if (onLate !== undefined) {
              try {
                onLate(value);
              } catch {
                // Best effort: nobody awaits a late outcome.
              }
            }
            return;
          }
          if (onValue === undefined) return resolve(value);
          try {
            resolve(onValue(value));
          } catch (error) {
            reject(error);
          }
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (onError === undefined) return reject(error);
          try {
            onError(error);
            reject(error);
          } catch (shaped) {
            reject(shaped);
          }
        },
      );
    });
  }
  return within;
}

/**
 * `work`, rejected with a {@link commandTimedOut} error once `timeoutMs` have passed: how a
 * `RedisConnection.sendOne` keeps its deadline where it cannot arm one on its driver's own
 * command (a read waiting for the client's first connection, a command sent through `send`).
 */
export function commandWithin<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  return createDeadlines(timeoutMs)(work, commandTimedOut);
}
