import { realSetImmediate } from "./real-set-immediate.js";

/** The part of a Node stream (a socket) that {@link turnCoalescer} uses. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

const isCorkable = (stream: unknown): stream is Corkable =>
  typeof (stream as Partial<Corkable> | undefined)?.cork === "function" && typeof (stream as Partial<Corkable>).uncork === "function";

/** What a driver does before each write: {@link TurnCoalescer.hold} for a cheap command, else {@link TurnCoalescer.release}. */
export interface TurnCoalescer {
  /** Holds this and the turn's following writes until the turn ends (see {@link turnCoalescer}). */
  hold(): void;
  /** Sends what is held now, so the write that follows goes at once. */
  release(): void;
}

/**
 * Coalesces the cheap writes of one event-loop turn (`SendOptions.coalesce` of a
 * `RedisConnection`). `hold()` corks the socket `streamOf()` gives, once per turn, and a
 * `setImmediate` uncorks it after the turn's I/O callbacks have run: every read written meanwhile
 * leaves in one `writev`. `release()` uncorks at once, before a command that must not wait (a
 * script: Redis answers a batch only after running all of it).
 *
 * Why: under load a server reads many requests in one turn, and each authenticated read writes
 * one small `GETEX`. One system call for all of them (and one wake-up of Redis, which then answers
 * them in one write) instead of one each. In `npm run bench` (bench/RESULTS.md as committed in
 * 058f7c3 and in fa4dca1), the reference server's read went from 16.4 µs over the raw node:http
 * floor to 5.0 µs, this and a few smaller cuts of the read path together (alternating wrk runs by
 * hand put most of it here).
 *
 * Without a corkable socket or without `setImmediate`, it does nothing and every command is
 * written at once.
 */
export function turnCoalescer(streamOf: () => unknown): TurnCoalescer {
  let corked: Corkable | undefined;
  let scheduled = false;
  const release = () => {
    const stream = corked;
    corked = undefined;
    // A socket closed meanwhile ignores this; its commands are failed by the client as it closes.
    stream?.uncork();
  };
  const endOfTurn = () => {
    scheduled = false;
    release();
  };
  return {
    hold() {
      if (corked !== undefined || realSetImmediate === undefined) return;
      const stream = streamOf();
      if (!isCorkable(stream)) return;
      stream.cork();
      corked = stream;
      if (!scheduled) {
        scheduled = true;
        realSetImmediate(endOfTurn);
      }
    },
    release() {
      if (corked !== undefined) release();
    },
  };
}
