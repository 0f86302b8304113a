import { ConfigError } from "../../core/errors.js";
import { BUCKET_LENGTH } from "../../core/store.js";
import type { RedisReply } from "./connection.js";
import { MIGRATE_CHUNK_SCRIPT } from "./index-scripts.js";
import { keyLayout, LEGACY_INDEX_SUFFIX } from "./layout.js";
import { createScriptCache, sendWithScripts } from "./script-cache.js";
import { checkedKeyPrefix, checkedScanCount, scanEveryNode, type KeyspaceScanOptions, type ScanPosition } from "./scan-keys.js";

/** Options of {@link migrateLayout}. */
export interface MigrateLayoutOptions extends KeyspaceScanOptions {
  /**
   * v2 index entries converted per script call (an `HSCAN … COUNT`): each call holds Redis for
   * about this many entries' work, however large a bucket has grown. @default 200
   */
  chunkSize?: number;
  /**
   * Where to resume after an interruption: the `position` of the last progress report. Starting
   * over from the beginning is safe too, only slower: converted indexes are gone, so the scan no
   * longer finds them.
   */
  resumeFrom?: ScanPosition;
  /** Called after each converted v2 index, and after each `SCAN` page, with the running totals. */
  onProgress?: (progress: MigrationProgress) => void;
}

/** Running totals of {@link migrateLayout}. */
export interface MigrationProgress {
  /** v2 indexes converted and deleted so far. */
  v2IndexesMigrated: number;
  /** v2 index entries read. */
  entriesRead: number;
  /** Live sessions moved into the v3 index (entries of sessions that had ended are dropped). */
  sessionsAdopted: number;
  /** Pass as `resumeFrom` to continue from here. */
  position: ScanPosition;
}

/** Chunks per v2 index before giving up: only a v2 writer racing forever could need more. */
const MAX_CHUNKS_PER_INDEX = 100_000;

/**
 * Converts layout v2's per-bucket indexes (`<prefix>{<bucket>}:i`, one field per session) into
 * layout v3's per-user fields (`<prefix>{<bucket>}:u`), online. Sessions themselves are not
 * touched: a v2 session key is a v3 session key, so nobody is logged out.
 *
 * Safe while the app serves traffic: each chunk is one atomic script on one bucket, and the v3
 * store adopts whatever a v2 index still holds before it lists, revokes or logs in within that
 * bucket, so no operation ever misses a session, whether the migration has reached its bucket or
 * not. Bounded: `SCAN … COUNT scanCount` per page, `chunkSize` entries per script.
 * Resumable: see `resumeFrom`.
 *
 * @example
 * ```ts
 * import { migrateLayout } from "tessera/redis";
 * const done = await migrateLayout({ connection, onProgress: (p) => console.log(p.v2IndexesMigrated, p.position) });
 * ```
 */
export async function migrateLayout(options: MigrateLayoutOptions): Promise<MigrationProgress> {
  const keyPrefix = checkedKeyPrefix(options.keyPrefix);
  const scanCount = checkedScanCount(options.scanCount, 1000);
  const chunkSize = options.chunkSize ?? 200;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > 10_000)
    throw new ConfigError(`chunkSize must be a whole number from 1 to 10000, got ${String(chunkSize)}`);
  const { connection } = options;
  const layout = keyLayout(keyPrefix);
  const scripts = createScriptCache();
  const progress: MigrationProgress = { v2IndexesMigrated: 0, entriesRead: 0, sessionsAdopted: 0, position: options.resumeFrom ?? { node: 0, cursor: "0" } };

  async function migrateChunk(bucket: string, cursor: string): Promise<[next: string, read: number, adopted: number]> {
    const command = [
      "EVAL",
      MIGRATE_CHUNK_SCRIPT,
      2,
      layout.legacyIndexKey(bucket),
      layout.userIndexKey(bucket),
      layout.bucketPrefix(bucket),
      cursor,
      chunkSize,
    ] as const;
    const [reply] = await sendWithScripts(connection, scripts, [command]);
    if (reply instanceof Error) throw new Error(`migrating ${layout.legacyIndexKey(bucket)} failed: ${reply.message}`);
    const [next, read, adopted] = reply as [RedisReply, number, number];
    return [String(next), Number(read), Number(adopted)];
  }

  async function migrateIndex(bucket: string): Promise<void> {
    let cursor = "0";
    for (let chunk = 0; chunk < MAX_CHUNKS_PER_INDEX; chunk++) {
      const [next, read, adopted] = await migrateChunk(bucket, cursor);
      progress.entriesRead += read;
      progress.sessionsAdopted += adopted;
      // A finished HSCAN pass that read nothing means the index is gone (deleted with its last
      // field); one that read something goes round again, for entries a v2 writer added meanwhile.
      if (next === "0" && read === 0) return;
      cursor = next;
    }
    throw new Error(`${layout.legacyIndexKey(bucket)} still has entries after ${MAX_CHUNKS_PER_INDEX} chunks: is an app still running layout v2 against it?`);
  }

  const start = progress.position;
  await scanEveryNode(
    connection,
    `${keyPrefix}{*}${LEGACY_INDEX_SUFFIX}`,
    scanCount,
    async (keys, _node, position) => {
      for (const key of keys) {
        const bucket = key.slice(keyPrefix.length + 1, keyPrefix.length + 1 + BUCKET_LENGTH);
        if (key !== layout.legacyIndexKey(bucket)) continue; // not one of ours (a longer tag)
        await migrateIndex(bucket);
        progress.v2IndexesMigrated++;
        options.onProgress?.({ ...progress });
      }
      progress.position = position;
      options.onProgress?.({ ...progress });
    },
    start,
  );
  return progress;
}
