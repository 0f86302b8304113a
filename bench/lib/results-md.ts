import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loopback, type BenchResults } from "./results.js";
import { fmt, renderChart, table } from "./report.js";
import { adaptersSection, bunSection, ceilingSection, profileSection, remoteSection } from "./sections.js";
import { findBun, ROOT, type Scenario } from "./targets.js";
import { earlierTargets, issue12Bounds, issue12Targets } from "./targets-table.js";

/** Marks around the profile section, so `--profile` can replace it alone. */
export const PROFILE_START = "<!-- profile:start -->";
export const PROFILE_END = "<!-- profile:end -->";

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(`${ROOT}node_modules/${pkg}/package.json`, "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

function versions(results: BenchResults): string {
  const redisVersion = execFileSync("redis-server", ["--version"], { encoding: "utf8" }).match(/v=(\S+)/)?.[1] ?? "?";
  const wrkVersion = spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout?.match(/wrk (\S+)/)?.[1] ?? "?";
  const bun = results.skipped.some((s) => s.target.runtime === "bun") ? undefined : findBun();
  const bunVersion = bun ? spawnSync(bun, ["--version"], { encoding: "utf8" }).stdout.trim() : undefined;
  const packages = [
    "hono",
    "@hono/node-server",
    "ioredis",
    "redis",
    "express",
    "express-session",
    "connect-redis",
    "fastify",
    "@fastify/session",
    "@upstash/redis",
  ];
  return [
    `node ${process.version}`,
    ...(bunVersion ? [`bun ${bunVersion}`] : []),
    `redis-server ${redisVersion}`,
    results.generator === "wrk" ? `wrk ${wrkVersion}` : `autocannon ${versionOf("autocannon")}`,
    ...packages.map((name) => `${name === "redis" ? "redis (node-redis)" : name} ${versionOf(name)}`),
  ].join(", ");
}

function throughputTable(results: BenchResults, scenario: Scenario): string {
  const floor = loopback(results, "floor-node", scenario)?.requestsPerSecond ?? Number.NaN;
  return table(
    ["stack", "req/s (median)", "p50 ms", "p99 ms", "vs raw node floor", "server CPU µs/req", "core busy", "rounds (req/s)"],
    results.throughput
      .filter((row) => row.scenario === scenario && Number.isFinite(row.requestsPerSecond))
      .sort((a, b) => b.requestsPerSecond - a.requestsPerSecond)
      .map((row) => [
        row.failures > 0 ? `${row.label} ⚠ ${row.failures} failed requests` : row.label,
        fmt.rps(row.requestsPerSecond),
        fmt.ms(row.p50Ms),
        fmt.ms(row.p99Ms),
        fmt.ratio(row.requestsPerSecond / floor),
        fmt.cpu(row.cpuMicrosecondsPerRequest),
        fmt.busy(row.busyShare),
        row.rounds.map(fmt.rps).join(", "),
      ]),
  );
}

export function renderProfileBlock(results: Pick<BenchResults, "profile" | "connections">, durationSeconds: number): string {
  return `${PROFILE_START}
## CPU profile of a read

The reference server under \`node --cpu-prof\` (sampling every 100 µs), \`GET /profile/\` with wrk at
${results.connections} connections for ${durationSeconds} s after a warm-up; self time summed over the load window only.

${profileSection(results.profile)}
${PROFILE_END}`;
}

/** RESULTS.md, the console summary and the chart. */
export function renderReport(results: BenchResults) {
  const date = new Date().toISOString().slice(0, 10);
  const workTable = table(
    ["stack", "read: commands / round trips", "login", "logout", "read commands"],
    results.targets
      .filter((target) => results.work.has(target.name))
      .map((target) => {
        const w = results.work.get(target.name)!;
        return [
          target.label,
          `${w.read.commands} / ${w.read.roundTrips}`,
          `${w.login.commands} / ${w.login.roundTrips}`,
          `${w.logout.commands} / ${w.logout.roundTrips}`,
          w.read.detail,
        ];
      }),
  );
  const memoryTable = table(
    ["layout", "sessions", "users", "bytes per session", "what it stores"],
    results.memory.map((row) => [row.layout, fmt.rps(row.sessions), fmt.rps(row.users), fmt.bytes(row.bytesPerSession), row.stores]),
  );
  const upstashTable = table(
    ["stack", "operation", "HTTP requests", "billed commands"],
    results.upstash.map((row) => [row.stack, row.operation, row.httpRequests, row.billedCommands]),
  );
  const skipped = results.skipped.length
    ? `\n**Not run in this run:**\n\n${results.skipped.map((s) => `- ${s.target.label} (\`${s.target.name}\`): ${s.reason}`).join("\n")}\n`
    : "";
  const [redisScenario, upstashScenario] = results.remote.scenarios;
  const targets12 = issue12Targets(results);
  const markdown = `# Benchmark results

Produced by \`${results.command}\` on ${date}. Absolute numbers drift between machines and runs; the
ratios within one run are the result. Every server under test is its own process pinned to CPU
${results.serverCpu}; Redis, the load generator, the delay proxies and upstash-local share CPU ${results.loadCpu}.

- Machine: ${results.machine}
- Versions: ${versions(results)}
- Load: ${results.generator}, ${results.connections} connections on loopback, ${results.rounds} round(s) of ${results.durationSeconds} s per target and
  scenario after a ${results.warmupSeconds} s warm-up, targets alternating within each round (those compared by a ratio back to
  back); figures are medians of the rounds, and a ratio is the median of its rounds' ratios.
  Reads reuse one valid cookie; every login is a different user. Redis is flushed before each run.
- Server CPU: the server process's user + system time (all its threads, from \`/proc/<pid>/stat\`) over the
  load generator's window, per request served ("server CPU µs/req") and over the window's length ("core busy":
  100% is its one core fully used). Throughput alone cannot tell a costlier request from a core left idle.
${skipped}
![Throughput relative to the floor](chart.svg)

## Targets of issue 12

${targets12}

${issue12Bounds(results)}

## Earlier targets

${earlierTargets(results)}

## Authenticated read on loopback: \`GET /profile/\` with a valid cookie

${throughputTable(results, "read")}

## Each adapter against its bare framework (read)

${adaptersSection(results)}

## Node and Bun (read)

${bunSection(results)}

## Login on loopback: \`POST /login/\`

${throughputTable(results, "login")}

## Remote: ${redisScenario?.title ?? "Redis 1 ms away"}

${redisScenario ? remoteSection(redisScenario, "tessera-server", "seed-port") : "not run"}

## Remote: ${upstashScenario?.title ?? "Upstash about 5 ms away"}

${upstashScenario ? remoteSection(upstashScenario, "tessera-server", "seed-port-upstash") : "not run"}

## The delay proxy's own ceiling

\`bench/lib/delay-proxy.ts\`, its own process on CPU ${results.loadCpu}: one FIFO delay line for all connections, so order is
kept in each direction and many chunks are in flight at once.

${ceilingSection(results.remote.ceiling)}

${renderProfileBlock(results, results.profileSeconds)}

## Work per request

Counted by Redis itself (\`INFO commandstats\` for commands, \`total_reads_processed\` for round
trips), one request at a time, after a warm-up login.

${workTable}

## Memory per session

\`used_memory\` delta over ${fmt.rps(results.memory[0]?.sessions ?? 0)} sessions, 8-character usernames (like the seed's
"abdullah"), 15-minute TTL.

${memoryTable}

## Upstash requests and billed commands

Counted at \`upstash-local\` (HTTP requests) and by Redis behind it (billed commands: Upstash bills
1 per command and 1 per \`redis.call\` inside a script). The seed row is the tutorial's own calls
on \`@upstash/redis\` with its defaults.

${upstashTable}
`;
  const summary = [targets12, "", "Read:", throughputTable(results, "read"), "", "Login:", throughputTable(results, "login")].join("\n");
  const subtitle = `${date} · ${results.machine} · ${results.generator}, ${results.connections} connections, median of ${results.rounds} × ${results.durationSeconds} s`;
  const chartRows = results.throughput.filter((row) => Number.isFinite(row.requestsPerSecond));
  return { markdown, summary, chart: renderChart(chartRows, "floor-node", subtitle) };
}
