/** The part of a Node stream (a socket) that {@link turnCoalescer} uses. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

const isCorkable = (stream: unknown): stream is Corkable =>
  typeof (stream as Partial<Corkable> | undefined)?.cork === "function" && typeof (stream as Partial<Corkable>).uncork === "function";

/**
 * Coalesces the socket writes of one event-loop turn. The returned function corks the socket
 * `streamOf()` gives, once per turn, and `setImmediate` uncorks it after the turn's I/O callbacks
 * have run: every command written meanwhile leaves in one `writev`. Why: under load, a server
 * reads many requests in one turn, and each authenticated read writes one small `GETEX`; one
 * system call for all of them (and one wake-up of Redis, which then answers them in one write)
 * instead of one each: in alternating wrk runs of the reference server (32 connections), about 12%
 * less CPU per read and 6–19% more reads per second.
 *
 * Without a corkable socket or without `setImmediate` (runtimes other than Node, Bun and Deno), it
 * does nothing and every command is written at once.
 */
export function turnCoalescer(streamOf: () => unknown): () => void {
  const setImmediateOf = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  if (typeof setImmediateOf !== "function") return () => {};
  const schedule = setImmediateOf.bind(globalThis);
  let corked: Corkable | undefined;
  const uncork = () => {
    const stream = corked;
    corked = undefined;
    // A socket closed meanwhile ignores this; its commands are failed by the client as it closes.
    stream?.uncork();
  };
  return () => {
    if (corked !== undefined) return;
    const stream = streamOf();
    if (!isCorkable(stream)) return;
    stream.cork();
    corked = stream;
    schedule(uncork);
  };
}
