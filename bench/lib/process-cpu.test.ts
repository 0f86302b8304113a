import { describe, expect, it } from "vitest";
import { cpuTicksOfStat, processCpuSeconds, serverCpuOf } from "./process-cpu.js";

describe("a server's CPU time", () => {
  it("reads utime + stime after the command name, even one with spaces and parentheses", () => {
    const fields = "S 1 2 3 4 5 6 7 8 9 10 1234 56 0 0 20 0 11 0 12345 0 0";
    expect(cpuTicksOfStat(`4242 (node) ${fields}`)).toBe(1290);
    expect(cpuTicksOfStat(`4242 (a (b) c) ${fields}`)).toBe(1290);
    expect(cpuTicksOfStat("4242 (node) S 1 2")).toBeUndefined();
    expect(cpuTicksOfStat("garbage")).toBeUndefined();
  });

  it("of this very process grows while it works, and is unknown for no process", () => {
    const before = processCpuSeconds(process.pid);
    if (before === undefined) return; // no /proc here (macOS): nothing to read
    // Work until the kernel has counted a tick of it (bounded: a loaded machine may count late).
    let after = before;
    const until = Date.now() + 5_000;
    while (after === before && Date.now() < until) {
      for (let spin = 0; spin < 1e6; spin++) after += 0;
      after = processCpuSeconds(process.pid)!;
    }
    expect(after).toBeGreaterThan(before);
    expect(processCpuSeconds(undefined)).toBeUndefined();
  });

  it("turns two readings into CPU per request and the core's busy share", () => {
    expect(serverCpuOf(10, 13, 4, 100_000)).toEqual({ microsecondsPerRequest: 30, busyShare: 0.75 });
    expect(serverCpuOf(undefined, 13, 4, 100_000)).toBeUndefined();
    expect(serverCpuOf(10, 13, 4, 0)).toBeUndefined();
  });
});
