import { loopback, loopbackRatio, skipReason, type BenchResults } from "./results.js";
import { REMOTE_STEPS } from "./remote.js";
import { fmt, table } from "./report.js";
import { resultKey } from "./rounds.js";
import { peakCommandsPerSecond } from "./sections.js";
import { ADAPTER_PAIRS } from "./targets.js";

type Verdict = "met" | "**missed**" | "not measured";
const verdict = (value: number, ok: (value: number) => boolean): Verdict => (Number.isFinite(value) ? (ok(value) ? "met" : "**missed**") : "not measured");

const PROFILE_TARGET = "CPU profile of a read: tessera's own code ≤ 10% of the process's CPU";

/** The profile's row of the targets table: the median run's share, and every run's. */
export function profileTargetRow(profile: BenchResults["profile"]): string[] {
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  const runs = profile.shareOfRuns !== undefined && profile.shareOfRuns.length > 1 ? ` (median of ${profile.shareOfRuns.map(percent).join(", ")})` : "";
  // The yardstick beside it: the same read written by hand, its own code's share (see `handWrittenSection`).
  const hand = profile.handWritten === undefined ? "" : `; the same read written by hand: ${percent(profile.handWritten.targetCodeShare)}`;
  return [PROFILE_TARGET, `${percent(profile.tesseraShare)}${runs}${hand}`, verdict(profile.tesseraShare, (v) => v <= 0.1)];
}

/**
 * `markdown` with its profile target row replaced by `profile`'s, or `undefined` when it has no
 * such row: what `--profile` does to RESULTS.md besides its profile section, so that the table
 * never states another run's share.
 */
export function withProfileTargetRow(markdown: string, profile: BenchResults["profile"]): string | undefined {
  const lines = markdown.split("\n");
  const at = lines.findIndex((line) => line.startsWith(`| ${PROFILE_TARGET} |`));
  if (at < 0) return undefined;
  lines[at] = `| ${profileTargetRow(profile).join(" | ")} |`;
  return lines.join("\n");
}

