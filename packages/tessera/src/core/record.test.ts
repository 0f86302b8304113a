import { describe, expect, it } from "vitest";
import {
  applyEncodedPatch,
  decodeIndexEntry,
  decodeSessionRecord,
  encodeDataPatch,
  encodeIndexEntry,
  encodeLastSeenOffset,
  encodeSessionRecord,
} from "./record.js";

const base = {
  userId: "abdullah",
  device: { userAgent: "Chrome 131 on macOS", ip: "203.0.113.7" },
  createdAtSeconds: 1_800_000_000,
  absoluteExpiresAtSeconds: 1_800_043_200,
  lastSeenAtSeconds: 1_800_000_000,
  data: {},
};

describe("session value encoding", () => {
  it("puts the 5-character last-seen offset first, then the header, then one member per data key", () => {
    expect(encodeSessionRecord(base)).toBe('00000\u001e[2,"abdullah",1800000000,1800043200,"Chrome 131 on macOS","203.0.113.7"]');
    expect(encodeSessionRecord({ ...base, lastSeenAtSeconds: base.createdAtSeconds + 3600, data: { k: "0012", n: 12 } })).toBe(
      '002s0\u001e[2,"abdullah",1800000000,1800043200,"Chrome 131 on macOS","203.0.113.7"]\u001e"k":"0012"\u001e"n":12',
    );
  });

  it("round-trips, including keys and values with separators, quotes and colons", () => {
    const record = {
      ...base,
      userId: "ü|\u001e",
      lastSeenAtSeconds: base.createdAtSeconds + 12_345,
      data: { 'a":b': "c\u001ed", n: 1.5e300, list: [null, { x: [] }] },
    };
    expect(decodeSessionRecord(encodeSessionRecord(record))).toEqual(record);
  });

  it("round-trips a session without data, each decode with its own data object", () => {
    const encoded = encodeSessionRecord(base);
    const first = decodeSessionRecord<Record<string, unknown>>(encoded)!;
    expect(first).toEqual(base);
    first.data.theme = "dark";
    expect(decodeSessionRecord(encoded)!.data).toEqual({});
  });

  it("clamps the offset to its 5 base36 characters", () => {
    expect(encodeLastSeenOffset(100, 50)).toBe("00000");
    expect(encodeLastSeenOffset(0, 10 ** 9)).toBe("zzzzz");
  });

  it.each([
    ["not ours", "hello"],
    ["the v1 layout", '[1,"a",1,2]'],
    ["a bad header", '00000\u001e{"a":1}'],
    ["a header without the device", '00000\u001e[2,"a",1,2]'],
    ["an unknown version", '00000\u001e[3,"a",1,2,"",""]'],
    ["a non-string user", '00000\u001e[2,5,1,2,"",""]'],
    ["a fractional time", '00000\u001e[2,"a",1.5,2,"",""]'],
    ["a broken member", '00000\u001e[2,"a",1,2,"",""]\u001e"k":'],
  ])("decodes %s to null instead of throwing", (_, encoded) => {
    expect(decodeSessionRecord(encoded)).toBeNull();
  });
});

describe("data patches", () => {
  const encoded = encodeSessionRecord({ ...base, data: { keep: 1, drop: 2, change: "old", "change:x": "lookalike" } });

  it("replaces, adds and removes only the named keys (a key that merely starts alike is kept)", () => {
    const patched = applyEncodedPatch(encoded, encodeDataPatch({ set: { change: "new", added: true }, delete: ["drop", "missing"] }));
    expect(decodeSessionRecord(patched)?.data).toEqual({ keep: 1, change: "new", "change:x": "lookalike", added: true });
  });

  it("clear drops everything but what is set", () => {
    expect(decodeSessionRecord(applyEncodedPatch(encoded, encodeDataPatch({ clear: true, set: { only: 1 } })))?.data).toEqual({ only: 1 });
  });

  it("leaves the last-seen offset and header untouched", () => {
    const patched = applyEncodedPatch(encoded, encodeDataPatch({ set: { x: 1 } }));
    expect(patched.split("\u001e").slice(0, 2)).toEqual(encoded.split("\u001e").slice(0, 2));
  });

  it("refuses values JSON cannot carry", () => {
    expect(() => encodeDataPatch({ set: { f: () => 1 } })).toThrow(TypeError);
    expect(encodeDataPatch({ set: { gone: undefined } }).members).toEqual([]);
  });
});

describe("index entries", () => {
  it("round-trip, deadlines first in base36, the user id last and raw (separators included)", () => {
    const entry = { userId: 'ü"x\u001ey', createdAtSeconds: 1_800_000_000, absoluteExpiresAtSeconds: 1_800_043_200 };
    const encoded = encodeIndexEntry(entry);
    expect(encoded).toBe(`${(1_800_043_200).toString(36)}\u001e${(1_800_000_000).toString(36)}\u001eü"x\u001ey`);
    expect(decodeIndexEntry(encoded)).toEqual(entry);
    expect(decodeIndexEntry("garbage")).toBeNull();
  });

  it("stay within Redis's 64-byte compact-hash limit for a 40-character user id", () => {
    const encoded = encodeIndexEntry({ userId: "x".repeat(40), createdAtSeconds: 1_800_000_000, absoluteExpiresAtSeconds: 1_800_043_200 });
    expect(new TextEncoder().encode(encoded).length).toBeLessThanOrEqual(64);
  });
});
