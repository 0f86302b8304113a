import { slotOfRoundTrip } from "./cluster-slot.js";
import type { RedisCommand, RedisConnection, RedisReply } from "./connection.js";
import { nodeRedisConnection, recommendedNodeRedisOptions, type NodeRedisClient } from "./node-redis.js";

/**
 * The part of a node-redis (v5+) cluster client (`createCluster`) this driver uses. Structural,
 * so that `tessera/redis` type-checks in an app that has ioredis but not node-redis installed.
 */
export interface NodeRedisClusterClient {
  readonly isOpen: boolean;
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  multi(routing?: string): NodeRedisClusterPipeline;
  readonly masters: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** The client of one node (node-redis v5+); `scanNodes` sends through it. */
  nodeClient?(node: never): Promise<unknown> | unknown;
  close(): Promise<unknown>;
}

/** The pipeline of a {@link NodeRedisClusterClient}. */
export interface NodeRedisClusterPipeline {
  addCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): unknown;
  execAsPipeline(): Promise<unknown>;
}

/**
 * node-redis `createCluster` options that keep a session store fail-fast:
 * `createCluster({ rootNodes: [{ url }], ...recommendedNodeRedisClusterOptions })`.
 *
 * - every node connection as {@link recommendedNodeRedisOptions}: no offline queue, 1 s connect
 *   timeout, reconnection with backoff capped at 1 s;
 * - `topologyRefreshOnReconnectionAttemptStrategy: 200`: when a node drops (a master died), re-read
 *   the topology 200 ms after the first reconnection attempt instead of the default 5 s, so the
 *   promoted replica is found soon after the failover;
 * - `MOVED`/`ASK` redirects are followed (up to 16): the command did not run, so it is resent.
 */
export const recommendedNodeRedisClusterOptions = {
  defaults: recommendedNodeRedisOptions,
  maxCommandRedirections: 16,
  topologyRefreshOnReconnectionAttemptStrategy: 200,
};

/**
 * Wraps a node-redis cluster client (`createCluster`, the `redis` package v5 or later); connect it
 * first (`await cluster.connect()`). Every round trip of the store touches one hash slot; this
 * driver checks that and rejects a round trip that spans slots with `CrossSlotRoundTripError`.
 *
 * node-redis follows `MOVED` for single commands but not inside a pipeline. When every command of
 * a pipeline comes back `MOVED` (none ran: the slot has a new master, e.g. after a failover), this
 * driver lets node-redis learn the new owner through one harmless routed `EXISTS` and sends the
 * pipeline once more.
 *
 * @param options.ownsClient `close()` closes the cluster client too. @default true
 * @example
 * ```ts
 * import { createCluster } from "redis";
 * import { createRedisStore, nodeRedisClusterConnection, recommendedNodeRedisClusterOptions } from "tessera/redis";
 *
 * const cluster = createCluster({ rootNodes: [{ url: "redis://10.0.0.1:6379" }], ...recommendedNodeRedisClusterOptions });
 * await cluster.connect();
 * const store = createRedisStore({ connection: nodeRedisClusterConnection(cluster) });
 * ```
 */
export function nodeRedisClusterConnection(cluster: NodeRedisClusterClient, options: { ownsClient?: boolean } = {}): RedisConnection {
  const ownsClient = options.ownsClient ?? true;
  const stringify = (command: RedisCommand) => command.map(String);

  async function pipeline(routingKey: string | undefined, commands: readonly RedisCommand[]): Promise<Array<RedisReply | Error>> {
    const multi = cluster.multi(routingKey);
    for (const command of commands) multi.addCommand(routingKey, false, stringify(command));
    try {
      return (await multi.execAsPipeline()) as Array<RedisReply | Error>;
    } catch (error) {
      // node-redis rejects the whole pipeline when one command failed, with each reply attached.
      const replies = (error as { replies?: unknown[] })?.replies;
      if (Array.isArray(replies)) return replies as Array<RedisReply | Error>;
      throw error;
    }
  }

  return {
    get description() {
      const masters = cluster.masters.map((master) => `${master.host}:${master.port}`);
      return `node-redis cluster ${masters.length > 0 ? masters.join(",") : "(no master known)"}`;
    },
    async send(commands) {
      const routingKey = slotOfRoundTrip(commands)?.routingKey;
      if (commands.length === 1) {
        try {
          return [(await cluster.sendCommand(routingKey, false, stringify(commands[0]!))) as RedisReply];
        } catch (error) {
          if (isReplyError(error)) return [error];
          throw error;
        }
      }
      const first = await pipeline(routingKey, commands).catch((error: unknown) => error);
      // MOVED, whether node-redis rejected the pipeline with it or returned it per command, means nothing ran.
      const moved = isMoved(first) || (Array.isArray(first) && first.every(isMoved));
      if (!moved || routingKey === undefined) {
        if (Array.isArray(first)) return first;
        throw first;
      }
      await cluster.sendCommand(routingKey, true, ["EXISTS", routingKey]);
      return pipeline(routingKey, commands);
    },
    async scanNodes() {
      const nodeClient = cluster.nodeClient?.bind(cluster) as ((node: unknown) => Promise<unknown> | unknown) | undefined;
      if (!nodeClient) throw new Error("this node-redis cluster client has no nodeClient(): scanning every node needs node-redis v5 or later");
      return Promise.all(cluster.masters.map(async (master) => nodeRedisConnection((await nodeClient(master)) as NodeRedisClient, { ownsClient: false })));
    },
    async close() {
      if (ownsClient && cluster.isOpen) await cluster.close();
    },
  };
}

const isMoved = (reply: unknown) => reply instanceof Error && reply.message.startsWith("MOVED ");

/**
 * node-redis answers a command error with a subclass of its `ErrorReply` (whose `name` is just
 * "Error"); matched by class name so that `redis` is not imported at runtime.
 */
function isReplyError(error: unknown): error is Error {
  for (let proto = error instanceof Error ? Object.getPrototypeOf(error) : null; proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    if (proto.constructor?.name === "ErrorReply") return true;
  }
  return false;
}