/** The targets of issue 12, each with what this run measured and met or missed. */
export function issue12Targets(results: BenchResults): string {
  const rows: string[][] = [];
  const ratioRow = (label: string, value: number, minimum: number, missing?: string) =>
    rows.push([label, Number.isFinite(value) ? fmt.ratio(value) : `— (${missing ?? "no result"})`, verdict(value, (v) => v >= minimum)]);

  for (const { framework, adapter, floor } of ADAPTER_PAIRS) {
    ratioRow(
      `${framework} adapter ≥ 0.95× bare ${framework} (read)`,
      loopbackRatio(results, adapter, floor, "read"),
      0.95,
      skipReason(results, adapter) ?? skipReason(results, floor),
    );
  }
  ratioRow("reference server ≥ 0.75× raw node:http floor (read, loopback)", loopbackRatio(results, "tessera-server", "floor-node", "read"), 0.75);
  ratioRow("reference server ≥ 1.2× seed port (read, loopback)", loopbackRatio(results, "tessera-server", "seed-port", "read"), 1.2);

  const [redisScenario, upstashScenario] = results.remote.scenarios;
  const one = REMOTE_STEPS[0]!;
  const many = REMOTE_STEPS[REMOTE_STEPS.length - 1]!;
  if (redisScenario) {
    const figure = (target: string, step: typeof one) => redisScenario.summaries.get(resultKey(target, step));
    const throughput = (figure("tessera-server", many)?.requestsPerSecond ?? Number.NaN) / (figure("seed-port", many)?.requestsPerSecond ?? Number.NaN);
    ratioRow(`Redis 1 ms away: reference server ≥ 1.8× seed port's throughput (${many.connections} connections)`, throughput, 1.8);
    for (const step of REMOTE_STEPS) {
      const p50 = (figure("tessera-server", step)?.p50Ms ?? Number.NaN) / (figure("seed-port", step)?.p50Ms ?? Number.NaN);
      rows.push([
        `Redis 1 ms away: reference server p50 ≤ 0.55× seed port's (${step.connections} connection${step.connections > 1 ? "s" : ""})`,
        Number.isFinite(p50) ? fmt.ratio(p50) : "—",
        verdict(p50, (v) => v <= 0.55),
      ]);
    }
  }
  const reported = results.remote.scenarios.every((s) => s.skipped.length === 0 && [...s.summaries.values()].every((v) => Number.isFinite(v.p50Ms)));
  rows.push([
    "remote scenarios (Redis 1 ms, Upstash ~5 ms) report p50 and p99 at 1 and 32 connections",
    results.remote.scenarios.map((s) => `${s.title.split(" (")[0]}: +${fmt.ms(s.measuredRoundTripMs)} ms per round trip`).join("; "),
    reported ? "met" : "**missed**",
  ]);
  const capacity =
    results.remote.ceiling.redisBenchmark.find((r) => r.path.startsWith("proxy, 1 ms") && r.load.startsWith("32"))?.requestsPerSecond ?? Number.NaN;
  const demand = redisScenario ? peakCommandsPerSecond(results, redisScenario) : Number.NaN;
  const zeroDelay = results.remote.ceiling.floorThroughProxy.requestsPerSecond / results.remote.ceiling.floorDirect.requestsPerSecond;
  rows.push([
    "the proxy is not the bottleneck (its ceiling ≥ 2× the most a scenario asked of it)",
    `1 ms proxy carries ${fmt.rps(capacity)} GET/s; the busiest target asked ${fmt.rps(demand)} commands/s (${fmt.ratio(capacity / demand)}); floor through it at 0 ms: ${fmt.ratio(zeroDelay)} of direct`,
    verdict(capacity / demand, (v) => v >= 2),
  ]);
  if (upstashScenario) {
    const t = upstashScenario.summaries.get(resultKey("tessera-server", many))?.requestsPerSecond ?? Number.NaN;
    const s = upstashScenario.summaries.get(resultKey("seed-port-upstash", many))?.requestsPerSecond ?? Number.NaN;
    rows.push([
      "Upstash ~5 ms away: reported beside the seed on @upstash/redis (no ratio target)",
      `throughput ${fmt.ratio(t / s)} at ${many.connections} connections`,
      Number.isFinite(t / s) ? "met" : "not measured",
    ]);
  }
  ratioRow("login ≥ 1.0× the seed port's login (loopback)", loopbackRatio(results, "tessera-server", "seed-port", "login"), 1.0);
  rows.push(profileTargetRow(results.profile));
  const bun = loopbackRatio(results, "tessera-server-bun", "tessera-server", "read");
  rows.push([
    "reference server on Bun reported beside Node (read)",
    Number.isFinite(bun) ? `Bun at ${fmt.ratio(bun)} of Node` : `— (${skipReason(results, "tessera-server-bun") ?? "no result"})`,
    Number.isFinite(bun) ? "met" : "not measured",
  ]);
  return table(["target (issue 12)", "measured", "result"], rows);
}

/**
 * What bounds the issue-12 ratios in this run: the frameworks' own floors against the raw one, and
 * what the reference server and each adapter spend per read on top of their floor. The reference
 * server answers the seed's routes on node:http (its Node lane), so the raw floor is its bound.
 */
