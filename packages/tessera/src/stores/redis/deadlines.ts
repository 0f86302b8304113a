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
  return function within<T>(work: Promise<T>, timeoutError: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(timeoutError()), timeoutMs);
      // Node and Bun: a call still in flight must not keep the process alive (Deno and workerd return a number).
      (timer as { unref?: () => void }).unref?.();
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  };
}
