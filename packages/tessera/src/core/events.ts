/**
 * Session lifecycle events, enough to write an audit log. Delivered synchronously to
 * `onEvent` after the store has acted; a listener that throws is ignored (the event is not
 * retried and the request is not failed), so keep listeners cheap and hand slow work off.
 */
export type SessionEvent =
  /** A login created a session. */
  | { type: "created"; sessionId: string; userId: string }
  /** A login replaced the session the request carried. */
  | { type: "rotated"; sessionId: string; previousSessionId: string; userId: string }
  /** A session was ended on purpose. */
  | { type: "revoked"; sessionId: string; userId: string; reason: "logout" | "revoke" | "evicted" }
  /**
   * A session was found expired: `absolute` when met past its deadline (on read, or pruned at a
   * login), `idle` when its index entry outlived it and a listing pruned it.
   */
  | { type: "expired"; sessionId: string; userId: string; reason: "idle" | "absolute" };

export type SessionEventListener = (event: SessionEvent) => void;

/** Calls the listener, if any, and swallows its errors: an audit hook must not break a login. */
export function emitter(listener: SessionEventListener | undefined): (event: SessionEvent) => void {
  if (listener === undefined) return () => undefined;
  return (event) => {
    try {
      listener(event);
    } catch {
      // See the module comment: listener failures are the listener's to handle.
    }
  };
}
