/**
 * The scale benchmark (`npm run bench:scale`, options `--sizes 100000,1000000,10000000`): fills one
 * Redis with N sessions through a bulk loader that writes the real layout, and measures at each
 * size what every operation costs inside Redis, login throughput and bytes per session; layout v2
 * side by side at 100,000 and 1,000,000. Appends the "## Scale" section to bench/RESULTS.md and
 * writes bench/scale.svg.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { Redis } from "ioredis";
import { v2CreateCommand } from "../test/support/layout-v2.js";
import { startRedisServer, type RedisServer } from "../test/support/redis-server.js";
import { bulkLoad, REALISTIC_DEVICE, scaleUsername, type LayoutVersion } from "./lib/scale-loader.js";
import { measureOperations, memoryBreakdown, usedMemory, type MemoryBreakdown } from "./lib/scale-measure.js";
import { scaleMarkdown, scaleSvg, type LegacyRow, type ScaleRow } from "./lib/scale-report.js";

const sizesArgument = process.argv.indexOf("--sizes");
const sizes = (sizesArgument === -1 ? "100000,1000000,10000000" : process.argv[sizesArgument + 1]!).split(",").map(Number);
if (sizes.some((size, index) => !Number.isSafeInteger(size) || size < 10_000 || size > 20_000_000 || (index > 0 && size <= sizes[index - 1]!))) {
  throw new Error(`--sizes must be increasing whole numbers from 10000 to 20000000, got ${sizes.join(",")}`);
}
const log = (message: string) => process.stdout.write(`[scale ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const progressEvery = (total: number, label: string) => {
  let next = 0;
  return (done: number) => {
    if (done >= next) {
      log(`${label}: ${done.toLocaleString("en-US")} / ${total.toLocaleString("en-US")}`);
      next += Math.max(100_000, Math.ceil(total / 10));
    }
  };
};

/** A private redis-server, capped so a mistake cannot take the machine's memory. */
async function cappedRedis(maxMemoryBytes: number): Promise<{ server: RedisServer; client: Redis }> {
  const server = await startRedisServer({ debugCommand: true });
  const client = new Redis(server.url);
  await client.call("CONFIG", "SET", "maxmemory", String(maxMemoryBytes));
  await client.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
  return { server, client };
}

async function measuredLoad(client: Redis, layout: LayoutVersion, from: number, to: number, base: number): Promise<MemoryBreakdown> {
  await bulkLoad(client, { from, to }, { layout, device: REALISTIC_DEVICE, progress: progressEvery(to, `${layout} bulk load`) });
  await rehashSettled(client);
  const sessions = (await client.dbsize()) - (await indexKeyCount(client));
  return memoryBreakdown(client, sessions, (await usedMemory(client)) - base);
}

/**
 * Waits until Redis has finished rehashing its keyspace. A dictionary that outgrows its table
 * (at 2^n keys) moves to one twice the size step by step: every lookup meanwhile does a step of
 * that work and reads the old, cold table too — about 2 µs more per key a command touches, for a
 * minute or so after a bulk load of millions. A Redis that grew to N sessions over days is past
 * that; measuring inside the transient would charge it to the layout.
 */
