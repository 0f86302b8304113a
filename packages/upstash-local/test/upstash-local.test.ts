import { request as httpRequest } from "node:http";
import { Redis as UpstashRedis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashLocal, type UpstashLocalServer } from "../src/index.js";
import { freePort } from "../../../test/support/ports.js";
import { startRedisServer, type RedisServer } from "../../../test/support/redis-server.js";

const TOKEN = "upstash-local-test-token";

describe("upstash-local, the REST server", () => {
  let redis: RedisServer;
  let rest: UpstashLocalServer;
  beforeAll(async () => {
    redis = await startRedisServer();
    rest = await startUpstashLocal({ redisUrl: redis.url, token: TOKEN, port: 0, maxBodyBytes: 4096 });
  });
  afterAll(async () => {
    await rest?.close();
    await redis?.dispose();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${rest.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  describe("authentication", () => {
    it.each([
      ["no Authorization header", {}],
      ["a wrong token", { authorization: "Bearer nope" }],
      ["the token without Bearer", { authorization: TOKEN }],
    ])("%s → 401 with a JSON error", async (_, headers) => {
      const response = await fetch(`${rest.url}/`, { method: "POST", headers, body: '["PING"]' });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: string }).error).toMatch(/Unauthorized/);
    });

    it("accepts the token as ?_token=, like Upstash", async () => {
      const response = await fetch(`${rest.url}/?_token=${TOKEN}`, { method: "POST", body: '["PING"]' });
      expect(await response.json()).toEqual({ result: "PONG" });
    });
  });

  describe("POST /", () => {
    it("runs one command; the result key is there even when it is null", async () => {
      expect(await (await post("/", ["SET", "k1", "v1"])).json()).toEqual({ result: "OK" });
      expect(await (await post("/", ["GET", "k1"])).json()).toEqual({ result: "v1" });
      expect(await (await post("/", ["GET", "missing"])).text()).toBe('{"result":null}');
    });

    it("takes command names in any case, and numbers and booleans as arguments", async () => {
      expect(await (await post("/", ["sEt", "n", 12])).json()).toEqual({ result: "OK" });
      expect(await (await post("/", ["incrby", "n", 30])).json()).toEqual({ result: 42 });
      expect(await (await post("/", ["SET", "b", true])).json()).toEqual({ result: "OK" });
      expect(await (await post("/", ["GET", "b"])).json()).toEqual({ result: "true" });
    });

    it("answers a Redis error with 400 and its text", async () => {
      const response = await post("/", ["INCR", "k1"]);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: "ERR value is not an integer or out of range" });
    });

    it("refuses commands that would block or change the shared connection", async () => {
      for (const command of [["BLPOP", "q", 0], ["SELECT", 1], ["SUBSCRIBE", "c"], ["MULTI"]]) {
        const response = await post("/", command);
        expect(response.status).toBe(400);
        expect(((await response.json()) as { error: string }).error).toMatch(/not supported/);
      }
    });

    it("supports the URL form /set/key/value", async () => {
      expect(await (await post("/set/url-key/url%20value", "")).json()).toEqual({ result: "OK" });
      expect(await (await post("/get/url-key", "")).json()).toEqual({ result: "url value" });
    });

    it.each([
      ["not JSON", "{nope"],
      ["an empty array", "[]"],
      ["an object", '{"cmd":"GET"}'],
      ["a nested object argument", '["SET","k",{"a":1}]'],
    ])("answers %s with 400", async (_, body) => {
      const response = await post("/", body);
      expect(response.status).toBe(400);
      expect(typeof ((await response.json()) as { error: string }).error).toBe("string");
    });

    it("answers a body over the limit with 413, declared or streamed", async () => {
      const big = JSON.stringify(["SET", "big", "x".repeat(5000)]);
      expect((await post("/", big)).status).toBe(413);
      const status = await new Promise<number>((resolve, reject) => {
        const url = new URL(rest.url);
        const req = httpRequest(
          { host: url.hostname, port: url.port, method: "POST", path: "/", headers: { authorization: `Bearer ${TOKEN}`, "transfer-encoding": "chunked" } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        for (let i = 0; i < 10; i++) req.write("x".repeat(1000));
        req.end();
      });
      expect(status).toBe(413);
    });

    it("closes the connection after a 413, so the unread body is never read as the next request", async () => {
      const url = new URL(rest.url);
      const answer = await new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        const req = httpRequest(
          { host: url.hostname, port: url.port, method: "POST", path: "/", headers: { authorization: `Bearer ${TOKEN}`, "transfer-encoding": "chunked" } },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
          },
        );
        req.on("error", reject);
        for (let i = 0; i < 10; i++) req.write("x".repeat(1000));
        req.end();
      });
      expect(answer).toEqual({ status: 413, connection: "close" });
      const declared = await post("/", JSON.stringify(["SET", "big", "x".repeat(5000)]));
      expect(declared.headers.get("connection")).toBe("close");
      expect(((await declared.json()) as { error: string }).error).toMatch(/^ERR max request size exceeded/);
    });
  });

  describe("what would stall or take over the shared connection", () => {
    it("refuses XREAD and XREADGROUP with BLOCK, and serves them without it", async () => {
      await post("/", ["XADD", "xs", "*", "f", "v"]);
      await post("/", ["XGROUP", "CREATE", "xs", "g", "0"]);
      for (const command of [
        ["XREAD", "BLOCK", 0, "STREAMS", "xs", "$"],
        ["xread", "COUNT", 1, "block", 100, "STREAMS", "xs", "0"],
        ["XREADGROUP", "GROUP", "g", "c", "BLOCK", 0, "STREAMS", "xs", ">"],
      ]) {
        const response = await post("/", command);
        expect(response.status, JSON.stringify(command)).toBe(400);
        expect(((await response.json()) as { error: string }).error).toMatch(/with BLOCK is not supported/);
      }
      // Nor through the URL form, with the keyword as the body (bytes) or in the query.
      for (const [path, body] of [
        ["/xread?0&STREAMS&xs&%24", "BLOCK"],
        ["/xread/BLOCK/0/STREAMS/xs/$", ""],
        ["/script?YES", "DEBUG"],
      ] as const) {
        const response = await post(path, body);
        expect(response.status, path).toBe(400);
        expect(((await response.json()) as { error: string }).error).toMatch(/is not supported/);
      }
      // A group, a consumer or a stream named "block" is no BLOCK option.
      expect((await post("/", ["XREADGROUP", "GROUP", "block", "block", "COUNT", 1, "STREAMS", "xs", ">"])).status).toBe(400); // no such group
      expect((await (await post("/", ["XREAD", "COUNT", 1, "STREAMS", "xs", "0"])).json()) as { result: unknown[] }).toMatchObject({
        result: [["xs", [[expect.any(String), ["f", "v"]]]]],
      });
      expect(await (await post("/", ["XREAD", "STREAMS", "block", "0"])).json()).toEqual({ result: null });
      // And nothing was left blocking: the next command answers at once.
      expect(await (await post("/", ["PING"])).json()).toEqual({ result: "PONG" });
    });

    it("refuses turning on the Lua debugger, which would capture every later command", async () => {
      for (const mode of ["YES", "sync"]) {
        const response = await post("/", ["SCRIPT", "DEBUG", mode]);
        expect(response.status).toBe(400);
        expect(((await response.json()) as { error: string }).error).toMatch(/SCRIPT DEBUG is not supported/);
      }
      expect(await (await post("/", ["SCRIPT", "DEBUG", "NO"])).json()).toEqual({ result: "OK" });
      expect(await (await post("/", ["EVAL", "return 1", 0])).json()).toEqual({ result: 1 });
    });
  });

  describe("the URL form, as Upstash documents it", () => {
    it("takes further arguments from the query, after the body", async () => {
      expect(await (await post("/set/qk?EX=100&NX", "bar")).json()).toEqual({ result: "OK" });
      expect(await (await post("/get/qk", "")).json()).toEqual({ result: "bar" });
      const { result: ttl } = (await (await post("/", ["TTL", "qk"])).json()) as { result: number };
      expect(ttl).toBeGreaterThan(90);
      // NX: a second set does nothing.
      expect(await (await post("/set/qk?NX", "other")).json()).toEqual({ result: null });
      // The token in the query is not an argument.
      const viaQueryToken = await fetch(`${rest.url}/set/qt?_token=${TOKEN}&EX=50`, { method: "POST", body: "v" });
      expect(await viaQueryToken.json()).toEqual({ result: "OK" });
      expect(((await (await post("/", ["TTL", "qt"])).json()) as { result: number }).result).toBeGreaterThan(40);
    });

    it("keeps a binary body and percent-escaped bytes as the bytes they are", async () => {
      const bytes = Buffer.from([0xff, 0x00, 0x80, 0x61, 0x62, 0x63]);
      const set = await fetch(`${rest.url}/set/bin`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: bytes });
      expect(await set.json()).toEqual({ result: "OK" });
      expect(await (await post("/", ["STRLEN", "bin"])).json()).toEqual({ result: 6 });
      const read = (key: string) => post("/", ["GET", key], { "upstash-encoding": "base64" }).then((r) => r.json()) as Promise<{ result: string }>;
      expect(Buffer.from((await read("bin")).result, "base64")).toEqual(bytes);
      expect(await (await post("/set/pbin/%FF%00a", "")).json()).toEqual({ result: "OK" });
      expect(Buffer.from((await read("pbin")).result, "base64")).toEqual(Buffer.from([0xff, 0x00, 0x61]));
      expect((await post("/set/bad/%G1", "")).status).toBe(400);
    });

    it("answers PUT like POST and HEAD like GET without a body", async () => {
      const put = await fetch(`${rest.url}/set/pk/pv`, { method: "PUT", headers: { authorization: `Bearer ${TOKEN}` } });
      expect(await put.json()).toEqual({ result: "OK" });
      const head = await fetch(`${rest.url}/get/pk`, { method: "HEAD", headers: { authorization: `Bearer ${TOKEN}` } });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe("");
      expect((await fetch(`${rest.url}/get/pk`, { method: "DELETE", headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
    });
  });

  describe("POST /pipeline", () => {
    it("answers each command in order and does not stop at an error", async () => {
      const response = await post("/pipeline", [
        ["SET", "p", "1"],
        ["HGET", "p", "f"],
        ["INCR", "p"],
        ["GET", "nothing"],
      ]);
      expect(await response.json()).toEqual([
        { result: "OK" },
        { error: "WRONGTYPE Operation against a key holding the wrong kind of value" },
        { result: 2 },
        { result: null },
      ]);
    });

    it("answers a malformed pipeline with 400", async () => {
      expect((await post("/pipeline", ["SET", "a", "b"])).status).toBe(400);
      expect((await post("/pipeline", [])).status).toBe(400);
    });
  });

  describe("POST /multi-exec", () => {
    it("runs atomically: concurrent transactions never interleave", async () => {
      await post("/", ["DEL", "log"]);
      const transactions = Array.from({ length: 60 }, (_, i) =>
        post("/multi-exec", [
          ["RPUSH", "log", `begin-${i}`],
          ["RPUSH", "log", `middle-${i}`],
          ["RPUSH", "log", `end-${i}`],
        ]),
      );
      for (const response of await Promise.all(transactions)) expect(response.status).toBe(200);
      const { result } = (await (await post("/", ["LRANGE", "log", 0, -1])).json()) as { result: string[] };
      expect(result).toHaveLength(180);
      for (let i = 0; i < result.length; i += 3) {
        const id = result[i]!.replace("begin-", "");
        expect(result.slice(i, i + 3)).toEqual([`begin-${id}`, `middle-${id}`, `end-${id}`]);
      }
    });

    it("reports a command's runtime error in its slot, and refuses a transaction Redis aborts", async () => {
      expect(
        await (
          await post("/multi-exec", [
            ["SET", "m", "a"],
            ["INCR", "m"],
            ["GET", "m"],
          ])
        ).json(),
      ).toEqual([{ result: "OK" }, { error: "ERR value is not an integer or out of range" }, { result: "a" }]);
      const aborted = await post("/multi-exec", [
        ["SET", "m2", "a"],
        ["SET", "m2"],
      ]);
      expect(aborted.status).toBe(400);
      expect(((await aborted.json()) as { error: string }).error).toMatch(/EXECABORT/);
      expect(await (await post("/", ["GET", "m2"])).json()).toEqual({ result: null }); // nothing ran
    });
  });

  describe("Upstash-Encoding: base64", () => {
    const b64 = (text: string) => Buffer.from(text).toString("base64");

    it("encodes the text of an error nested in a script's reply too, as the client decodes every string of an array", async () => {
      const reply = (await (await post("/", ["EVAL", "return {1, redis.error_reply('boom'), 'x'}", 0], { "upstash-encoding": "base64" })).json()) as {
        result: [number, string, string];
      };
      expect(reply.result[0]).toBe(1);
      expect(Buffer.from(reply.result[1], "base64").toString()).toMatch(/boom/);
      expect(reply.result[2]).toBe(b64("x"));
    });

    it("encodes every string at every depth and leaves integers, nulls, errors and a whole OK alone", async () => {
      await post("/", ["DEL", "e1", "e2", "list"]);
      await post("/pipeline", [
        ["SET", "e1", "héllo"],
        ["RPUSH", "list", "a", "OK"],
      ]);
      const headers = { "upstash-encoding": "base64" };
      expect(await (await post("/", ["SET", "e2", "v"], headers)).json()).toEqual({ result: "OK" });
      expect(await (await post("/", ["MGET", "e1", "none", "e2"], headers)).json()).toEqual({ result: [b64("héllo"), null, b64("v")] });
      expect(
        await (
          await post(
            "/pipeline",
            [
              ["LRANGE", "list", 0, -1],
              ["LLEN", "list"],
              ["INCR", "e1"],
              ["SET", "e3", "x"],
            ],
            headers,
          )
        ).json(),
      ).toEqual([{ result: [b64("a"), b64("OK")] }, { result: 2 }, { error: "ERR value is not an integer or out of range" }, { result: "OK" }]);
    });
  });

  describe("upstash-sync-token", () => {
    /** One request on a TCP connection of its own (no keep-alive pool), so requests truly overlap. */
    const postAlone = (path: string, body: unknown) =>
      new Promise<{ token: number; body: unknown }>((resolve, reject) => {
        const url = new URL(rest.url);
        const payload = JSON.stringify(body);
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            method: "POST",
            path,
            agent: false,
            headers: { authorization: `Bearer ${TOKEN}`, "content-length": Buffer.byteLength(payload) },
          },
          (res) => {
            let text = "";
            res.on("data", (chunk: Buffer) => (text += chunk.toString()));
            res.on("end", () => resolve({ token: Number(res.headers["upstash-sync-token"]), body: JSON.parse(text) }));
          },
        );
        req.on("error", reject);
        req.end(payload);
      });

    it("advances with every write and not with reads", async () => {
      const token = async (command: unknown[]) => Number((await post("/", command)).headers.get("upstash-sync-token"));
      const first = await token(["SET", "sync", "1"]);
      expect(await token(["GET", "sync"])).toBe(first);
      expect(await token(["SET", "sync", "2"])).toBe(first + 1);
      expect(await token(["get", "sync"])).toBe(first + 1);
      expect(await token(["INCR", "sync"])).toBe(first + 2);
    });

    it("gives each of many concurrent writes its own token, in the order Redis applied them", async () => {
      await post("/", ["DEL", "sync-order"]);
      const before = Number((await post("/", ["GET", "x"])).headers.get("upstash-sync-token"));
      const writes = await Promise.all([
        ...Array.from({ length: 40 }, () => postAlone("/", ["INCR", "sync-order"])),
        ...Array.from({ length: 10 }, () =>
          postAlone("/pipeline", [
            ["GET", "x"],
            ["INCR", "sync-order"],
          ]),
        ),
        ...Array.from({ length: 10 }, () => postAlone("/multi-exec", [["INCR", "sync-order"]])),
      ]);
      const tokens = writes.map((write) => write.token).sort((a, b) => a - b);
      expect(tokens).toEqual(Array.from({ length: 60 }, (_, i) => before + 1 + i));
      // INCR's reply is the order Redis applied the writes in; the single commands share one
      // connection, so their tokens must follow that order exactly.
      const singles = writes.slice(0, 40).map((write) => ({ applied: (write.body as { result: number }).result, token: write.token }));
      singles.sort((a, b) => a.applied - b.applied);
      for (let i = 1; i < singles.length; i++) expect(singles[i]!.token).toBeGreaterThan(singles[i - 1]!.token);
      const reads = await Promise.all(Array.from({ length: 10 }, () => postAlone("/", ["GET", "sync-order"])));
      for (const read of reads) expect(read.token).toBe(before + 60);
    });
  });

  it("counts HTTP requests and commands as Upstash bills them", async () => {
    rest.resetStats();
    await post("/", ["GET", "k1"]);
    await post("/pipeline", [
      ["GET", "k1"],
      ["GET", "k1"],
      ["GET", "k1"],
    ]);
    await post("/multi-exec", [
      ["GET", "k1"],
      ["GET", "k1"],
    ]);
    expect(rest.stats).toEqual({ httpRequests: 3, commands: 6 });
  });

  describe("with the real @upstash/redis client", () => {
    for (const enableAutoPipelining of [false, true]) {
      for (const responseEncoding of [false, "base64"] as const) {
        it(`round-trips values (auto-pipelining ${enableAutoPipelining ? "on" : "off"}, encoding ${responseEncoding || "none"})`, async () => {
          const client = new UpstashRedis({
            url: rest.url,
            token: TOKEN,
            enableAutoPipelining,
            responseEncoding,
            automaticDeserialization: false,
            retry: false,
          });
          const prefix = `c-${String(enableAutoPipelining)}-${String(responseEncoding)}-`;
          const [set, get, missing] = await Promise.all([client.set(`${prefix}a`, "héllo wörld 🎉"), client.get(`${prefix}a`), client.get(`${prefix}none`)]);
          expect([set, get, missing]).toEqual(["OK", "héllo wörld 🎉", null]);
          expect(await client.mget(`${prefix}a`, `${prefix}none`)).toEqual(["héllo wörld 🎉", null]);
          expect(await client.pipeline().set(`${prefix}n`, "0012").get(`${prefix}n`).incr(`${prefix}count`).exec()).toEqual(["OK", "0012", 1]);
          expect(await client.multi().hset(`${prefix}h`, { f: "OK", g: "12" }).hgetall(`${prefix}h`).exec()).toEqual([2, ["f", "OK", "g", "12"]]);
          expect(await client.getex(`${prefix}a`, { px: 60_000 })).toBe("héllo wörld 🎉");
        });
      }
    }

    it("a wrong token makes the client throw, not return null", async () => {
      const client = new UpstashRedis({ url: rest.url, token: "bad", retry: false, enableAutoPipelining: false });
      await expect(client.get("k1")).rejects.toThrow(/Unauthorized/);
    });
  });
});

describe("upstash-local with its default limits", () => {
  it("accepts a request of several MiB, as Upstash's 10 MB limit does", async () => {
    const redis = await startRedisServer();
    const rest = await startUpstashLocal({ redisUrl: redis.url, token: TOKEN, port: 0 });
    try {
      const client = new UpstashRedis({ url: rest.url, token: TOKEN, retry: false, enableAutoPipelining: false, automaticDeserialization: false });
      const value = "x".repeat(3 << 20);
      expect(await client.set("big", value)).toBe("OK");
      expect(await client.strlen("big")).toBe(value.length);
    } finally {
      await rest.close();
      await redis.dispose();
    }
  });
});

describe("upstash-local without Redis", () => {
  it("answers 5xx with a JSON error while Redis is unreachable", async () => {
    const rest = await startUpstashLocal({ redisUrl: `redis://127.0.0.1:${await freePort()}`, token: TOKEN, port: 0 });
    try {
      const response = await fetch(`${rest.url}/`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: '["GET","k"]' });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: string }).error).toMatch(/Redis unavailable/);
    } finally {
      await rest.close();
    }
  });
});
