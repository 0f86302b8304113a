import type { RedisCommand, RedisConnection, RedisReply, SendOptions } from "./connection.js";
import { commandWithin } from "./deadlines.js";

/** Options of {@link waitForReplicas}. */
export interface WaitForReplicasOptions {
  /** How many replicas must hold a write before it counts as done. Usually 1. */
  replicas: number;
  /**
   * How long Redis waits for them, in milliseconds. Keep it well under the store's
   * `commandTimeoutMs` (default 1000), or the store gives up first. @default 250
   */
  timeoutMs?: number;
  /**
   * A second connection (a second client to the same Redis or cluster) for the round trips that
   * wait, strongly advised. `WAIT` blocks its connection: while no replica is in sync (right
   * after a failover, until the old master returns as a replica) every round trip queued behind a
   * WAIT on the same connection waits its `timeoutMs` too, so reads would time out with the
   * logins. Measured by `bench/failover.ts`. Closed with the returned connection.
   * @default the same connection
   */
  waitingConnection?: RedisConnection;
}

/**
 * Commands that write nothing worth waiting for: reads, and `GETEX`, which only slides a TTL
 * (losing a slide in a failover costs nothing). Every other round trip may create, rotate or
 * revoke a session and waits.
 */
const NO_WAIT_COMMANDS = new Set(["GETEX", "GET", "EXISTS", "PTTL", "TTL"]);

/** Thrown (as the round trip's failure) when fewer replicas than asked acknowledged a write in time. */
export class ReplicaAcknowledgementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReplicaAcknowledgementError";
  }
}

/**
 * Opt-in durability: appends `WAIT <replicas> <timeoutMs>` to every round trip that writes, in
 * the same pipeline (so on the same connection, right after the writes it covers), and fails the
 * round trip when fewer replicas acknowledged. A login then succeeds only once its session is on a
 * replica, so a failover right after it cannot lose it. The cost is one replication round trip on
 * every login, rotation and revocation; authenticated reads (`GETEX`) do not wait.
 *
 * A failed WAIT cannot undo the writes: they stay on the primary and usually reach the replica
 * later. The caller sees a 503 for a login that may in fact exist, which is safe for a new login
 * (its cookie was never sent) but means a rotation that reported failure may still have replaced
 * the old session.
 *
 * Works on any connection whose round trip is one pipeline on one node: the single-Redis drivers
 * and the cluster drivers (where WAIT, having no key, goes with the round trip's keys).
 *
 * @example
 * ```ts
 * const cluster = () => new Cluster(startupNodes, recommendedIoredisClusterOptions);
 * const connection = waitForReplicas(ioredisClusterConnection(cluster()), { replicas: 1, waitingConnection: ioredisClusterConnection(cluster()) });
 * ```
 */
export function waitForReplicas(inner: RedisConnection, options: WaitForReplicasOptions): RedisConnection {
  const { replicas, waitingConnection = inner } = options;
  const timeoutMs = options.timeoutMs ?? 250;
  if (!Number.isInteger(replicas) || replicas < 1) throw new RangeError(`waitForReplicas: replicas must be a whole number ≥ 1, got ${String(replicas)}`);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new RangeError(`waitForReplicas: timeoutMs must be a whole number of milliseconds ≥ 1, got ${String(timeoutMs)}`);
  const innerSendOne = inner.sendOne?.bind(inner);
  const connection: RedisConnection = {
    get description() {
      return `${inner.description}, WAIT ${replicas} replica${replicas === 1 ? "" : "s"}`;
    },
    async send(commands: readonly RedisCommand[], sendOptions?: SendOptions): Promise<Array<RedisReply | Error>> {
      if (commands.every((command) => NO_WAIT_COMMANDS.has(command[0].toUpperCase()))) return inner.send(commands, sendOptions);
      const replies = await waitingConnection.send([...commands, ["WAIT", replicas, timeoutMs]]);
      const acknowledged = replies.pop();
      if (acknowledged instanceof Error) throw acknowledged;
      if (typeof acknowledged !== "number" || acknowledged < replicas) {
        throw new ReplicaAcknowledgementError(
          `only ${String(acknowledged)} of ${replicas} replica(s) acknowledged the write within ${timeoutMs} ms (WAIT); it is on the primary but may be lost in a failover`,
        );
      }
      return replies;
    },
    async close() {
      await Promise.all([inner.close(), waitingConnection === inner ? undefined : waitingConnection.close()]);
    },
  };
  if (innerSendOne !== undefined) {
    // The store's reads (`GETEX`) keep the inner connection's single-command path, without WAIT as in `send`.
    connection.sendOne = (command, sendOptions) => {
      if (NO_WAIT_COMMANDS.has(command[0].toUpperCase())) return innerSendOne(command, sendOptions);
      const sent = connection.send([command], sendOptions).then(([reply]) => {
        if (reply instanceof Error) throw reply;
        return reply!;
      });
      return commandWithin(sent, sendOptions.timeoutMs);
    };
  }
  return connection;
}
