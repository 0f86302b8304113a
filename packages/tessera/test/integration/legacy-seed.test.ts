import { randomUUID } from "node:crypto";
import { Redis as UpstashRedis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/core/errors.js";
import { legacySeedSessions, type LegacySeedSession } from "../../src/stores/redis/index.js";
import { recommendedUpstashOptions, upstashConnection } from "../../src/stores/upstash/index.js";
import { connectTo, countingConnection, failingConnection, lateReplyConnection, type RedisClientKind } from "../../../../test/support/redis-harness.js";
import { racingConversion, recordingConversion as recordingImport } from "../../../../test/support/recording-conversion.js";
import { startRedisServer, type RedisServer } from "../../../../test/support/redis-server.js";
import { useUpstashLocal } from "../../../../test/support/upstash-local.js";

/**
 * The tutorial's sessions, written exactly as its `/login/` writes them (`HSET` with the two
 * fields, then `EXPIRE 900`, on a real Redis), converted once.
 */
async function tutorialLogin(redis: RedisServer, username: string): Promise<string> {
  const sessionId = randomUUID();
  await redis.command("HSET", `session:${sessionId}`, "user", username, "status", "active");
  await redis.command("EXPIRE", `session:${sessionId}`, "900");
  return sessionId;
}

const exists = async (redis: RedisServer, key: string) => (await redis.command("EXISTS", key)).trim() === ":1";

const recordingConversion = () => recordingImport<LegacySeedSession>();

describe.each<RedisClientKind>(["ioredis", "node-redis"])("legacy tutorial sessions over %s", (kind) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => redis?.dispose());

  it("converts a tutorial session once: the new session is made, then the old key is deleted", async () => {
    const sessionId = await tutorialLogin(redis, "abdullah");
    const legacy = legacySeedSessions({ connection: await connectTo(kind, redis.url) });
    const { created, discarded, conversion } = recordingConversion();
    expect(await legacy.convert(sessionId, conversion)).toBe(0);
    expect(created).toEqual([{ userId: "abdullah", status: "active" }]);
    expect(discarded).toEqual([]);
    expect(await exists(redis, `session:${sessionId}`)).toBe(false);
    // Once only: the same cookie again finds nothing.
    expect(await legacy.convert(sessionId, conversion)).toBeNull();
    expect(created).toHaveLength(1);
  });

  it("a cookie not shaped like the tutorial's lower-case UUID costs no round trip", async () => {
    const connection = countingConnection(await connectTo(kind, redis.url));
    const legacy = legacySeedSessions({ connection });
    const sessionId = await tutorialLogin(redis, "ada");
    const { created, conversion } = recordingConversion();
    for (const junk of ["", "junk", "A".repeat(45), sessionId.toUpperCase(), `${sessionId}x`, sessionId.replaceAll("-", ""), `session:${sessionId}`]) {
      expect(await legacy.convert(junk, conversion)).toBeNull();
      expect(await legacy.remove(junk)).toBe(false);
    }
    expect(connection.roundTrips).toBe(0);
    expect(created).toEqual([]);
    // A well-shaped id with no session behind it: one round trip, the HGETALL, and nothing made.
    expect(await legacy.convert(randomUUID(), conversion)).toBeNull();
    expect(connection.roundTrips).toBe(1);
    expect(await exists(redis, `session:${sessionId}`)).toBe(true);
  });

  it("a race of first requests on independent connections converts exactly once", async () => {
    const sessionId = await tutorialLogin(redis, "racer");
    const racers = 8;
    const connections = await Promise.all(Array.from({ length: racers }, () => connectTo(kind, redis.url)));
    const { created, discarded, conversion } = recordingConversion();
    const racing = racingConversion(conversion, racers);
    // A deadline far past any stall of a busy machine: a DEL answered late is handed out as a win
    // (see the "past its deadline" case below), which would make two winners here.
    const results = await Promise.all(connections.map((connection) => legacySeedSessions({ connection, commandTimeoutMs: 30_000 }).convert(sessionId, racing)));
    const winners = results.filter((result) => result !== null);
    expect(winners).toHaveLength(1);
    // It really raced: every request read the session before the first DEL.
    expect(created).toHaveLength(racers);
    expect(discarded.sort()).toEqual(created.map((_, index) => index).filter((index) => index !== winners[0]));
    expect(await exists(redis, `session:${sessionId}`)).toBe(false);
    await Promise.all(connections.map((connection) => connection.close()));
  });

  it("a failure to create the new session leaves the tutorial session as it was", async () => {
    const sessionId = await tutorialLogin(redis, "unlucky");
    const legacy = legacySeedSessions({ connection: await connectTo(kind, redis.url) });
    const refused = new StoreUnavailableError("STORE_FULL", "full");
    await expect(legacy.convert(sessionId, { create: () => Promise.reject(refused), discard: async () => undefined })).rejects.toBe(refused);
    expect(await exists(redis, `session:${sessionId}`)).toBe(true);
    const ttl = Number((await redis.command("TTL", `session:${sessionId}`)).trim().slice(1));
    expect(ttl).toBeGreaterThan(890);
  });

  it("a DEL that never reached Redis: the new session is handed out all the same, and the tutorial one is left", async () => {
    const sessionId = await tutorialLogin(redis, "cut-off");
    const legacy = legacySeedSessions({ connection: failingConnection(await connectTo(kind, redis.url), new Set([2])) });
    const { created, discarded, conversion } = recordingConversion();
    expect(await legacy.convert(sessionId, conversion)).toBe(0);
    expect(created).toHaveLength(1);
    expect(discarded).toEqual([]);
    expect(await exists(redis, `session:${sessionId}`)).toBe(true);
  });

  it("a DEL that ran but answered past its deadline: the new session is kept, so the user is not signed out", async () => {
    const sessionId = await tutorialLogin(redis, "late");
    // Only the DEL's reply is late, held until released; the deadline leaves the HGETALL ample time on a busy machine.
    const connection = lateReplyConnection(await connectTo(kind, redis.url), new Set([2]), "until-released");
    const legacy = legacySeedSessions({ connection, commandTimeoutMs: 1000 });
    const { created, discarded, conversion } = recordingConversion();
    expect(await legacy.convert(sessionId, conversion)).toBe(0);
    expect(created).toHaveLength(1);
    expect(discarded).toEqual([]);
    // The DEL ran: discarding the new session here would have left this user with no session at all.
    expect(await exists(redis, `session:${sessionId}`)).toBe(false);
    connection.release();
    await connection.idle();
  });

  it("a DEL that Redis refuses (it did not run): the new session is discarded, the error reported, the tutorial one kept", async () => {
    const sessionId = await tutorialLogin(redis, "read-only");
    // A real refusal from a real Redis: an ACL user that may read the tutorial's keys but not delete them.
    await redis.command("ACL", "SETUSER", "reader", "on", ">pw", "~session:*", "+hgetall", "+ping", "+hello", "+client", "+info", "+select", "+auth");
    const url = new URL(redis.url);
    url.username = "reader";
    url.password = "pw";
    const legacy = legacySeedSessions({ connection: await connectTo(kind, url.toString()) });
    const { created, discarded, conversion } = recordingConversion();
    const error = await legacy.convert(sessionId, conversion).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/refused DEL: NOPERM/);
    expect(created).toHaveLength(1);
    expect(discarded).toEqual([0]);
    expect(await exists(redis, `session:${sessionId}`)).toBe(true);
  });

  it("a key of that name that is not a hash is not a tutorial session, and is left alone", async () => {
    const sessionId = randomUUID();
    await redis.command("SET", `session:${sessionId}`, "something else");
    const legacy = legacySeedSessions({ connection: await connectTo(kind, redis.url) });
    const { created, conversion } = recordingConversion();
    expect(await legacy.convert(sessionId, conversion)).toBeNull();
    expect(created).toEqual([]);
    expect(await exists(redis, `session:${sessionId}`)).toBe(true);
  });

  it("remove deletes a tutorial session (the logout of a not yet converted cookie)", async () => {
    const sessionId = await tutorialLogin(redis, "leaving");
    const legacy = legacySeedSessions({ connection: await connectTo(kind, redis.url) });
    expect(await legacy.remove(sessionId)).toBe(true);
    expect(await legacy.remove(sessionId)).toBe(false);
    expect(await exists(redis, `session:${sessionId}`)).toBe(false);
  });
});

describe("legacy tutorial sessions over Upstash REST (the tutorial's own backend)", () => {
  const TOKEN = "legacy-seed-test-token";
  const upstash = useUpstashLocal(TOKEN);

  it("converts once through the real @upstash/redis client", async () => {
    const sessionId = await tutorialLogin(upstash.redis, "abdullah");
    const client = new UpstashRedis({ url: upstash.rest.url, token: TOKEN, ...recommendedUpstashOptions(1000) });
    const legacy = legacySeedSessions({ connection: upstashConnection(client) });
    const { created, conversion } = recordingConversion();
    expect(await legacy.convert(sessionId, conversion)).toBe(0);
    expect(created).toEqual([{ userId: "abdullah", status: "active" }]);
    expect(await legacy.convert(sessionId, conversion)).toBeNull();
    expect(await exists(upstash.redis, `session:${sessionId}`)).toBe(false);
  });
});
