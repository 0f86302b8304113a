import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis as UpstashRedis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, StoreUnavailableError } from "../../src/core/errors.js";
import { createRedisStore, migrateLayout, scanLayout } from "../../src/stores/redis/index.js";
import { createUpstashStore, recommendedUpstashOptions, upstashConnection } from "../../src/stores/upstash/index.js";
import { startUpstashLocal } from "@tessera/upstash-local";
import { describeStoreContract } from "../../src/testing/index.js";
import { freePort, sleep } from "../../../../test/support/ports.js";
import { writeV2Session } from "../../../../test/support/layout-v2.js";
import { commandsDuring, connectTo, total } from "../../../../test/support/redis-harness.js";
import { fillRedis, startRedisServer } from "../../../../test/support/redis-server.js";
import { useUpstashLocal } from "../../../../test/support/upstash-local.js";

const TOKEN = "local-test-token-8f3a";
const record = {
  userId: "12",
  device: { userAgent: "", ip: "" },
  createdAtSeconds: 1_800_000_000,
  absoluteExpiresAtSeconds: 1_800_043_200,
  lastSeenAtSeconds: 1_800_000_000,
  data: {},
};
const createOptions = { ttlMs: 60_000, indexTtlMs: 60_000, maxSessionsPerUser: 0, nowSeconds: 1_800_000_000 };

describeStoreContract(
  "upstash (REST, through upstash-local)",
  async () => {
    const redis = await startRedisServer();
    const rest = await startUpstashLocal({ redisUrl: redis.url, token: TOKEN, port: 0 });
    const store = await createUpstashStore({ url: rest.url, token: TOKEN });
    return {
      store,
      independentStore: () => createUpstashStore({ url: rest.url, token: TOKEN }),
      fillBackend: () => fillRedis(redis),
      elapse: sleep,
      nowSeconds: () => Math.floor(Date.now() / 1000),
      async measure(operation) {
        rest.resetStats();
        // Upstash bills 1 per command plus 1 per redis.call inside a script: Redis's own count.
        const billed = total(await commandsDuring(redis, operation));
        return { commands: billed, roundTrips: rest.stats.httpRequests };
      },
      unavailableStore: async () => createUpstashStore({ url: `http://127.0.0.1:${await freePort()}`, token: TOKEN }),
      async close() {
        await store.close();
        await rest.close();
        await redis.dispose();
      },
    };
  },
  { countsCommands: true },
  { describe, it, beforeAll, afterAll },
);

