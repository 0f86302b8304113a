import { describe, expect, it } from "vitest";
import { decodeSessionRecord, encodeSessionRecord } from "./record.js";

describe("session record encoding", () => {
  it("is a compact positional array, data left out when empty", () => {
    expect(encodeSessionRecord({ userId: "abdullah", createdAtSeconds: 1, absoluteExpiresAtSeconds: 2, data: {} })).toBe('[1,"abdullah",1,2]');
    expect(encodeSessionRecord({ userId: "a", createdAtSeconds: 1, absoluteExpiresAtSeconds: 2, data: { k: "0012" } })).toBe('[1,"a",1,2,{"k":"0012"}]');
  });

  it("round-trips", () => {
    const record = { userId: "ü", createdAtSeconds: 1_800_000_000, absoluteExpiresAtSeconds: 1_800_043_200, data: { n: 12, s: "12", list: [null] } };
    expect(decodeSessionRecord(encodeSessionRecord(record))).toEqual(record);
  });

  it.each([
    ["not JSON", "{"],
    ["a foreign value", "hello"],
    ["an object", '{"userId":"a"}'],
    ["an unknown version", '[2,"a",1,2]'],
    ["too short", '[1,"a",1]'],
    ["a non-string user", "[1,5,1,2]"],
    ["a fractional time", '[1,"a",1.5,2]'],
    ["array data", '[1,"a",1,2,[]]'],
    ["null data", '[1,"a",1,2,null]'],
  ])("decodes %s to null instead of throwing", (_, encoded) => {
    expect(decodeSessionRecord(encoded)).toBeNull();
  });
});
