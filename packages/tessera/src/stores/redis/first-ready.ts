/**
 * Fail-fast clients (no offline queue) refuse every command until their first connection is up,
 * so an app's first requests would get 503 while it is still starting. This waits for that first
 * `ready` only; once the client has been ready, a later disconnection fails at once again (the
 * store answers 503 instead of queueing). The store's own deadline bounds the wait.
 */
export interface ReadyEmitter {
  once(event: "ready" | "end" | "error", listener: (...args: unknown[]) => void): unknown;
  removeListener(event: "ready" | "end" | "error", listener: (...args: unknown[]) => void): unknown;
}

export function firstReadyGate(client: ReadyEmitter, isReadyNow: () => boolean): () => Promise<void> | undefined {
  let everReady = isReadyNow();
  let pending: Promise<void> | undefined;
  if (!everReady) {
    client.once("ready", () => {
      everReady = true;
    });
  }
  return () => {
    if (everReady || isReadyNow()) {
      everReady = true;
      return undefined;
    }
    pending ??= new Promise<void>((resolve, reject) => {
      const onReady = () => {
        cleanup();
        resolve();
      };
      const onEnd = () => {
        cleanup();
        reject(new Error("the Redis client closed before its first connection was ready"));
      };
      const cleanup = () => {
        client.removeListener("ready", onReady);
        client.removeListener("end", onEnd);
        pending = undefined;
      };
      client.once("ready", onReady);
      client.once("end", onEnd);
    });
    return pending;
  };
}
