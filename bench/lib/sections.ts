import type { ProfileSummary } from "./profile.js";
import { loopback, loopbackRatio, skipReason, type BenchResults } from "./results.js";
import { REMOTE_STEPS, type ProxyCeiling, type RemoteScenario } from "./remote.js";
import { fmt, table } from "./report.js";
import { resultKey } from "./rounds.js";
import { ADAPTER_PAIRS } from "./targets.js";

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
/** A share as percentage points, for a part of another share. */
const points = (share: number) => (share * 100).toFixed(1);
const optionalPoints = (share: number | undefined) => (share === undefined ? "n/a" : points(share));
const notRun = (results: BenchResults, target: string) => `not run: ${skipReason(results, target) ?? "no result"}`;

/** Each adapter beside its bare framework, read only: throughput, and what the server's CPU says about it. */
export function adaptersSection(results: BenchResults): string {
  return table(
    [
      "framework",
      "bare framework + one GETEX (req/s, p50 ms)",
      "with tessera's adapter (req/s, p50 ms)",
      "adapter / bare",
      "server CPU µs/req (bare → adapter)",
      "core busy (bare → adapter)",
    ],
    ADAPTER_PAIRS.map(({ framework, adapter, floor }) => {
      const bare = loopback(results, floor, "read");
      const withTessera = loopback(results, adapter, "read");
      const cell = (row: typeof bare, name: string) => (row ? `${fmt.rps(row.requestsPerSecond)}, ${fmt.ms(row.p50Ms)}` : notRun(results, name));
      const ratio = loopbackRatio(results, adapter, floor, "read");
      const both = (pick: (row: NonNullable<typeof bare>) => string) => (bare && withTessera ? `${pick(bare)} → ${pick(withTessera)}` : "—");
      return [
        framework,
        cell(bare, floor),
        cell(withTessera, adapter),
        Number.isFinite(ratio) ? fmt.ratio(ratio) : "—",
        both((row) => fmt.cpu(row.cpuMicrosecondsPerRequest)),
        both((row) => fmt.busy(row.busyShare)),
      ];
    }),
  );
}

/** The reference server on Node and on Bun, from the same rounds. */
export function bunSection(results: BenchResults): string {
  const node = loopback(results, "tessera-server", "read");
  const bun = loopback(results, "tessera-server-bun", "read");
  const row = (label: string, r: typeof node, name: string) =>
    r
      ? [label, fmt.rps(r.requestsPerSecond), fmt.ms(r.p50Ms), fmt.ms(r.p99Ms), fmt.ratio(r.requestsPerSecond / (node?.requestsPerSecond ?? Number.NaN))]
      : [label, notRun(results, name), "", "", ""];
  return table(
    ["runtime", "req/s (median)", "p50 ms", "p99 ms", "vs Node"],
    [
      row(`Node ${process.version} (node:http, the seed's routes in the Node lane)`, node, "tessera-server"),
      row("Bun (Bun.serve, Hono's Bun path)", bun, "tessera-server-bun"),
    ],
  );
}

/** The proxy's own ceiling: the floor through it at 0 ms, and redis-benchmark through it. */
export function ceilingSection(ceiling: ProxyCeiling): string {
  const floorRatio = ceiling.floorThroughProxy.requestsPerSecond / ceiling.floorDirect.requestsPerSecond;
  const floorTable = table(
    ["raw node floor, read, 32 connections", "req/s (median)", "p50 ms", "p99 ms"],
    [
      ["Redis straight", fmt.rps(ceiling.floorDirect.requestsPerSecond), fmt.ms(ceiling.floorDirect.p50Ms), fmt.ms(ceiling.floorDirect.p99Ms)],
      [
        `Redis through the proxy at 0 ms (${fmt.ratio(floorRatio)})`,
        fmt.rps(ceiling.floorThroughProxy.requestsPerSecond),
        fmt.ms(ceiling.floorThroughProxy.p50Ms),
        fmt.ms(ceiling.floorThroughProxy.p99Ms),
      ],
    ],
  );
  const benchmarkTable = table(
    ["redis-benchmark GET", "load", "req/s", "p50 ms"],
    ceiling.redisBenchmark.map((row) => [row.path, row.load, fmt.rps(row.requestsPerSecond), fmt.ms(row.p50Ms)]),
  );
  return `${floorTable}\n\n${benchmarkTable}`;
}