async function rehashSettled(client: Redis): Promise<void> {
  const started = Date.now();
  for (;;) {
    const stats = String(await client.call("DEBUG", "HTSTATS", "0"));
    if (!stats.includes("rehashing target")) return;
    if (Date.now() - started > 600_000) throw new Error("Redis was still rehashing its keyspace after 10 minutes");
    log(`waiting for Redis to finish rehashing its keyspace (${Math.round((Date.now() - started) / 1000)} s)`);
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

async function indexKeyCount(client: Redis): Promise<number> {
  let count = 0;
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", "ts:{*}:[iu]", "COUNT", 10_000);
    cursor = next;
    count += keys.length;
  } while (cursor !== "0");
  return count;
}

/** v2's login script, µs inside Redis: median of 5 rounds (as for v3), each call an EVAL of v2's script as v2 sent it. */
async function legacyLoginMicroseconds(client: Redis, logins: number): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  const { userBucket } = await import("tessera");
  const rounds: number[] = [];
  for (let round = 0, i = 0; round < 5; round++) {
    await client.call("CONFIG", "RESETSTAT");
    for (const end = i + logins / 5; i < end; i++) {
      const userId = `v2-login-${i}`;
      const id = (await userBucket(userId)) + Buffer.from(String(i).padStart(18, "0")).toString("base64url");
      const record = { userId, device: REALISTIC_DEVICE, createdAtSeconds: now, absoluteExpiresAtSeconds: now + 43_200, lastSeenAtSeconds: now, data: {} };
      await client.call(...(v2CreateCommand(id, record, { ttlMs: 900_000, indexTtlMs: 45_000_000, nowSeconds: now }) as [string, ...Array<string | number>]));
    }
    rounds.push(Number(/cmdstat_eval:calls=\d+,usec=\d+,usec_per_call=([\d.]+)/.exec(await client.info("commandstats"))?.[1]));
  }
  return rounds.sort((a, b) => a - b)[2]!;
}

const rows: ScaleRow[] = [];
const legacy: LegacyRow[] = [];
{
  log(`v3: sizes ${sizes.join(", ")}`);
  const { server, client } = await cappedRedis(12 * 2 ** 30);
  try {
    const base = await usedMemory(client);
    let loaded = 0;
    for (const size of sizes) {
      const memory = await measuredLoad(client, "v3", loaded, size, base);
      loaded = size;
      log(`v3 at ${size}: ${memory.usedMemoryPerSession.toFixed(1)} bytes/session; measuring operations`);
      const costs = await measureOperations(server.url, size, 2000);
      log(
        `v3 at ${size}: login ${costs.loginMicroseconds} µs, listing ${costs.listingMicroseconds} µs, revocation ${costs.revocationMicroseconds} µs, ${Math.round(costs.loginsPerSecond)} logins/s`,
      );
      rows.push({ sessions: size, memory, costs });
    }
  } finally {
    client.disconnect();
    await server.dispose();
  }
}
for (const size of sizes.filter((size) => size <= 1_000_000)) {
  log(`v2 at ${size}`);
  const { server, client } = await cappedRedis(4 * 2 ** 30);
  try {
    const memory = await measuredLoad(client, "v2", 0, size, await usedMemory(client));
    const loginMicroseconds = await legacyLoginMicroseconds(client, 2000);
    log(`v2 at ${size}: ${memory.usedMemoryPerSession.toFixed(1)} bytes/session, login ${loginMicroseconds} µs`);
    legacy.push({ sessions: size, memory, loginMicroseconds });
  } finally {
    client.disconnect();
    await server.dispose();
  }
}

const context = {
  date: new Date().toISOString().slice(0, 10),
  command: `npm run bench:scale${sizesArgument === -1 ? "" : ` -- --sizes ${sizes.join(",")}`}`,
  machine: `${cpus()[0]?.model.trim() ?? "?"} × ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  device: `"${REALISTIC_DEVICE.userAgent}", ${REALISTIC_DEVICE.ip}; user ids like "${scaleUsername(42)}"`,
};
const resultsPath = new URL("../../bench/RESULTS.md", import.meta.url);
const existing = readFileSync(resultsPath, "utf8");
const start = existing.indexOf("\n## Scale\n");
const end = start === -1 ? -1 : existing.indexOf("\n## ", start + 1);
const section = scaleMarkdown(rows, legacy, context);
const updated = start === -1 ? `${existing.trimEnd()}\n\n${section}` : `${existing.slice(0, start + 1)}${section}${end === -1 ? "" : existing.slice(end)}`;
writeFileSync(resultsPath, updated.endsWith("\n") ? updated : `${updated}\n`);
writeFileSync(new URL("../../bench/scale.svg", import.meta.url), scaleSvg(rows, legacy));
log("wrote bench/RESULTS.md (## Scale) and bench/scale.svg");
process.exit(0);
