import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { encodeIndexEntry, encodeSessionRecord, userBucket, type DeviceInfo, type SessionRecord } from "tessera";
import { digestOf, encodeUserIndexValue, keyLayout } from "tessera/redis";

/** Which layout a bulk load writes: tessera's current one (v3) or layout v2, for comparison. */
export type LayoutVersion = "v3" | "v2";

/** Usernames as long as the seed's "abdullah" (8 characters), as in the memory benchmark. */
export const scaleUsername = (i: number) => `u${String(i).padStart(7, "0")}`;
/** What a browser login through the reference server stores: a short user-agent label and an IPv4 address. */
export const REALISTIC_DEVICE: DeviceInfo = { userAgent: "Firefox 132 on Linux", ip: "203.0.113.45" };
export const EMPTY_DEVICE: DeviceInfo = { userAgent: "", ip: "" };

const IDLE_MS = 900_000;
const ABSOLUTE_SECONDS = 43_200;
/**
 * The session id of bulk-loaded user `i`: the user's bucket, then a digest derived from `i`, so a
 * measurement can read random existing sessions (cold in memory) without listing them first.
 */
export async function scaleSessionId(i: number, bucket?: string): Promise<string> {
  return (bucket ?? (await userBucket(scaleUsername(i)))) + createHash("sha256").update(`scale-${i}`).digest().subarray(0, 18).toString("base64url");
}

/** Sessions per pipelined round trip: bounded, so neither Node nor Redis buffers more than a few MB. */
const BATCH = 5_000;

/**
 * Writes users `from`…`to - 1` (one session each) in the real layout, through the store's own
 * encoders (`encodeSessionRecord`, `keyLayout`, `encodeUserIndexValue`; v2: `encodeIndexEntry`),
 * exactly the keys and values a login would leave, but pipelined plain `SET`/`HSET` instead of a
 * script per login, so 10 million load in minutes. Each bucket index gets its TTL once at the end.
 */
export async function bulkLoad(
  client: Redis,
  range: { from: number; to: number },
  options: { layout: LayoutVersion; device: DeviceInfo; progress: (done: number) => void },
): Promise<void> {
  const layout = keyLayout("ts:");
  const now = Math.floor(Date.now() / 1000);
  const buckets = new Set<string>();
  for (let start = range.from; start < range.to; start += BATCH) {
    const end = Math.min(start + BATCH, range.to);
    const pipeline = client.pipeline();
    const users = Array.from({ length: end - start }, (_, offset) => scaleUsername(start + offset));
    const userBuckets = await Promise.all(users.map((userId) => userBucket(userId)));
    const sessionIds = await Promise.all(users.map((_, offset) => scaleSessionId(start + offset, userBuckets[offset])));
    users.forEach((userId, offset) => {
      const bucket = userBuckets[offset]!;
      const sessionId = sessionIds[offset]!;
      const record: SessionRecord = {
        userId,
        device: options.device,
        createdAtSeconds: now,
        absoluteExpiresAtSeconds: now + ABSOLUTE_SECONDS,
        lastSeenAtSeconds: now,
        data: {},
      };
      pipeline.set(layout.sessionKey(sessionId), encodeSessionRecord(record), "PX", IDLE_MS);
      if (options.layout === "v3") pipeline.hset(layout.userIndexKey(bucket), userId, encodeUserIndexValue([sessionId]));
      else pipeline.hset(layout.legacyIndexKey(bucket), digestOf(sessionId), encodeIndexEntry(record));
      buckets.add(bucket);
    });
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
    options.progress(end);
  }
  const expiry = client.pipeline();
  for (const bucket of buckets) {
    const key = options.layout === "v3" ? layout.userIndexKey(bucket) : layout.legacyIndexKey(bucket);
    expiry.pexpire(key, (ABSOLUTE_SECONDS + IDLE_MS / 1000) * 1000);
  }
  await expiry.exec();
}
