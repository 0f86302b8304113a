import { describe, expect, it } from "vitest";
import type { LoadResult } from "./load.js";
import { roundOrder, summarise } from "./rounds.js";
import { adaptersSection } from "./sections.js";
import type { BenchResults } from "./results.js";

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

describe("the server's CPU in a summary", () => {
  const run = (requestsPerSecond: number, microsecondsPerRequest?: number, busyShare?: number): LoadResult => ({
    requestsPerSecond,
    p50Ms: 1,
    p99Ms: 2,
    requests: requestsPerSecond * 4,
    errors: 0,
    non2xx: 0,
    ...(microsecondsPerRequest === undefined ? {} : { serverCpu: { microsecondsPerRequest, busyShare: busyShare! } }),
  });

  it("takes the median over the rounds that could read it, and NaN when none could", () => {
    const summary = summarise([run(100, 30, 0.9), run(110, 28, 0.95), run(90), run(105, 33, 0.97)]);
    expect(summary.cpuMicrosecondsPerRequest).toBe(30);
    expect(summary.busyShare).toBe(0.95);
    expect(summarise([run(100)]).cpuMicrosecondsPerRequest).toBeNaN();
  });

  it("shows each adapter's CPU per read and busy core beside its bare framework's", () => {
    const row = (target: string, requestsPerSecond: number, microsecondsPerRequest: number, busyShare: number) => ({
      target,
      label: target,
      scenario: "read" as const,
      ...summarise([run(requestsPerSecond, microsecondsPerRequest, busyShare)]),
    });
    const results = {
      throughput: [row("floor-fastify", 37_000, 26.44, 0.981), row("tessera-fastify", 33_000, 28.06, 0.926)],
      skipped: [],
    } as unknown as BenchResults;
    const fastify = adaptersSection(results)
      .split("\n")
      .find((line) => line.startsWith("| Fastify"));
    expect(fastify).toBe("| Fastify | 37,000, 1.00 | 33,000, 1.00 | 0.89× | 26.4 → 28.1 | 98% → 93% |");
  });
});
