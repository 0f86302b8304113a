import { describe, expect, it } from "vitest";
import { codeLinesOf, inlinedFraction, medianProfile, ownerOf, summariseProfile } from "./profile.js";
import { handWrittenSection, profileSection } from "./sections.js";

const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({ id, callFrame: { functionName, url, lineNumber: 0 }, children });

/**
 * A hand-made profile: hono calls tessera, tessera calls node's hash, which calls a native
 * function; plus idle and GC samples. Each sample lasts 100 µs.
 */
const profile = {
  startTime: 1_000,
  nodes: [
    frame(1, "(root)", "", [2, 6, 7]),
    frame(2, "dispatch", "file:///r/node_modules/hono/dist/compose.js", [3]),
    frame(3, "validateToken", "file:///r/packages/tessera/dist/core/session.js", [4]),
    frame(4, "digest", "node:internal/crypto/hash", [5]),
    frame(5, "digestNative", ""),
    frame(6, "(idle)", ""),
    frame(7, "(garbage collector)", ""),
  ],
  //         hono tessera node native native idle idle GC
  samples: [2, 3, 4, 5, 5, 6, 6, 7],
  timeDeltas: [100, 100, 100, 100, 100, 100, 100, 100],
};

describe("CPU profile summary", () => {
  it("names owners by package, and tessera's library and server apart", () => {
    expect(ownerOf({ functionName: "f", url: "file:///x/packages/tessera/dist/core/a.js", lineNumber: 0 })).toBe("tessera library");
    expect(ownerOf({ functionName: "f", url: "file:///x/packages/server/dist/app.js", lineNumber: 0 })).toBe("tessera reference server");
    expect(ownerOf({ functionName: "f", url: "file:///x/node_modules/@hono/node-server/dist/index.mjs", lineNumber: 0 })).toBe("@hono/node-server");
    expect(ownerOf({ functionName: "f", url: "node:_http_server", lineNumber: 0 })).toMatch(/^node internals/);
  });

  it("leaves idle out, counts self time, and charges node and native calls to the package that made them", () => {
    const summary = summariseProfile(profile, 10, 0, Number.MAX_SAFE_INTEGER);
    expect(summary.busyMs).toBeCloseTo(0.6); // 6 busy samples of 100 µs; 2 idle ones left out
    expect(summary.tesseraShare).toBeCloseTo(1 / 6);
    expect(summary.tesseraChargedShare).toBeCloseTo(4 / 6); // its own frame, the hash and the two native samples under it
    expect(summary.byCaller.find((b) => b.name === "hono")?.share).toBeCloseTo(1 / 6);
    expect(summary.byCaller.find((b) => b.name === "V8 garbage collector")?.share).toBeCloseTo(1 / 6);
    expect(summary.byOwner.find((b) => b.name === "tessera library")?.microsecondsPerRequest).toBeCloseTo(10);
  });

  it("counts only samples inside the load window", () => {
    // Samples end at 1100, 1200, …, 1800: the window [1150, 1450] holds the tessera, node and first native samples.
    const summary = summariseProfile(profile, 3, 1_150, 1_450);
    expect(summary.busyMs).toBeCloseTo(0.3);
    expect(summary.tesseraShare).toBeCloseTo(1 / 3);
  });

  it("reports the run with the median tessera share, and the share of every run", () => {
    const summary = summariseProfile(profile, 10, 0, Number.MAX_SAFE_INTEGER);
    const runs = [0.131, 0.118, 0.124].map((tesseraShare, index) => ({ ...summary, requestsPerSecond: 1, tesseraShare, requests: index }));
    const median = medianProfile(runs);
    expect(median.tesseraShare).toBe(0.124);
    expect(median.requests).toBe(2); // the whole run, not only its share
    expect(median.shareOfRuns).toEqual([0.118, 0.124, 0.131]);
    expect(medianProfile(runs.slice(0, 2)).tesseraShare).toBe(0.118);
    expect(() => medianProfile([])).toThrow(RangeError);
  });

  it("counts a benchmark target's own script as its code, and ranks runs by that share when told to", () => {
    const handWritten = {
      ...profile,
      nodes: profile.nodes.map((node) => (node.id === 3 ? frame(3, "onRequest", "file:///r/bench-dist/bench/targets/hand-read.js", [4]) : node)),
    };
    const summary = summariseProfile(handWritten, 10, 0, Number.MAX_SAFE_INTEGER);
    expect(summary.targetCodeShare).toBeCloseTo(1 / 6);
    expect(summary.tesseraShare).toBe(0);
    expect(summariseProfile(profile, 10, 0, Number.MAX_SAFE_INTEGER).targetCodeShare).toBe(0);
    const runs = [0.14, 0.12, 0.13].map((targetCodeShare, index) => ({ ...summary, requestsPerSecond: 1, targetCodeShare, requests: index }));
    const median = medianProfile(runs, (run) => run.targetCodeShare);
    expect(median.requests).toBe(2);
    expect(median.shareOfRuns).toEqual([0.12, 0.13, 0.14]);
  });

  it("finds the lines of a script that hold code", () => {
    const script = [
      "/**",
      " * A comment.",
      " */",
      "export function f(a) {",
      "",
      "    // why",
      "    return a; // trailing",
      "}",
      "/* one line */ const b = 1;",
      "/* one line */",
      "/*",
      " * two",
      " */ const c = 2;",
    ].join("\n");
    expect([...codeLinesOf(script)]).toEqual([4, 7, 8, 9, 13]);
  });

  it("counts a frame's samples at lines holding no code in its file as inlined from elsewhere", () => {
    const lines = new Set([4, 7, 8]);
    const node = {
      ...frame(9, "f", "file:///r/packages/tessera/dist/core/a.js"),
      positionTicks: [
        { line: 7, ticks: 6 }, // its own code
        { line: 2, ticks: 3 }, // a comment line in its file: inlined
        { line: 300, ticks: 1 }, // past its end: inlined
      ],
    };
    expect(inlinedFraction(node, lines)).toBeCloseTo(0.4);
    expect(inlinedFraction(node, undefined)).toBe(0);
    expect(inlinedFraction(frame(9, "f", "x"), lines)).toBe(0);

    // In a summary: the tessera frame (1 of 6 busy samples) is half inlined, the hand-written target's frame a quarter.
    const ticks = (own: number, elsewhere: number) => [
      { line: 1, ticks: own },
      { line: 2, ticks: elsewhere },
    ];
    const withTicks = (tesseraUrl: string) => ({
      ...profile,
      nodes: profile.nodes.map((n) =>
        n.id === 3
          ? { ...frame(3, "validateToken", tesseraUrl, [4]), positionTicks: ticks(1, 1) }
          : n.id === 2
            ? { ...frame(2, "onRequest", "file:///r/bench-dist/bench/targets/hand-read.js", [3]), positionTicks: ticks(3, 1) }
            : n,
      ),
    });
    const summary = summariseProfile(withTicks("file:///r/packages/tessera/dist/core/session.js"), 10, 0, Number.MAX_SAFE_INTEGER, 15, () => new Set([1]));
    expect(summary.tesseraInlinedShare).toBeCloseTo(1 / 12);
    expect(summary.targetInlinedShare).toBeCloseTo(1 / 24);
    // Only samples in the load window count: [1150, 1450] holds the tessera sample, not the target's.
    const windowed = summariseProfile(withTicks("file:///r/packages/tessera/dist/core/session.js"), 3, 1_150, 1_450, 15, () => new Set([1]));
    expect(windowed.tesseraInlinedShare).toBeCloseTo(1 / 6);
    expect(windowed.targetInlinedShare).toBe(0);
    // Without sources, nothing is claimed.
    const unread = summariseProfile(withTicks("file:///r/packages/tessera/dist/core/session.js"), 10, 0, Number.MAX_SAFE_INTEGER);
    expect(unread.tesseraInlinedShare).toBeUndefined();
    expect(unread.targetInlinedShare).toBeUndefined();
  });

  it("sets the server's session code beside the hand-written read's, per read and as a share", () => {
    const base = { ...summariseProfile(profile, 10, 0, Number.MAX_SAFE_INTEGER), requestsPerSecond: 1 };
    const server = { ...base, requests: 100, busyMs: 4, requestsPerSecond: 19_000, tesseraShare: 0.15, shareOfRuns: [0.14, 0.15, 0.16] };
    const hand = { ...base, requests: 100, busyMs: 3.6, requestsPerSecond: 20_000, targetCodeShare: 0.09, shareOfRuns: [0.08, 0.09, 0.1] };
    const lines = handWrittenSection(server, hand).split("\n");
    expect(lines).toContain("| busy CPU per read (µs) | 40.00 | 36.00 |");
    expect(lines).toContain("| its session code per read (µs) | 6.00 | 3.24 |");
    expect(lines).toContain("| its session code's share of busy CPU (median run) | **15.0%** | **9.0%** |");
    expect(lines).toContain("| that share in each run | 14.0%, 15.0%, 16.0% | 8.0%, 9.0%, 10.0% |");
    expect(lines).toContain("| of which at lines holding no code in its files (estimated, points of busy CPU; median run) | n/a | n/a |");
    const measured = handWrittenSection({ ...server, tesseraInlinedShare: 0.011 }, { ...hand, targetInlinedShare: 0.006 }).split("\n");
    expect(measured).toContain("| of which at lines holding no code in its files (estimated, points of busy CPU; median run) | 1.1 | 0.6 |");
    expect(profileSection({ ...server, tesseraInlinedShare: 0.011 })).toContain("Of tessera's 15.0% self time, an estimated **1.1 points** were reported");
    expect(profileSection({ ...server, tesseraInlinedShare: undefined })).not.toContain("an estimated");
  });
});
