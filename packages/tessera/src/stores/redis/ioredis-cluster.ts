import { slotOfRoundTrip } from "./cluster-slot.js";
import { isReplyError, type RedisCommand, type RedisConnection, type RedisReply } from "./connection.js";
import { commandSender, type CommandSendingClient, ioredisConnection, refuseClientKeyPrefix, type IoredisClient } from "./ioredis.js";

/**
 * The part of an ioredis `Cluster` this driver uses. Structural, so that `tessera/redis`
 * type-checks in an app that has node-redis but not ioredis installed.
 */
export interface IoredisClusterClient extends CommandSendingClient {
  /** ioredis sets it on every `Cluster`; a plain `Redis` lacks it. */
  readonly isCluster: boolean;
  readonly status: string;
  pipeline(commands: unknown[][]): { exec(): Promise<Array<[error: Error | null, reply: unknown]> | null> };
  nodes(role?: "master"): ReadonlyArray<IoredisClusterNode>;
  once(event: "ready", listener: () => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** One node's client inside an ioredis `Cluster` (a full ioredis client: `scanNodes` sends through it). */
export interface IoredisClusterNode extends Partial<Omit<IoredisClient, "options" | "status" | "once">> {
  readonly options: { readonly host?: string | undefined; readonly port?: number | undefined };
  readonly status: string;
  once(event: "ready" | "end", listener: () => void): unknown;
  connect(): Promise<unknown>;
}

/**
 * With the offline queue off, ioredis refuses a command to a node whose own connection is still
 * being made, and it makes each node's connection lazily, on the first command for that node:
 * so the app's first concurrent requests after a start would get 503s, one node at a time. Until
 * every master has been ready once, this connects them all and waits (the store's deadline bounds
 * the wait); afterwards the driver is fail-fast again, as a failover should be.
 */
function allMastersReadyOnce(cluster: IoredisClusterClient): () => Promise<void> | undefined {
  let done = false;
  let pending: Promise<void> | undefined;
  const nodeReady = (node: IoredisClusterNode) =>
    node.status === "ready"
      ? undefined
      : new Promise<void>((resolve, reject) => {
          node.once("ready", resolve);
          node.once("end", () => reject(new Error(`the connection to ${node.options.host}:${node.options.port} closed before it was ready`)));
          if (node.status === "wait") node.connect().catch(() => undefined);
        });
  const clusterReady = () => (cluster.status === "ready" ? undefined : new Promise<void>((resolve) => cluster.once("ready", resolve)));
  return () => {
    if (done) return undefined;
    pending ??= (async () => {
      await clusterReady();
      await Promise.all(cluster.nodes("master").map(nodeReady));
      done = true;
    })().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}

/**
 * ioredis `Cluster` options that keep a session store fail-fast, for
 * `new Cluster(startupNodes, recommendedIoredisClusterOptions)`:
 *
 * - `enableOfflineQueue: false`: while the cluster is not ready a command fails at once instead
 *   of waiting in a queue past the store's deadline (and then running late: a rotation that ran
 *   after its caller got a 503 would log the user out).
 * - `retryDelayOnFailover: 0`, `retryDelayOnClusterDown: 0`: a command whose node just died, or
 *   that met `CLUSTERDOWN`, fails at once (a 503 with Retry-After) instead of being retried on a
 *   timer for up to `maxRedirections` × the delay, beyond the store's deadline.
 * - `MOVED`/`ASK` redirects stay on (`maxRedirections` 16, no delay): they are answers, not
 *   failures — the command did not run, so ioredis resends it to the right node at once and
 *   refreshes its slot map. That is how the client learns a failover's new master without a restart.
 * - `slotsRefreshInterval: 1000`: also re-reads the slot map every second (one `CLUSTER SLOTS`),
 *   so a promoted replica is found even by an instance that got no redirect.
 * - per node, a 1 s connect timeout, and no `commandTimeout` (the store keeps its own deadline).
 */
export const recommendedIoredisClusterOptions = {
  enableOfflineQueue: false,
  enableReadyCheck: true,
  retryDelayOnFailover: 0,
  retryDelayOnClusterDown: 0,
  retryDelayOnMoved: 0,
  maxRedirections: 16,
  slotsRefreshInterval: 1000,
  slotsRefreshTimeout: 1000,
  clusterRetryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 1000),
  redisOptions: { connectTimeout: 1000, maxRetriesPerRequest: 1 },
};

/**
 * Wraps an ioredis `Cluster` (`new Cluster([{ host, port }, …], recommendedIoredisClusterOptions)`).
 * Every round trip of the store touches one hash slot (its keys share a `{hash tag}`); this driver
 * checks that before sending and rejects a round trip that spans slots with
 * `CrossSlotRoundTripError`, so a bug shows up as an error, never as half a round trip on each node.
 *
 * @param cluster a connected or connecting ioredis `Cluster` (for a single Redis use `ioredisConnection`).
 * @param options.ownsClient `close()` quits the cluster client too. @default true
 * @example
 * ```ts
 * import { Cluster } from "ioredis";
 * import { createRedisStore, ioredisClusterConnection, recommendedIoredisClusterOptions } from "tessera/redis";
 *
 * const cluster = new Cluster([{ host: "10.0.0.1", port: 6379 }], recommendedIoredisClusterOptions);
 * const store = createRedisStore({ connection: ioredisClusterConnection(cluster) });
 * ```
 */
export function ioredisClusterConnection(cluster: IoredisClusterClient, options: { ownsClient?: boolean } = {}): RedisConnection {
  if (cluster?.isCluster !== true) {
    throw new TypeError(
      "ioredisClusterConnection needs an ioredis Cluster (new Cluster([...startup nodes])); for a single Redis use ioredisConnection(new Redis(url))",
    );
  }
  refuseClientKeyPrefix("the ioredis Cluster client", cluster.options?.keyPrefix);
  const ownsClient = options.ownsClient ?? true;
  const firstReady = allMastersReadyOnce(cluster);
  // A command built by the driver is routed by the keys in its arguments, as one sent through `call`.
  const sendOne = commandSender(cluster);
  return {
    get description() {
      const masters = cluster.nodes("master").map(({ options: node }) => `${node.host ?? "?"}:${node.port ?? "?"}`);
      return `ioredis cluster ${masters.length > 0 ? masters.join(",") : "(no master reachable)"}`;
    },
    async send(commands: readonly RedisCommand[]) {
      slotOfRoundTrip(commands);
      const waiting = firstReady();
      if (waiting !== undefined) await waiting;
      // With the offline queue off ioredis would fail such a command anyway; a pipeline, though,
      // waits for "ready" whatever the options say, and could then run after the store gave up.
      if (cluster.status !== "ready") throw new Error(`the Redis Cluster client is ${cluster.status}, not ready`);
      if (commands.length === 1) {
        try {
          return [(await sendOne(commands[0]!)) as RedisReply];
        } catch (error) {
          if (isReplyError(error)) return [error];
          throw error;
        }
      }
      const results = await cluster.pipeline(commands.map((command) => ["call", ...command])).exec();
      if (results === null) throw new Error("ioredis cluster pipeline returned no results");
      return results.map(([error, reply]) => (error ? error : (reply as RedisReply)));
    },
    async scanNodes() {
      const waiting = firstReady();
      if (waiting !== undefined) await waiting;
      return cluster.nodes("master").map((node) => ioredisConnection(node as unknown as IoredisClient, { ownsClient: false }));
    },
    async close() {
      if (!ownsClient || cluster.status === "end") return;
      try {
        await cluster.quit();
      } catch {
        cluster.disconnect();
      }
    },
  };
}
