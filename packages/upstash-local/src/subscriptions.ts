import type { ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import { HttpError } from "./http-messages.js";
import { connectToRedis, waitUntilReady } from "./redis-connections.js";

/** `POST /subscribe/{channel…}` or `POST /psubscribe/{pattern…}`. */
export type SubscriptionKind = "subscribe" | "psubscribe";

/**
 * A stream whose client reads slower than messages arrive is cut once this much is queued for it,
 * rather than letting one stalled reader grow the process without bound. `@upstash/redis` itself
 * gives up on a line over 1 MiB, so nothing useful is lost.
 */
const MAX_QUEUED_BYTES_PER_STREAM = 4 << 20;

/** The open event streams, each on a Redis connection of its own. */
export interface SubscriptionHub {
  /** Event streams open now. */
  readonly active: number;
  /**
   * Subscribes and answers with an event stream that lasts until the client goes (its Redis
   * connection is closed then). Throws an {@link HttpError} before the stream starts: 429 at the
   * cap, 503 when Redis is away.
   */
  serve(kind: SubscriptionKind, targets: readonly string[], response: ServerResponse, syncToken: number): Promise<void>;
  /** Ends every stream and closes their connections. */
  close(): void;
}

/**
 * One Redis connection per stream: a subscribed connection can run nothing else, and closing it
 * is all it takes to release the subscription when the client goes.
 *
 * @param maxSubscribers streams allowed at once; one more gets 429, so a leaking client cannot
 *   exhaust Redis's connections.
 */
export function createSubscriptionHub(redisUrl: string, maxSubscribers: number): SubscriptionHub {
  const releases = new Set<() => void>();

  async function serve(kind: SubscriptionKind, targets: readonly string[], response: ServerResponse, syncToken: number): Promise<void> {
    // The slot is taken before the first await, so concurrent requests cannot pass the cap together.
    if (releases.size >= maxSubscribers) {
      throw new HttpError(
        429,
        `${releases.size} event streams are open, the limit is ${maxSubscribers}: close one, or raise maxSubscribers (--max-subscribers)`,
      );
    }
    const connection: Redis = connectToRedis(redisUrl);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      releases.delete(release);
      connection.disconnect();
    };
    releases.add(release);
    // The client may go at any point, even before the stream starts.
    response.once("close", release);

    try {
      if (!(await waitUntilReady(connection, 2000))) throw new HttpError(503, "Redis unavailable: could not connect for the subscription");
      const distinctTargets = [...new Set(targets)];
      // Listeners go on before SUBSCRIBE: a message can arrive in the same read as the confirmation.
      const early: string[][] = [];
      let streaming = false;
      const emit = (fields: string[]) => (streaming ? writeEvent(response, fields) : early.push(fields));
      connection.on("message", (channel: string, message: string) => emit(["message", channel, message]));
      connection.on("pmessage", (pattern: string, channel: string, message: string) => emit(["pmessage", pattern, channel, message]));
      await (kind === "subscribe" ? connection.subscribe(...distinctTargets) : connection.psubscribe(...distinctTargets)).catch((error: unknown) => {
        throw new HttpError(503, `Redis unavailable: ${error instanceof Error ? error.message : String(error)}`);
      });
      if (released) return;
      response.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "upstash-sync-token": String(syncToken),
      });
      // A fresh connection counts its subscriptions from 1, as Redis's confirmations do.
      for (const [index, target] of distinctTargets.entries()) writeEvent(response, [kind, target, String(index + 1)]);
      streaming = true;
      for (const fields of early) writeEvent(response, fields);
    } catch (error) {
      release();
      throw error;
    }
  }

  return {
    get active() {
      return releases.size;
    },
    serve,
    close() {
      for (const release of [...releases]) release();
    },
  };
}

/**
 * One server-sent event, `data: message,channel,text`, the format `@upstash/redis` parses (it
 * splits at the first commas, so commas inside the message are fine). A message with line breaks
 * becomes several `data:` lines, as the event-stream format requires; the official client reads
 * only the first of them.
 */
function writeEvent(response: ServerResponse, fields: string[]): void {
  if (response.writableEnded || response.destroyed) return;
  const lines = fields.join(",").split(/\r\n|\r|\n/);
  response.write(`${lines.map((line) => `data: ${line}`).join("\n")}\n\n`);
  if (response.writableLength > MAX_QUEUED_BYTES_PER_STREAM) response.destroy();
}
