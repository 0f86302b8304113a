import { Redis as UpstashRedis } from "@upstash/redis";
import { beforeEach, describe, expect, it } from "vitest";
import { useUpstashLocal } from "../../../test/support/upstash-local.js";

const TOKEN = "upstash-local-shapes-token";

/**
 * Upstash answers in RESP2 shapes whatever the case of the command name: pairs come back flat
 * (`[member, score, member, score]`, scores as strings) and streams as `[[key, [[id, [field,
 * value]]]]]`. Each command runs after `setup`, so commands that consume (ZPOPMIN, XREADGROUP …>)
 * see the same data in every spelling.
 */
const CASES: Array<{ command: Array<string | number>; expected: unknown; setup?: Array<Array<string | number>> }> = [
  { command: ["zrange", "z", 0, -1, "withscores"], expected: ["a", "1", "b", "2", "c", "3"] },
  { command: ["zrangebyscore", "z", 1, 2, "withscores"], expected: ["a", "1", "b", "2"] },
  { command: ["zrevrange", "z", 0, 1, "withscores"], expected: ["c", "3", "b", "2"] },
  { command: ["zunion", 2, "z", "z2", "withscores"], expected: ["a", "2", "b", "2", "c", "3", "d", "5"] },
  { command: ["zinter", 2, "z", "z2", "withscores"], expected: ["a", "2"] },
  { command: ["zdiff", 2, "z", "z2", "withscores"], expected: ["b", "2", "c", "3"] },
  { command: ["zrandmember", "zone", 1, "withscores"], expected: ["only", "7"] },
  {
    command: ["zpopmin", "zpop", 2],
    expected: ["a", "1", "b", "2"],
    setup: [
      ["del", "zpop"],
      ["zadd", "zpop", 1, "a", 2, "b", 3, "c"],
    ],
  },
  {
    command: ["zpopmin", "zpop"],
    expected: ["a", "1"],
    setup: [
      ["del", "zpop"],
      ["zadd", "zpop", 1, "a", 2, "b"],
    ],
  },
  { command: ["hrandfield", "h", 1, "withvalues"], expected: ["f", "v"] },
  // Fields in Redis's order: integer-like names must not be sorted first, nor __proto__ lost.
  {
    command: ["hgetall", "hnum"],
    expected: ["b", "1", "2", "x", "1", "y", "__proto__", "z"],
    setup: [
      ["del", "hnum"],
      ["hset", "hnum", "b", 1, 2, "x", 1, "y", "__proto__", "z"],
    ],
  },
  { command: ["xread", "count", 10, "streams", "s", 0], expected: [["s", [["1-0", ["f", "v"]]]]] },
  {
    command: ["xreadgroup", "group", "g", "c1", "streams", "s", ">"],
    expected: [["s", [["1-0", ["f", "v"]]]]],
    setup: [
      ["xgroup", "destroy", "s", "g"],
      ["xgroup", "create", "s", "g", 0],
    ],
  },
];

const SPELLINGS: Array<[string, (name: string) => string]> = [
  ["UPPER", (name) => name.toUpperCase()],
  ["lower", (name) => name.toLowerCase()],
  ["Mixed", (name) => name[0]!.toUpperCase() + name.slice(1)],
];

describe("upstash-local answers RESP2 shapes, like Upstash, whatever the case of the command name", () => {
  const upstash = useUpstashLocal(TOKEN);
  const post = async (path: string, body: unknown): Promise<unknown> => {
    const response = await fetch(`${upstash.rest.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    return response.json();
  };

  beforeEach(async () => {
    await post("/pipeline", [
      ["flushall"],
      ["zadd", "z", 1, "a", 2, "b", 3, "c"],
      ["zadd", "z2", 1, "a", 5, "d"],
      ["zadd", "zone", 7, "only"],
      ["hset", "h", "f", "v"],
      ["xadd", "s", "1-0", "f", "v"],
      ["xgroup", "create", "s", "g", 0],
    ]);
  });

  const runSetup = async (setup: Array<Array<string | number>> | undefined) => {
    if (setup) await post("/pipeline", setup);
  };

  describe.each(SPELLINGS)("command names in %s case", (_, spell) => {
    it.each(CASES.map((testCase) => [testCase.command.join(" "), testCase] as const))("raw HTTP: %s", async (_, { command, expected, setup }) => {
      const spelled = [spell(String(command[0])), ...command.slice(1)];
      await runSetup(setup);
      expect(await post("/", spelled)).toEqual({ result: expected });
      await runSetup(setup);
      expect(await post("/pipeline", [spelled])).toEqual([{ result: expected }]);
      await runSetup(setup);
      expect(await post("/multi-exec", [spelled])).toEqual([{ result: expected }]);
    });

    it.each(CASES.map((testCase) => [testCase.command.join(" "), testCase] as const))("@upstash/redis exec(): %s", async (_, { command, expected, setup }) => {
      // The client's default encoding is base64; with deserialization off it hands back the strings as sent.
      const client = new UpstashRedis({ url: upstash.rest.url, token: TOKEN, automaticDeserialization: false, retry: false, enableAutoPipelining: false });
      await runSetup(setup);
      expect(await client.exec([spell(String(command[0])), ...command.slice(1)])).toEqual(expected);
    });
  });

  it("the typed @upstash/redis methods decode the same data", async () => {
    const client = new UpstashRedis({ url: upstash.rest.url, token: TOKEN, retry: false, enableAutoPipelining: false });
    expect(await client.zrange("z", 0, -1, { withScores: true })).toEqual(["a", 1, "b", 2, "c", 3]);
    expect(await client.zrange("z", 1, 2, { byScore: true, withScores: true })).toEqual(["a", 1, "b", 2]);
    expect(await client.zrange("z", 0, 1, { rev: true, withScores: true })).toEqual(["c", 3, "b", 2]);
    expect(await client.zunion(2, ["z", "z2"], { withScores: true })).toEqual(["a", 2, "b", 2, "c", 3, "d", 5]);
    expect(await client.zpopmin("z", 2)).toEqual(["a", 1, "b", 2]);
    expect(await client.hrandfield("h", 1, true)).toEqual({ f: "v" });
    expect(await client.xread("s", "0")).toEqual([["s", [["1-0", ["f", "v"]]]]]);
    expect(await client.xreadgroup("g", "c1", "s", ">")).toEqual([["s", [["1-0", ["f", "v"]]]]]);
  });
});
