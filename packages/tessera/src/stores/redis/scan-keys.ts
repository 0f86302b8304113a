import { ConfigError } from "../../core/errors.js";
import type { RedisCommand, RedisConnection, RedisReply } from "./connection.js";
import { DEFAULT_KEY_PREFIX } from "./layout.js";

/** Where a scan over every node stands: which node (by position in `scanNodes()`), and its SCAN cursor. */
export interface ScanPosition {
  node: number;
  cursor: string;
}

/** Options shared by the admin functions that walk the keyspace. */
export interface KeyspaceScanOptions {
  /** Any Redis connection: single, cluster (every master is scanned, via `scanNodes`) or Upstash. */
  connection: RedisConnection;
  /** The store's key prefix. @default "ts:" */
  keyPrefix?: string;
  /**
   * `SCAN … COUNT` per round trip: the work Redis does per call is about this many keys, so each
   * call stays short however large the keyspace. @default 1000
   */
  scanCount?: number;
}

/** Checks the prefix as the store does: a glob character would make `SCAN MATCH` match other keys. */
export function checkedKeyPrefix(keyPrefix: string | undefined): string {
  const prefix = keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (/[*?[\]\\{}]/.test(prefix)) throw new ConfigError(`keyPrefix ${JSON.stringify(prefix)} must not contain glob characters or braces (* ? [ ] \\ { })`);
  return prefix;
}

export function checkedScanCount(scanCount: number | undefined, fallback: number): number {
  const count = scanCount ?? fallback;
  if (!Number.isSafeInteger(count) || count < 1 || count > 100_000)
    throw new ConfigError(`scanCount must be a whole number from 1 to 100000, got ${String(count)}`);
  return count;
}

/** Sends one round trip and throws the first command error (admin calls have no partial success to report). */
export async function sendOrThrow(connection: RedisConnection, commands: readonly RedisCommand[]): Promise<RedisReply[]> {
  const replies = await connection.send(commands);
  const failed = replies.findIndex((reply) => reply instanceof Error);
  if (failed !== -1) throw new Error(`Redis rejected ${commands[failed]![0]}: ${(replies[failed] as Error).message}`);
  return replies as RedisReply[];
}

/**
 * Calls `onBatch` with each page of `SCAN cursor MATCH pattern COUNT count`, on every master
 * (`connection.scanNodes()`, or the connection itself), starting at `from` so that an
 * interrupted walk can resume. `onBatch` gets the node's own connection (for per-key commands on
 * the keys it found) and the position after the page.
 */
export async function scanEveryNode(
  connection: RedisConnection,
  pattern: string,
  count: number,
  onBatch: (keys: string[], node: RedisConnection, next: ScanPosition) => Promise<void>,
  from: ScanPosition = { node: 0, cursor: "0" },
): Promise<number> {
  const nodes = connection.scanNodes ? await connection.scanNodes() : [connection];
  for (let node = from.node; node < nodes.length; node++) {
    let cursor = node === from.node ? from.cursor : "0";
    do {
      const [reply] = await sendOrThrow(nodes[node]!, [["SCAN", cursor, "MATCH", pattern, "COUNT", count]]);
      const [next, keys] = reply as [string, string[]];
      cursor = String(next);
      await onBatch(keys, nodes[node]!, cursor === "0" ? { node: node + 1, cursor: "0" } : { node, cursor });
    } while (cursor !== "0");
  }
  return nodes.length;
}
