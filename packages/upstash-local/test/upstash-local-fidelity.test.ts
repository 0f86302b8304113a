import { Redis as UpstashRedis } from "@upstash/redis";
import { describe, expect, it } from "vitest";
import { useUpstashLocal } from "../../../test/support/upstash-local.js";

const TOKEN = "upstash-local-fidelity-token";
const b64 = (text: string) => Buffer.from(text).toString("base64");

/**
 * Where upstash-local once differed from Upstash in a way code would notice: 64-bit integers,
 * the `upstash-sync-token` after a refused write, and `OK` under `Upstash-Encoding: base64`.
 * Bodies are compared as text where `JSON.parse` (the client's too) would hide the difference.
 */
describe("upstash-local, what a client can tell apart from Upstash", () => {
  const upstash = useUpstashLocal(TOKEN);

  /** POSTs a body written by hand (numbers as sent, not as JavaScript rounds them). */
  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${upstash.rest.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, ...headers }, body });
    return { status: response.status, token: Number(response.headers.get("upstash-sync-token")), text: await response.text() };
  };
  const client = (options: { responseEncoding?: false | "base64" } = {}) =>
    new UpstashRedis({ url: upstash.rest.url, token: TOKEN, retry: false, enableAutoPipelining: false, ...options });

  describe("integers beyond 2^53", () => {
    it("reach Redis with every digit sent", async () => {
      expect((await post("/", '["SET","big-arg",9007199254740993]')).text).toBe('{"result":"OK"}');
      expect(await upstash.redis.command("GET", "big-arg")).toContain("9007199254740993");
      await post("/", '["INCRBY","big-counter",9223372036854775807]');
      expect(await upstash.redis.command("GET", "big-counter")).toContain("9223372036854775807");
      await post("/pipeline", '[["DECRBY","big-negative",9007199254740993]]');
      expect(await upstash.redis.command("GET", "big-negative")).toContain("-9007199254740993");
      // What the real client reads back is the exact value too (a string, as it cannot be a number).
      expect(await client().get("big-arg")).toBe("9007199254740993");
    });

    it("come back as JSON numbers with every digit, at every depth and in every encoding", async () => {
      await post("/", '["SET","big-reply","9007199254740992"]');
      expect((await post("/", '["INCR","big-reply"]')).text).toBe('{"result":9007199254740993}');
      expect((await post("/", '["DECRBY","big-reply",18014398509481986]')).text).toBe('{"result":-9007199254740993}');
      expect((await post("/pipeline", '[["INCRBY","big-reply",18014398509481986],["GET","big-reply"]]')).text).toBe(
        '[{"result":9007199254740993},{"result":"9007199254740993"}]',
      );
      expect((await post("/multi-exec", '[["INCRBY","big-reply",1],["INCRBY","big-reply",-1]]', { "upstash-encoding": "base64" })).text).toBe(
        '[{"result":9007199254740994},{"result":9007199254740993}]',
      );
      // Inside an array reply: BITFIELD answers with 64-bit integers.
      expect((await post("/", '["BITFIELD","big-bits","INCRBY","i64",0,9223372036854775807]')).text).toBe('{"result":[9223372036854775807]}');
      // Small integers are unchanged.
      expect((await post("/", '["INCRBY","small",-3]')).text).toBe('{"result":-3}');
      expect((await post("/", '["INCRBY","big-reply",9223372036854775807]')).text).toMatch(/"error":"ERR increment or decrement would overflow"/);
    });
  });

  describe("upstash-sync-token after a write Redis refused", () => {
    it("stays where it was for a single write refused by Redis or before it", async () => {
      await post("/", '["SET","sync-text","text"]');
      const before = (await post("/", '["GET","sync-text"]')).token;
      for (const command of [
        ["HSET", "sync-text", "f", "v"], // WRONGTYPE
        ["INCR", "sync-text"], // not an integer
        ["SET", "sync-text"], // wrong number of arguments
        ["NOSUCHCOMMAND", "x"],
        ["BLPOP", "sync-list", 0], // refused before Redis
      ]) {
        const answer = await post("/", JSON.stringify(command));
        expect(answer.status, JSON.stringify(command)).toBe(400);
        expect(answer.token, JSON.stringify(command)).toBe(before);
      }
      // The URL form too.
      expect((await post("/hset/sync-text/f/v", "")).token).toBe(before);
      expect((await post("/", '["SET","sync-text","again"]')).token).toBe(before + 1);
    });

    it("advances for a pipeline or transaction only when one of its writes happened", async () => {
      await post("/", '["SET","sync-text","text"]');
      const before = (await post("/", '["GET","sync-text"]')).token;
      const failingWrites = '[["HSET","sync-text","f","v"],["INCR","sync-text"],["BLPOP","sync-list",0],["GET","sync-text"]]';
      expect((await post("/pipeline", failingWrites)).token).toBe(before);
      expect((await post("/multi-exec", '[["HSET","sync-text","f","v"],["GET","sync-text"]]')).token).toBe(before);
      expect((await post("/multi-exec", '[["SET","sync-text","v"],["SET","sync-text"]]')).token).toBe(before); // EXECABORT: nothing ran
      expect((await post("/pipeline", '[["HSET","sync-text","f","v"],["SET","sync-other","v"]]')).token).toBe(before + 1);
      expect((await post("/multi-exec", '[["INCR","sync-text"],["SET","sync-other","w"]]')).token).toBe(before + 2);
    });

    it("advances for a script that fails after writing, since Redis keeps what it wrote", async () => {
      const before = (await post("/", '["GET","x"]')).token;
      const script = "redis.call('SET', KEYS[1], 'written'); return redis.error_reply('failed after the write')";
      const answer = await post("/", JSON.stringify(["EVAL", script, 1, "sync-script"]));
      expect(answer.status).toBe(400);
      expect(answer.token).toBe(before + 1);
      expect((await post("/", '["GET","sync-script"]')).text).toBe('{"result":"written"}');
    });

    it("leaves the real client's token alone after a pipeline whose only write Redis refused", async () => {
      const redisClient = client();
      await redisClient.set("sync-client", "text");
      const afterWrite = redisClient.readYourWritesSyncToken;
      const results = await redisClient.pipeline().hset("sync-client", { f: "v" }).get("sync-client").exec({ keepErrors: true });
      expect(results[0]?.error).toMatch(/WRONGTYPE/);
      expect(redisClient.readYourWritesSyncToken).toBe(afterWrite);
      await redisClient.set("sync-client", "again");
      expect(Number(redisClient.readYourWritesSyncToken)).toBe(Number(afterWrite) + 1);
    });
  });

  describe("Upstash-Encoding: base64 and the OK reply", () => {
    const base64 = { "upstash-encoding": "base64" };

    it("sends a whole OK as it is, as Upstash documents, and encodes every other string", async () => {
      expect((await post("/", '["SET","enc","v"]', base64)).text).toBe('{"result":"OK"}');
      expect((await post("/set/enc/v", "", base64)).text).toBe('{"result":"OK"}');
      expect((await post("/pipeline", '[["SET","enc","v"],["PING"],["TYPE","enc"],["GET","enc"]]', base64)).text).toBe(
        JSON.stringify([{ result: "OK" }, { result: b64("PONG") }, { result: b64("string") }, { result: b64("v") }]),
      );
      expect((await post("/multi-exec", '[["MSET","enc","v","enc2","w"],["MGET","enc","enc2"]]', base64)).text).toBe(
        JSON.stringify([{ result: "OK" }, { result: [b64("v"), b64("w")] }]),
      );
      // Inside an array an OK is encoded: @upstash/redis decodes every string of an array.
      expect((await post("/", JSON.stringify(["EVAL", "return {redis.status_reply('OK')}", 0]), base64)).text).toBe(JSON.stringify({ result: [b64("OK")] }));
    });

    it("reads as OK through the real client, alone, in a pipeline and inside an array", async () => {
      const redisClient = client({ responseEncoding: "base64" });
      expect(await redisClient.set("enc-client", "OK")).toBe("OK");
      expect(await redisClient.get("enc-client")).toBe("OK");
      expect(await redisClient.pipeline().set("enc-client", "v").mset({ "enc-client2": "8" }).get("enc-client2").exec()).toEqual(["OK", "OK", 8]);
      expect(await redisClient.eval("return {redis.status_reply('OK'), 'OK'}", [], [])).toEqual(["OK", "OK"]);
    });
  });
});
