import type { RedisCommand, RedisConnection } from "./connection.js";
import { classifyKey } from "./layout.js";
import { checkedKeyPrefix, checkedScanCount, scanEveryNode, sendOrThrow, type KeyspaceScanOptions, type ScanPosition } from "./scan-keys.js";

/** Options of {@link scanLayout}. */
export interface ScanLayoutOptions extends KeyspaceScanOptions {
  /** How many session keys (and a quarter as many index keys) get a `MEMORY USAGE`. @default 200 */
  memorySamples?: number;
  /** Called after each `SCAN` page with the running totals. */
  onProgress?: (progress: { keysScanned: number; position: ScanPosition }) => void;
}

/** What {@link scanLayout} found under the key prefix. */
export interface LayoutScanReport {
  /** Session keys (`<prefix>{<bucket>}<digest>`). */
  sessions: number;
  /** Users in the v3 indexes: fields of the `<prefix>{<bucket>}:u` hashes. */
  users: number;
  /**
   * Estimated Redis memory per session, index included, in bytes: the mean `MEMORY USAGE` of the
   * sampled session keys, plus the sampled index keys' mean `MEMORY USAGE` × index keys ÷
   * sessions. `MEMORY USAGE` counts a key's own allocations (name, value, one dictionary entry);
   * it leaves out the TTL's entry in the expires dictionary and the dictionaries' slot arrays, so
   * `INFO memory` shows 40–50 bytes more per session. `null` when nothing was sampled, or the
   * server refused `MEMORY USAGE`.
   */
  bytesPerSessionEstimate: number | null;
  /** Keys of the layout without a TTL (each should have one; a leak if not). */
  keysWithoutTtl: number;
  /** Keys under `<prefix>{` that are none of the layout's shapes. */
  unknownKeys: number;
  /** Layout v2 indexes (`<prefix>{<bucket>}:i`) not yet migrated: `migrateLayout` converts them. */
  v2IndexesLeft: number;
  /** Sessions listed in those v2 indexes. */
  sessionsInV2Indexes: number;
  /** Nodes scanned (each master of a cluster). */
  nodes: number;
}

/**
 * Counts what the store keeps, by walking every node with `SCAN` (bounded pages of `scanCount`
 * keys; one pipelined `PTTL`/`HLEN` round trip per page). For the admin CLI; safe on a live
 * Redis, but it reads every key once, so run it off-peak on a large keyspace.
 *
 * @example
 * ```ts
 * const report = await scanLayout({ connection: ioredisConnection(redis), onProgress: ({ keysScanned }) => console.log(keysScanned) });
 * if (report.v2IndexesLeft > 0) await migrateLayout({ connection });
 * ```
 */
export async function scanLayout(options: ScanLayoutOptions): Promise<LayoutScanReport> {
  const keyPrefix = checkedKeyPrefix(options.keyPrefix);
  const scanCount = checkedScanCount(options.scanCount, 1000);
  const memorySamples = options.memorySamples ?? 200;
  const report: LayoutScanReport = {
    sessions: 0,
    users: 0,
    bytesPerSessionEstimate: null,
    keysWithoutTtl: 0,
    unknownKeys: 0,
    v2IndexesLeft: 0,
    sessionsInV2Indexes: 0,
    nodes: 0,
  };
  const sampled = { session: [] as number[], index: [] as number[], indexKeys: 0, memoryRefused: false };
  let keysScanned = 0;

  async function memoryUsage(node: RedisConnection, key: string): Promise<number | undefined> {
    if (sampled.memoryRefused) return undefined;
    const [reply] = await node.send([["MEMORY", "USAGE", key]]);
    if (typeof reply === "number") return reply;
    if (reply instanceof Error) sampled.memoryRefused = true;
    return undefined;
  }

  report.nodes = await scanEveryNode(options.connection, `${keyPrefix}{*`, scanCount, async (keys, node, position) => {
    keysScanned += keys.length;
    const kinds = keys.map((key) => classifyKey(keyPrefix, key));
    const commands: RedisCommand[] = [];
    keys.forEach((key, index) => {
      commands.push(["PTTL", key]);
      if (kinds[index] === "userIndex" || kinds[index] === "legacyIndex") commands.push(["HLEN", key]);
    });
    const replies = keys.length > 0 ? await sendOrThrow(node, commands) : [];
    let reply = 0;
    for (const kind of kinds) {
      const ttl = replies[reply++];
      const fields = kind === "userIndex" || kind === "legacyIndex" ? Number(replies[reply++]) : 0;
      if (ttl === -2) continue; // gone between SCAN and PTTL
      if (kind === undefined) {
        report.unknownKeys++;
        continue;
      }
      // A minute's trace of a rotation (see RESTORE_SCRIPT): neither a session nor an index.
      if (kind === "undoMarker") continue;
      if (ttl === -1) report.keysWithoutTtl++;
      if (kind === "session") report.sessions++;
      else if (kind === "userIndex") report.users += fields;
      else {
        report.v2IndexesLeft++;
        report.sessionsInV2Indexes += fields;
      }
      if (kind === "userIndex") sampled.indexKeys++;
    }
    // One session and one index key per page, until enough: pages come in hash order, so spread out.
    const session = keys.find((_, index) => kinds[index] === "session");
    const index = keys.find((_, position) => kinds[position] === "userIndex");
    if (session !== undefined && sampled.session.length < memorySamples) {
      const bytes = await memoryUsage(node, session);
      if (bytes !== undefined) sampled.session.push(bytes);
    }
    if (index !== undefined && sampled.index.length < Math.max(1, memorySamples / 4)) {
      const bytes = await memoryUsage(node, index);
      if (bytes !== undefined) sampled.index.push(bytes);
    }
    options.onProgress?.({ keysScanned, position });
  });

  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  if (report.sessions > 0 && sampled.session.length > 0 && !sampled.memoryRefused) {
    const indexBytes = sampled.index.length > 0 ? (mean(sampled.index) * sampled.indexKeys) / report.sessions : 0;
    report.bytesPerSessionEstimate = Math.round(mean(sampled.session) + indexBytes);
  }
  return report;
}