export function issue12Bounds(results: BenchResults): string {
  const honoVsNode = loopbackRatio(results, "floor-hono", "floor-node", "read");
  const honoVsSeed = loopbackRatio(results, "floor-hono", "seed-port", "read");
  const microseconds = (name: string) => 1e6 / (loopback(results, name, "read")?.requestsPerSecond ?? Number.NaN);
  const serverOverFloor = microseconds("tessera-server") - microseconds("floor-node");
  const budgetAt75 = (1 / 0.75 - 1) * microseconds("floor-node");
  const signed = (microsecondsPerRead: number) => `${microsecondsPerRead >= 0 ? "+" : "−"}${Math.abs(microsecondsPerRead).toFixed(1)} µs`;
  const adapterCost = ADAPTER_PAIRS.map(({ framework, adapter, floor }) => {
    const cost = microseconds(adapter) - microseconds(floor);
    return Number.isFinite(cost) ? `${framework} ${signed(cost)}` : `${framework} —`;
  }).join(", ");
  // The same differences in the server's measured CPU time per read, where it could be read.
  const cpuOf = (name: string) => loopback(results, name, "read")?.cpuMicrosecondsPerRequest ?? Number.NaN;
  const adapterCpu = ADAPTER_PAIRS.flatMap(({ framework, adapter, floor }) => {
    const cost = cpuOf(adapter) - cpuOf(floor);
    return Number.isFinite(cost) ? [`${framework} ${signed(cost)}`] : [];
  });
  const serverCpuOverFloor = cpuOf("tessera-server") - cpuOf("floor-node");
  const measuredCpu =
    adapterCpu.length > 0 && Number.isFinite(serverCpuOverFloor)
      ? ` Counted as the server process's CPU time per read instead (the tables' "server CPU µs/req"): the reference server ${signed(serverCpuOverFloor)} against the raw floor; ${adapterCpu.join(", ")}. Where the two disagree, the server's core was not busy all through the run ("core busy"): it waited for Redis or for the load generator.`
      : "";
  if (![honoVsNode, honoVsSeed, serverOverFloor, budgetAt75].every(Number.isFinite)) return "";
  return [
    `Bounds in this run (server time per request as 1/throughput, which holds while the server's one core is the limit): bare Hono with one GETEX,`,
    `and nothing else, serves ${fmt.ratio(honoVsNode)} of the raw node:http floor and ${fmt.ratio(honoVsSeed)} of the seed port, so a Hono app on`,
    `@hono/node-server cannot reach 0.75× of the floor. The reference server therefore answers the seed's three routes straight`,
    `on node:http (its Node lane, \`packages/server/src/node-lane.ts\`). Per read it spends ${signed(serverOverFloor)} against the raw floor`,
    `(0.75× allows +${budgetAt75.toFixed(1)} µs): it does more work (the token's SHA-256, the store deadline, decoding the record, the request id,`,
    `request and store metrics, security headers, the connection cap) but writes the GETEX of all the reads of one event-loop turn`,
    `in one socket write (\`turn-coalescer.ts\`), where every floor writes one per request. Each adapter against its bare framework, per`,
    `read, the same way: ${adapterCost}.${measuredCpu}`,
  ].join("\n");
}

/** Targets set before issue 12, still checked every run. */
export function earlierTargets(results: BenchResults): string {
  const tw = results.work.get("tessera-server");
  const seedMemory = results.memory.find((row) => row.layout.startsWith("seed"))?.bytesPerSession ?? Number.NaN;
  const tesseraMemory = results.memory.find((row) => row.layout === "tessera, 1 session per user")?.bytesPerSession ?? Number.NaN;
  const upstashRead = results.upstash.find((row) => row.stack.startsWith("tessera") && row.operation === "read");
  const check = (met: boolean) => (met ? "met" : "**missed**");
  return table(
    ["target", "measured", "result"],
    [
      [
        "1 Redis command and 1 round trip per authenticated read",
        tw ? `${tw.read.commands} command, ${tw.read.roundTrips} round trip` : "—",
        check(tw?.read.commands === 1 && tw.read.roundTrips === 1),
      ],
      [
        "1 round trip per login and logout",
        tw ? `login ${tw.login.roundTrips}, logout ${tw.logout.roundTrips}` : "—",
        check(tw?.login.roundTrips === 1 && tw.logout.roundTrips === 1),
      ],
      [
        "reference server ≥ 3× express-session (read)",
        fmt.ratio(loopbackRatio(results, "tessera-server", "express-session", "read")),
        check(loopbackRatio(results, "tessera-server", "express-session", "read") >= 3),
      ],
      [
        "reference server ≥ 1.2× @fastify/session (read)",
        fmt.ratio(loopbackRatio(results, "tessera-server", "fastify-session", "read")),
        check(loopbackRatio(results, "tessera-server", "fastify-session", "read") >= 1.2),
      ],
      [
        "≤ 197 bytes per session at 100 000 sessions, index included",
        `${fmt.bytes(tesseraMemory)} (seed layout here: ${fmt.bytes(seedMemory)})`,
        check(tesseraMemory <= 197),
      ],
      [
        "Upstash: 1 HTTP request and 1 billed command per read",
        upstashRead ? `${upstashRead.httpRequests} / ${upstashRead.billedCommands}` : "?",
        check(upstashRead?.httpRequests === 1 && upstashRead.billedCommands === 1),
      ],
    ],
  );
}
