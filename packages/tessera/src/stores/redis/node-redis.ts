import type { RedisCommand, RedisConnection, RedisReply } from "./connection.js";
import { firstReadyGate, type ReadyEmitter } from "./first-ready.js";

/**
 * The part of a node-redis client (the `redis` package, v5 or v6, RESP2 or RESP3) this driver
 * uses. Structural, so `tessera/redis`'s types load without `redis` installed, and clients with
 * any modules, scripts or protocol version fit.
 */
export interface NodeRedisClient extends ReadyEmitter {
  // biome-ignore lint/suspicious/noExplicitAny: node-redis types its arguments per generic flavour
  sendCommand(args: any): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  multi(): { addCommand(args: any): unknown; execAsPipeline(): Promise<unknown> };
  readonly isOpen: boolean;
  readonly isReady: boolean;
  close(): Promise<unknown>;
  readonly options?: { url?: string | undefined; socket?: unknown } | undefined;
  on(event: "error", listener: (error: unknown) => void): unknown;
  listenerCount(event: "error"): number;
}

/**
 * node-redis options that keep a session store fail-fast: no offline queue (commands fail at once
 * while Redis is away instead of piling up) and reconnection with backoff capped at 1 s.
 */
export const recommendedNodeRedisOptions = {
  disableOfflineQueue: true,
  socket: {
    connectTimeout: 1000,
    reconnectStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 1000),
  },
};

const NOT_OPEN =
  "the node-redis client is not open: call client.connect() once at startup (it need not be awaited before the store is created), and do not close the client while the store is in use";

/**
 * Wraps a node-redis client (the `redis` package, v5 or later). The client must be connected
 * (`await client.connect()`); it must not be in RESP3 mode with type mapping that returns Buffers.
 *
 * @param options.ownsClient `close()` closes the client too. @default true
 */
export function nodeRedisConnection(client: NodeRedisClient, options: { ownsClient?: boolean } = {}): RedisConnection {
  const ownsClient = options.ownsClient ?? true;
  const url = client.options?.url;
  const socket = client.options?.socket as { host?: string; port?: number } | undefined;
  const where = url ? new URL(url).host : `${socket?.host ?? "localhost"}:${socket?.port ?? 6379}`;
  const stringify = (command: RedisCommand) => command.map(String);
  const firstReady = firstReadyGate(client, () => client.isReady);
  // node-redis emits `error` on every lost connection, and an `error` event nobody listens to
  // kills the process. The store already reports each failed call (as a 503), so when the app
  // has not subscribed, the driver does, rather than let a Redis restart crash the app.
  if (client.listenerCount("error") === 0) client.on("error", () => {});
  return {
    description: `node-redis ${where}`,
    async send(commands) {
      // Never connected (or closed): node-redis would hold the command until the store's deadline,
      // and the app would see only STORE_TIMEOUT with Redis up and well.
      if (!client.isOpen) throw new Error(NOT_OPEN);
      const waiting = firstReady();
      if (waiting !== undefined) await waiting;
      if (commands.length === 1) {
        try {
          return [(await client.sendCommand(stringify(commands[0]!))) as RedisReply];
        } catch (error) {
          if (isReplyError(error)) return [error];
          throw error;
        }
      }
      const multi = client.multi();
      for (const command of commands) multi.addCommand(stringify(command));
      try {
        return (await multi.execAsPipeline()) as unknown as Array<RedisReply | Error>;
      } catch (error) {
        // node-redis rejects the whole pipeline when one command failed, with each reply attached.
        const replies = (error as { replies?: unknown[] })?.replies;
        if (Array.isArray(replies)) return replies as Array<RedisReply | Error>;
        throw error;
      }
    },
    async close() {
      if (ownsClient && client.isOpen) await client.close();
    },
  };
}

/**
 * node-redis answers a command error with a subclass of its `ErrorReply` (whose `name` is just
 * "Error"). Matching on the class name up the prototype chain avoids importing `redis` at runtime,
 * so `tessera/redis` loads without node-redis installed.
 */
function isReplyError(error: unknown): error is Error {
  for (let proto = error instanceof Error ? Object.getPrototypeOf(error) : null; proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    if (proto.constructor?.name === "ErrorReply") return true;
  }
  return false;
}
