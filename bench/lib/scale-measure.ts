import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { userBucket, type SessionRecord, type SessionStore } from "tessera";
import { classifyKey, createRedisStore, ioredisConnection, recommendedIoredisOptions } from "tessera/redis";
import { REALISTIC_DEVICE, scaleSessionId, scaleUsername } from "./scale-loader.js";

export async function usedMemory(client: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await client.info("memory"))?.[1]);
}

/** Where the bytes of one session go, from `MEMORY USAGE` of sampled keys. */
export interface MemoryBreakdown {
  /** `used_memory` growth ÷ sessions: everything, allocator rounding and dictionaries included. */
  usedMemoryPerSession: number;
  /** Mean `MEMORY USAGE` of a session key (name, value, its dictionary entry). */
  sessionKey: number;
  /** Mean length of a session key's name and value, in bytes. */
  keyNameBytes: number;
  valueBytes: number;
  /** Index bytes per session: exact `MEMORY USAGE … SAMPLES 0` of sampled index keys × index keys ÷ sessions. */
  indexPerSession: number;
  /** What `MEMORY USAGE` does not see: the expires entry of each TTL and the dictionaries' slot arrays. */
  unaccounted: number;
}

export async function memoryBreakdown(client: Redis, sessions: number, usedDelta: number): Promise<MemoryBreakdown> {
  const sampled = { session: [] as number[], name: [] as number[], value: [] as number[], index: [] as number[] };
  let indexKeys = 0;
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", "ts:{*", "COUNT", 1000);
    cursor = next;
    for (const key of keys) {
      const kind = classifyKey("ts:", key);
      if (kind === "userIndex" || kind === "legacyIndex") {
        indexKeys++;
        if (sampled.index.length < 200) sampled.index.push(Number(await client.call("MEMORY", "USAGE", key, "SAMPLES", "0")));
      } else if (kind === "session" && sampled.session.length < 2000) {
        sampled.session.push(Number(await client.call("MEMORY", "USAGE", key)));
        sampled.name.push(Buffer.byteLength(key));
        sampled.value.push(await client.strlen(key));
      }
    }
    // Every index key must be counted; sessions only need their sample.
  } while (cursor !== "0" && !(sampled.session.length >= 2000 && indexKeys >= 4096));
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  const indexPerSession = (mean(sampled.index) * indexKeys) / sessions;
  const usedMemoryPerSession = usedDelta / sessions;
  return {
    usedMemoryPerSession,
    sessionKey: mean(sampled.session),
    keyNameBytes: mean(sampled.name),
    valueBytes: mean(sampled.value),
    indexPerSession,
    unaccounted: usedMemoryPerSession - mean(sampled.session) - indexPerSession,
  };
}

/** Microseconds per call and calls of each command since the last `CONFIG RESETSTAT`, from Redis's own counters. */
async function commandStats(client: Redis): Promise<Map<string, { calls: number; usecPerCall: number }>> {
  const stats = new Map<string, { calls: number; usecPerCall: number }>();
  for (const match of (await client.info("commandstats")).matchAll(/cmdstat_(\w+):calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/g)) {
    stats.set(match[1]!, { calls: Number(match[2]), usecPerCall: Number(match[3]) });
  }
  return stats;
}

async function cpuSeconds(client: Redis): Promise<number> {
  const info = await client.info("cpu");
  return Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
}

/** Runs `count` calls of `operation`, `concurrency` at a time. */
async function concurrently(count: number, concurrency: number, operation: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await operation(next++);
    }),
  );
}

/** Rounds per measurement: the median round's figure is reported, so a burst of load from another process on the machine skews one round, not the result. */
const ROUNDS = 5;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * µs inside Redis per call of `command` (`usec_per_call`; for EVALSHA that includes every
 * `redis.call` the script makes): the median of {@link ROUNDS} rounds of `calls` calls.
 */
async function microsecondsPerCall(admin: Redis, command: string, calls: number, run: (index: number) => Promise<unknown>): Promise<number> {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await admin.call("CONFIG", "RESETSTAT");
    const perRound = Math.ceil(calls / ROUNDS);
    await concurrently(perRound, 8, (index) => run(round * perRound + index));
    rounds.push((await commandStats(admin)).get(command)?.usecPerCall ?? Number.NaN);
  }
  return median(rounds);
}

export interface OperationCosts {
  loginMicroseconds: number;
  listingMicroseconds: number;
  revocationMicroseconds: number;
  logoutMicroseconds: number;
  readMicroseconds: number;
  /** A read of a random bulk-loaded session: the key is cold in memory, as most are at 10 million. */
  coldReadMicroseconds: number;
  loginsPerSecond: number;
  /** Redis CPU (user + sys, networking included) per operation under concurrent load. */
  loginCpuMicroseconds: number;
  readCpuMicroseconds: number;
}

