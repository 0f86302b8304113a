import { describe, expect, it } from "vitest";
import { roundOrder } from "./rounds.js";

const entry = (name: string) => ({ target: { name } });
const names = (entries: Array<{ target: { name: string } }>) => entries.map((e) => e.target.name).join(" ");

describe("roundOrder", () => {
  const eligible = ["a", "floor", "b", "adapter", "c"].map(entry);
  const groups = [
    ["floor", "adapter"],
    ["absent", "c"],
  ];

  it("runs each group back to back, rotates groups from round to round, and reverses a group every other round", () => {
    expect(names(roundOrder(eligible, groups, 0))).toBe("floor adapter c a b");
    expect(names(roundOrder(eligible, groups, 1))).toBe("c a b adapter floor");
    expect(names(roundOrder(eligible, groups, 2))).toBe("a b floor adapter c");
  });

  it("keeps every eligible target exactly once, in every round", () => {
    for (let round = 0; round < 6; round++) {
      const order = roundOrder(eligible, groups, round);
      expect(order).toHaveLength(eligible.length);
      expect(new Set(order)).toEqual(new Set(eligible));
      const at = (name: string) => order.findIndex((e) => e.target.name === name);
      expect(Math.abs(at("floor") - at("adapter"))).toBe(1);
    }
  });
});