/** The Redis commands per second a remote scenario asked of the proxy at its busiest. */
export function peakCommandsPerSecond(results: BenchResults, scenario: RemoteScenario): number {
  const step = REMOTE_STEPS[REMOTE_STEPS.length - 1]!;
  return Math.max(
    0,
    ...scenario.targets.map((t) => (scenario.summaries.get(resultKey(t.name, step))?.requestsPerSecond ?? 0) * (results.work.get(t.name)?.read.commands ?? 1)),
  );
}

/** One remote scenario: every target at 1 and at 32 connections, then tessera over the seed. */
export function remoteSection(scenario: RemoteScenario, tessera: string, seed: string): string {
  const header = ["stack", ...REMOTE_STEPS.flatMap((s) => [`c=${s.connections} req/s`, `c=${s.connections} p50 ms`, `c=${s.connections} p99 ms`])];
  const rows = scenario.targets.map((target) => {
    const skipped = scenario.skipped.find((s) => s.target.name === target.name);
    if (skipped) return [target.label, `not run: ${skipped.reason}`, ...REMOTE_STEPS.flatMap(() => ["", "", ""]).slice(1)];
    return [
      target.label,
      ...REMOTE_STEPS.flatMap((step) => {
        const s = scenario.summaries.get(resultKey(target.name, step))!;
        const flag = s.failures > 0 ? ` ⚠ ${s.failures} failed` : "";
        return [`${fmt.rps(s.requestsPerSecond)}${flag}`, fmt.ms(s.p50Ms), fmt.ms(s.p99Ms)];
      }),
    ];
  });
  const ratio = (pick: (s: { requestsPerSecond: number; p50Ms: number; p99Ms: number }) => number) =>
    REMOTE_STEPS.flatMap((step) => {
      const a = scenario.summaries.get(resultKey(tessera, step));
      const b = scenario.summaries.get(resultKey(seed, step));
      return a && b ? [fmt.ratio(pick(a) / pick(b))] : ["—"];
    });
  const ratios = table(
    ["tessera reference server / seed port", ...REMOTE_STEPS.map((s) => `c=${s.connections}`)],
    [
      ["throughput", ...ratio((s) => s.requestsPerSecond)],
      ["p50", ...ratio((s) => s.p50Ms)],
      ["p99", ...ratio((s) => s.p99Ms)],
    ],
  );
  return `The proxy was asked for ${fmt.ms(scenario.requestedRoundTripMs)} ms per round trip and added ${fmt.ms(scenario.measuredRoundTripMs)} ms (${scenario.calibration}). Node timers fire in whole milliseconds, a little late, and later on a busy machine: the added time is measured, not assumed.\n\n${table(header, rows)}\n\n${ratios}`;
}

/** Where a read's CPU time goes, by owner and by function. */
export function profileSection(profile: ProfileSummary): string {
  const owners = table(
    ["owner", "self ms", "share of busy CPU", "µs per request"],
    profile.byOwner.map((b) => [
      b.name.startsWith("tessera") ? `**${b.name}**` : b.name,
      b.selfMs.toFixed(0),
      pct(b.share),
      b.microsecondsPerRequest.toFixed(1),
    ]),
  );
  const callers = table(
    ["charged to", "share of busy CPU", "µs per request"],
    profile.byCaller.map((b) => [b.name.startsWith("tessera") ? `**${b.name}**` : b.name, pct(b.share), b.microsecondsPerRequest.toFixed(1)]),
  );
  const functions = table(
    ["function (self time)", "share", "µs per request"],
    profile.topFunctions.map((b) => [`\`${b.name.replace(/\|/g, "\\|")}\``, pct(b.share), b.microsecondsPerRequest.toFixed(2)]),
  );
  const runs = profile.shareOfRuns;
  const median =
    runs !== undefined && runs.length > 1
      ? `The server was profiled ${runs.length} times, each a fresh process; tessera's own share in each run: ${runs.map(pct).join(", ")}. Below is the run with the median share. `
      : "";
  return `${median}${fmt.rps(profile.requests)} reads in ${(profile.windowMs / 1000).toFixed(1)} s (${fmt.rps(profile.requestsPerSecond)} req/s while profiled; the profiler slows the process), ${profile.busyMs.toFixed(0)} ms of busy CPU (${fmt.ms((profile.busyMs * 1000) / Math.max(1, profile.requests))} µs per request); idle time is left out. tessera's own code (library + reference server): **${pct(profile.tesseraShare)}** of self time; **${pct(profile.tesseraChargedShare)}** with the node internals and native calls it makes (hashing, …) charged to it. The library alone: **${pct(profile.byOwner.find((b) => b.name === "tessera library")?.share ?? Number.NaN)}**.${inlinedNote(profile)} The reference server's share includes writing the HTTP answer of the seed's routes, which Hono and @hono/node-server did before the Node lane took those routes (they no longer appear below).

Self time, by whose code was on top of the stack:

${owners}

Every sample charged to the nearest package on its stack (so a socket write made for Hono counts for Hono):

${callers}

Top functions by self time:

${functions}${profile.handWritten === undefined ? "" : `\n\n${handWrittenSection(profile, profile.handWritten)}`}`;
}

