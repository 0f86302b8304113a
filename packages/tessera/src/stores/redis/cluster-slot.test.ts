import { describe, expect, it } from "vitest";
import { CrossSlotRoundTripError, keySlot, keysOf, slotOfRoundTrip } from "./cluster-slot.js";

describe("keySlot", () => {
  it("is CRC16-XMODEM mod 16384 (the Redis Cluster spec's check value and documented examples)", () => {
    expect(keySlot("123456789")).toBe(0x31c3 % 16384);
    expect(keySlot("foo")).toBe(12182);
    expect(keySlot("somekey")).toBe(11058);
  });

  it("hashes only the first non-empty {tag}", () => {
    expect(keySlot("{user1000}.following")).toBe(keySlot("user1000"));
    expect(keySlot("ts:{AB}digest")).toBe(keySlot("ts:{AB}:i"));
    expect(keySlot("foo{}{bar}")).not.toBe(keySlot("bar")); // an empty first tag: the whole key is hashed
    expect(keySlot("foo{{bar}}zap")).toBe(keySlot("{bar"));
  });
});

describe("slotOfRoundTrip", () => {
  it("finds the keys of the store's commands, including every key of a script", () => {
    expect(keysOf(["EVALSHA", "abc", 2, "k1", "k2", "arg"])).toEqual(["k1", "k2"]);
    expect(keysOf(["GETEX", "k", "PX", 1000])).toEqual(["k"]);
    expect(keysOf(["DEL", "a", "b"])).toEqual(["a", "b"]);
    expect(keysOf(["WAIT", 1, 250])).toEqual([]);
  });

  it("accepts a round trip under one hash tag and routes it by its first key", () => {
    expect(
      slotOfRoundTrip([
        ["DEL", "ts:{AB}x"],
        ["HDEL", "ts:{AB}:i", "x"],
        ["EVAL", "return 1", 2, "ts:{AB}:i", "ts:{AB}y"],
        ["WAIT", 1, 250],
      ]),
    ).toEqual({
      slot: keySlot("AB"),
      routingKey: "ts:{AB}x",
    });
    expect(slotOfRoundTrip([["PING"]])).toBeUndefined();
  });

  it("rejects a round trip whose keys span slots, naming both keys", () => {
    const spanning = () =>
      slotOfRoundTrip([
        ["DEL", "ts:{AB}x"],
        ["EVALSHA", "abc", 2, "ts:{CD}:i", "ts:{CD}y"],
      ]);
    expect(spanning).toThrow(CrossSlotRoundTripError);
    expect(spanning).toThrow(/slots \d+ \("ts:\{AB\}x"\) and \d+ \("ts:\{CD\}:i"\)/);
    expect(() => slotOfRoundTrip([["EVAL", "return 1", 2, "ts:{AB}:i", "ts:{CD}y"]])).toThrow(CrossSlotRoundTripError);
  });
});
