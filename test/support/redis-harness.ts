import { Redis } from "ioredis";
import { createClient } from "redis";
import type { RedisConnection } from "tessera/redis";
import { ioredisConnection, nodeRedisConnection, recommendedIoredisOptions, recommendedNodeRedisOptions } from "tessera/redis";
import { freePort } from "./ports.js";
import { parseCommandStats, type RedisServer } from "./redis-server.js";

export type RedisClientKind = "ioredis" | "node-redis";

/** A connection of the given client kind to `url`, connected and ready. */
export async function connectTo(kind: RedisClientKind, url: string): Promise<RedisConnection> {
  if (kind === "ioredis") {
    const client = new Redis(url, recommendedIoredisOptions);
    client.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      client.once("ready", resolve);
      setTimeout(() => reject(new Error(`ioredis did not connect to ${url}`)), 5000).unref();
    });
    return ioredisConnection(client);
  }
  const client = createClient({ url, ...recommendedNodeRedisOptions });
  client.on("error", () => undefined);
  await client.connect();
  return nodeRedisConnection(client);
}

/** A connection of the given kind to a port where nothing listens (it keeps trying to reconnect). */
export async function connectToNothing(kind: RedisClientKind): Promise<RedisConnection> {
  const url = `redis://127.0.0.1:${await freePort()}`;
  if (kind === "ioredis") {
    const client = new Redis(url, recommendedIoredisOptions);
    client.on("error", () => undefined);
    return ioredisConnection(client);
  }
  const client = createClient({ url, ...recommendedNodeRedisOptions });
  client.on("error", () => undefined);
  client.connect().catch(() => undefined);
  return {
    ...nodeRedisConnection(client),
    // node-redis rejects close() on a client that never connected; destroy() stops its retries.
    close: async () => {
      if (client.isOpen) client.destroy();
    },
  };
}

/** Counts round trips: each `send` is one. */
export function countingConnection(inner: RedisConnection): RedisConnection & { roundTrips: number } {
  const counting: RedisConnection & { roundTrips: number } = {
    description: inner.description,
    roundTrips: 0,
    send(commands, options) {
      counting.roundTrips++;
      return inner.send(commands, options);
    },
    close: () => inner.close(),
  };
  // The driver's own single-command path, when it has one, so the store contract runs through it.
  const sendOne = inner.sendOne?.bind(inner);
  if (sendOne !== undefined) {
    counting.sendOne = (command, options) => {
      counting.roundTrips++;
      return sendOne(command, options);
    };
  }
  return counting;
}

/** Commands Redis itself counted (INFO commandstats) during `operation`, by name. */
export async function commandsDuring(redis: RedisServer, operation: () => Promise<unknown>): Promise<Map<string, number>> {
  await redis.command("CONFIG", "RESETSTAT");
  await operation();
  const stats = parseCommandStats(await redis.command("INFO", "commandstats"));
  // The bookkeeping commands of this helper are not the operation's.
  for (const name of [...stats.keys()]) if (name === "info" || name.startsWith("config")) stats.delete(name);
  return stats;
}

export const total = (stats: Map<string, number>) => [...stats.values()].reduce((sum, calls) => sum + calls, 0);

/** One round trip as a recording connection saw it: each command's name and its arguments as strings. */
export type RecordedRoundTrip = Array<{ name: string; args: string[] }>;

/**
 * Records, in order, every round trip sent through it to the real connection beneath, so a test
 * can assert what the store sent and in what order (not just how many commands Redis counted).
 */
export function recordingConnection(inner: RedisConnection): RedisConnection & { roundTrips: RecordedRoundTrip[] } {
  const recording = {
    description: inner.description,
    roundTrips: [] as RecordedRoundTrip[],
    send(commands: Parameters<RedisConnection["send"]>[0]) {
      recording.roundTrips.push(commands.map(([name, ...args]) => ({ name: name.toUpperCase(), args: args.map(String) })));
      return inner.send(commands);
    },
    close: () => inner.close(),
  };
  return recording;
}

/**
 * Fault injection on a real connection: the round trips whose 1-based numbers are in `failing`
 * reject as a lost connection would, without reaching Redis; all others go through.
 */
export function failingConnection(inner: RedisConnection, failing: ReadonlySet<number>): RedisConnection {
  let sent = 0;
  return {
    description: inner.description,
    send(commands) {
      sent++;
      return failing.has(sent) ? Promise.reject(new Error(`connection lost (injected on round trip ${sent})`)) : inner.send(commands);
    },
    close: () => inner.close(),
  };
}

/**
 * Fault injection on a real connection: the round trips whose 1-based numbers are in `late` reach
 * Redis and run, but their replies are held back past a caller's deadline (the outcome a caller
 * cannot know: it ran, yet no answer came in time): `delayMs`, or with `"until-released"` until
 * `release()`, so a test can act in between. All others go through. `idle()` waits until every
 * round trip has answered, late ones included, and whatever the caller sent on receiving a late
 * answer too.
 */
export function lateReplyConnection(
  inner: RedisConnection,
  late: ReadonlySet<number>,
  delayMs: number | "until-released",
): RedisConnection & { idle(): Promise<void>; release(): void } {
  let sent = 0;
  const pending = new Set<Promise<unknown>>();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const hold = () => (delayMs === "until-released" ? released : new Promise<void>((resolve) => setTimeout(resolve, delayMs)));
  return {
    description: inner.description,
    send(commands) {
      sent++;
      const direct = inner.send(commands);
      const replies = late.has(sent) ? direct.then((value) => hold().then(() => value)) : direct;
      const settled: Promise<unknown> = replies.then(
        () => pending.delete(settled),
        () => pending.delete(settled),
      );
      pending.add(settled);
      return replies;
    },
    async idle() {
      do {
        await Promise.all([...pending]);
        // The caller's reactions to the last answers run before this, and may have sent more.
        await new Promise((resolve) => setImmediate(resolve));
      } while (pending.size > 0);
    },
    release: () => release(),
    close: () => inner.close(),
  };
}