/**
 * An estimate of how much of tessera's self time V8 reported at lines that hold no code in the
 * frame's file. V8 reports a sample in inlined code under the outer function's frame, with the
 * line number from the inlined function's own script, so these samples ran code of another
 * script. The figure says how loosely "tessera's own code" is measured; it is not taken off the
 * share.
 */
function inlinedNote(profile: ProfileSummary): string {
  if (profile.tesseraInlinedShare === undefined) return "";
  return ` Of tessera's ${pct(profile.tesseraShare)} self time, an estimated **${points(profile.tesseraInlinedShare)} points** were reported at lines that hold no code in the frame's own file (comments, blank lines, past the end). V8 reports a sample in inlined code under the outer function's frame, with the line number from the inlined function's own script: node's, ioredis's, or another tessera file's (which is still tessera's). Each frame's line mix over the whole profile, warm-up included, is applied to its samples in the load window. Inlined code that lands on a code line is missed, and tessera code inlined into other packages' frames counts against them. It stays counted in the share above.`;
}

/**
 * The reference server beside the same read written by hand: how much of a process's CPU the code
 * of a session read takes when it does nothing but the work, which is what the 10% target is
 * measured against.
 */
export function handWrittenSection(server: ProfileSummary, hand: ProfileSummary): string {
  const perRead = (profile: ProfileSummary) => (profile.busyMs * 1000) / Math.max(1, profile.requests);
  const runs = (profile: ProfileSummary) => (profile.shareOfRuns ?? []).map(pct).join(", ");
  const rows = [
    ["reads per second while profiled", fmt.rps(server.requestsPerSecond), fmt.rps(hand.requestsPerSecond)],
    ["busy CPU per read (µs)", fmt.ms(perRead(server)), fmt.ms(perRead(hand))],
    ["its session code per read (µs)", fmt.ms(server.tesseraShare * perRead(server)), fmt.ms(hand.targetCodeShare * perRead(hand))],
    ["its session code's share of busy CPU (median run)", `**${pct(server.tesseraShare)}**`, `**${pct(hand.targetCodeShare)}**`],
    ["that share in each run", runs(server), runs(hand)],
    [
      "of which at lines holding no code in its files (estimated, points of busy CPU; median run)",
      optionalPoints(server.tesseraInlinedShare),
      optionalPoints(hand.targetInlinedShare),
    ],
  ];
  return `### The same read written by hand

\`bench/targets/hand-read.ts\` does the server's authenticated read in the fewest lines, on raw
node:http and ioredis: the cookie's token checked and hashed into the key, one \`GETEX\` written
with the turn's other reads in one socket write (as tessera's store does), the stored header
parsed and the absolute deadline checked, the answer with the server's headers and JSON, the
duration counted in a histogram. It does less than the server (no deadline on the Redis call, no
store-call metrics, no \`lastSeen\` touch, no session object). Profiled the same way, each run
right after one of the server's; "session code" is tessera's library and server for the one, that
file for the other.

${table(["", "tessera reference server", "hand-written read"], rows)}`;
}