let serial = 0;
const recordOf = (userId: string, now: number): SessionRecord => ({
  userId,
  device: REALISTIC_DEVICE,
  createdAtSeconds: now,
  absoluteExpiresAtSeconds: now + 43_200,
  lastSeenAtSeconds: now,
  data: {},
});
async function newSession(store: SessionStore, userId: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const id = (await userBucket(userId)) + randomBytes(18).toString("base64url");
  await store.create(id, recordOf(userId, now), { ttlMs: 900_000, indexTtlMs: 45_000_000, maxSessionsPerUser: 100, nowSeconds: now });
  return id;
}

/**
 * Measures each operation through the real store on a Redis holding `existingUsers` users:
 * `logins` logins of new users, 1,000 listings and 1,000 revocations of existing users, 1,000
 * logouts, 20,000 reads (each in 5 rounds, median round); then login and read throughput with 32
 * concurrent callers over 4 connections.
 */
export async function measureOperations(url: string, existingUsers: number, logins: number): Promise<OperationCosts> {
  const admin = new Redis(url);
  const stores = Array.from({ length: 4 }, () =>
    createRedisStore({ connection: ioredisConnection(new Redis(url, recommendedIoredisOptions)), commandTimeoutMs: 30_000 }),
  );
  const store = stores[0]!;
  const pickExisting = () => scaleUsername(Math.floor(Math.random() * existingUsers));
  const run = `s${++serial}x${Date.now().toString(36)}`;
  try {
    await newSession(store, `${run}-warm`); // loads the script: later calls are EVALSHA
    await store.listForUser({ userId: pickExisting(), bucket: "AA" }, 0);
    await store.destroyForUser({ userId: `${run}-warm`, bucket: await userBucket(`${run}-warm`) }, {});
    await store.destroy(await newSession(store, `${run}-warm2`));
    const created: string[] = [];
    const loginMicroseconds = await microsecondsPerCall(admin, "evalsha", logins, async (i) => created.push(await newSession(store, `${run}-login-${i}`)));
    const now = Math.floor(Date.now() / 1000);
    const listingMicroseconds = await microsecondsPerCall(admin, "evalsha", 1000, async () => {
      const userId = pickExisting();
      await store.listForUser({ userId, bucket: await userBucket(userId) }, now);
    });
    const revoked = new Set<string>();
    while (revoked.size < 1000) revoked.add(pickExisting());
    const revokedUsers = [...revoked];
    const revocationMicroseconds = await microsecondsPerCall(admin, "evalsha", 1000, async (i) => {
      const userId = revokedUsers[i]!;
      await store.destroyForUser({ userId, bucket: await userBucket(userId) }, {});
    });
    const logoutMicroseconds = await microsecondsPerCall(admin, "evalsha", 1000, (i) => store.destroy(created[i]!));
    const readable = created.slice(1000);
    const readMicroseconds = await microsecondsPerCall(admin, "getex", 20_000, (i) => store.readAndExtend(readable[i % readable.length]!, 900_000));
    const coldReadMicroseconds = await microsecondsPerCall(admin, "getex", 5_000, async () =>
      store.readAndExtend(await scaleSessionId(Math.floor(Math.random() * existingUsers)), 900_000),
    );

    const throughputLogins = 20_000;
    const cpuBefore = await cpuSeconds(admin);
    const started = process.hrtime.bigint();
    await concurrently(throughputLogins, 32, (i) => newSession(stores[i % 4]!, `${run}-tp-${i}`));
    const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const loginCpuMicroseconds = (((await cpuSeconds(admin)) - cpuBefore) * 1e6) / throughputLogins;
    const readsBefore = await cpuSeconds(admin);
    await concurrently(100_000, 32, (i) => stores[i % 4]!.readAndExtend(readable[i % readable.length]!, 900_000));
    const readCpuMicroseconds = (((await cpuSeconds(admin)) - readsBefore) * 1e6) / 100_000;
    return {
      loginMicroseconds,
      listingMicroseconds,
      revocationMicroseconds,
      logoutMicroseconds,
      readMicroseconds,
      coldReadMicroseconds,
      loginsPerSecond: throughputLogins / elapsedSeconds,
      loginCpuMicroseconds,
      readCpuMicroseconds,
    };
  } finally {
    admin.disconnect();
    await Promise.all(stores.map((each) => each.close()));
  }
}