describe("upstash store failure modes", () => {
  const upstash = useUpstashLocal(TOKEN);

  it("a wrong token is a StoreUnavailableError that does not contain the token", async () => {
    const store = await createUpstashStore({ url: upstash.rest.url, token: "wrong-token-never-logged" });
    const error = (await store.readAndExtend("AAAAAAAAAAAAAAAAAAAAAAAAAA", 1000).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toMatch(/Unauthorized/);
    expect(error.message).not.toContain("wrong-token-never-logged");
    expect(error.message).not.toContain(TOKEN);
  });

  it("the admin functions run over Upstash: scanLayout counts, migrateLayout converts v2 data written by the v2 store", async () => {
    const connection = upstashConnection(new UpstashRedis({ url: upstash.rest.url, token: TOKEN, ...recommendedUpstashOptions() }));
    const v2Writer = await connectTo("ioredis", upstash.redis.url);
    for (let i = 0; i < 30; i++) {
      const id = `U${i % 3}${String(i).padStart(24, "0")}`;
      await writeV2Session(v2Writer, id, { ...record, userId: `up-${i}` }, { ...createOptions, nowSeconds: Math.floor(Date.now() / 1000), keyPrefix: "up:" });
    }
    await v2Writer.close();
    expect(await scanLayout({ connection, keyPrefix: "up:", scanCount: 7 })).toMatchObject({
      sessions: 30,
      users: 0,
      v2IndexesLeft: 3,
      sessionsInV2Indexes: 30,
      nodes: 1,
    });
    expect(await migrateLayout({ connection, keyPrefix: "up:", scanCount: 7, chunkSize: 4 })).toMatchObject({ v2IndexesMigrated: 3, sessionsAdopted: 30 });
    const report = await scanLayout({ connection, keyPrefix: "up:" });
    expect(report).toMatchObject({ sessions: 30, users: 30, v2IndexesLeft: 0, keysWithoutTtl: 0, unknownKeys: 0 });
    expect(report.bytesPerSessionEstimate).toBeGreaterThan(100);
  });

  it("keeps every value's type: no automatic JSON deserialization", async () => {
    const store = await createUpstashStore({ url: upstash.rest.url, token: TOKEN });
    const data = { zip: "0012", twelve: "12", bool: "true", nul: "null", num: 12, json: '{"a":1}' };
    await store.create("TYTYPESTYPESTYPESTYPESTYPE", { ...record, data }, createOptions);
    expect(await store.readAndExtend("TYTYPESTYPESTYPESTYPESTYPE", 60_000)).toEqual({ ...record, data });
  });

  it("refuses a client built with automatic deserialization, naming the fix", () => {
    const client = new UpstashRedis({ url: upstash.rest.url, token: TOKEN });
    expect(() => upstashConnection(client)).toThrow(ConfigError);
    expect(() => upstashConnection(client)).toThrow(/automaticDeserialization: false/);
  });

  it("a login whose answer came past the deadline is undone: the request was not aborted, so the late answer arrives", async () => {
    // An HTTP relay to upstash-local that holds back its first answer until released (the script
    // has run by then), and counts the answers it gave.
    let requests = 0;
    let answered = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const waiting: Array<{ count: number; resolve: () => void }> = [];
    const relay = createServer(async (request, response) => {
      const number = ++requests;
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const upstream = await fetch(upstash.rest.url + (request.url ?? "/"), {
        method: "POST", // every Upstash REST request is a POST
        headers: { authorization: request.headers.authorization ?? "", "content-type": "application/json" },
        body: new Uint8Array(Buffer.concat(chunks)),
      });
      const text = await upstream.text();
      if (number === 1) await released;
      response.writeHead(upstream.status, { "content-type": "application/json" }).end(text);
      answered++;
      for (const wait of waiting.filter((w) => answered >= w.count)) wait.resolve();
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    const answers = (count: number) =>
      Promise.race([
        new Promise<void>((resolve) => (answered >= count ? resolve() : waiting.push({ count, resolve }))),
        sleep(10_000).then(() => {
          throw new Error(`the relay gave ${answered} answers, not ${count}: no undo was sent`);
        }),
      ]);
    try {
      const direct = await createUpstashStore({ url: upstash.rest.url, token: TOKEN });
      // Its requests are aborted at 3 s: the answer, released after the 1 s deadline, comes before.
      const late = await createUpstashStore({ url: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`, token: TOKEN, commandTimeoutMs: 1000 });
      const [oldId, newId] = [`LU${"o".repeat(24)}`, `LU${"n".repeat(24)}`];
      const mine = { ...record, userId: "late-upstash", absoluteExpiresAtSeconds: 9_999_999_999 };
      await direct.create(oldId, mine, createOptions);
      // EVAL first on a fresh store: the script is not loaded yet, so one request, answered late.
      const error = await late.create(newId, mine, { ...createOptions, replacesSessionId: oldId }).catch((e: unknown) => e);
      expect((error as StoreUnavailableError).code).toBe("STORE_TIMEOUT");
      expect(await direct.readAndExtend(oldId, 60_000), "the rotation ran").toBeNull();
      release();
      await answers(2); // the late answer, then the undo's own request
      expect(await direct.readAndExtend(oldId, 60_000), "the old session, written back").not.toBeNull();
      expect(await direct.readAndExtend(newId, 60_000)).toBeNull();
    } finally {
      relay.closeAllConnections();
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  describe("against a broken endpoint", () => {
    let broken: Server;
    let brokenUrl: string;
    let mode: "hang" | "not-json" | "no-result" | "html-500" | "json-error" = "hang";
    beforeAll(async () => {
      // A stand-in for a misbehaving proxy or endpoint: the store must turn each into a typed error.
      broken = createServer((request, response) => {
        request.resume();
        if (mode === "hang") return; // never answers
        if (mode === "not-json") return void response.end("<html>gateway</html>");
        if (mode === "no-result") return void response.writeHead(200, { "content-type": "application/json" }).end('{"unexpected":1}');
        if (mode === "json-error") return void response.writeHead(500, { "content-type": "application/json" }).end('{"error":"ERR backend exploded"}');
        response.writeHead(500, { "content-type": "text/html" }).end("<h1>oops</h1>");
      });
      await new Promise<void>((resolve) => broken.listen(0, "127.0.0.1", resolve));
      brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      broken.closeAllConnections();
      await new Promise((resolve) => broken.close(resolve));
    });

    it.each(["hang", "not-json", "no-result", "html-500"] as const)("%s → StoreUnavailableError", async (which) => {
      mode = which;
      const store = await createUpstashStore({ url: brokenUrl, token: TOKEN, commandTimeoutMs: 300 });
      await expect(store.readAndExtend("AAAAAAAAAAAAAAAAAAAAAAAAAA", 1000)).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    it("error messages never echo the command, whose values hold user ids", async () => {
      mode = "json-error";
      const store = await createUpstashStore({ url: brokenUrl, token: TOKEN });
      const error = (await store.create("AAAAAAAAAAAAAAAAAAAAAAAAAA", { ...record, userId: "private-user" }, createOptions).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(error.message).toMatch(/ERR backend exploded/);
      expect(error.message).not.toContain("private-user");
      let cause: unknown = error.cause;
      for (let depth = 0; cause instanceof Error && depth < 5; depth++, cause = cause.cause) expect(cause.message).not.toContain("private-user");
    });

    it("a hang is cut by the per-request signal even without the store's own deadline", async () => {
      mode = "hang";
      const client = new UpstashRedis({ url: brokenUrl, token: TOKEN, ...recommendedUpstashOptions(200) });
      const store = createRedisStore({ connection: upstashConnection(client), commandTimeoutMs: 60_000 });
      await expect(store.readAndExtend("AAAAAAAAAAAAAAAAAAAAAAAAAA", 1000)).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
});
