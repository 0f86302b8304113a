/**
 * `npm run bench`: tessera against its floors and its peers, side by side in one run, against one
 * private redis-server. Prints progress as it goes and writes bench/RESULTS.md and bench/chart.svg.
 *
 * Options: --rounds N (3) --duration S (4, seconds per measurement) --connections C (32)
 *          --sessions N (100000, for the memory figures) --quick (1 round of 1 s, 10 000 sessions,
 *          results not written: a smoke test of the bench itself).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort } from "../test/support/ports.js";
import { startRedisServer, type RedisServer } from "../test/support/redis-server.js";
import { chooseLoadGenerator, runLoad, type LoadResult } from "./lib/load.js";
import { measureMemory, type MemoryRow } from "./lib/memory.js";
import { startProcess, type RunningProcess } from "./lib/processes.js";
import { fmt, renderChart, table, type ThroughputRow } from "./lib/report.js";
import { measureUpstash, type UpstashRow } from "./lib/upstash.js";
import { StatsReader } from "./lib/redis-stats.js";
import { measureWork, type WorkPerRequest } from "./lib/work.js";

const { values: options } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "4" },
    connections: { type: "string", default: "32" },
    sessions: { type: "string", default: "100000" },
    quick: { type: "boolean", default: false },
  },
});
const quick = options.quick ?? false;
const rounds = quick ? 1 : Number(options.rounds);
const durationSeconds = quick ? 1 : Number(options.duration);
const warmupSeconds = quick ? 1 : 2;
const connections = Number(options.connections);
const memorySessions = quick ? 10_000 : Number(options.sessions);
const root = fileURLToPath(new URL("../../", import.meta.url)); // bench-dist/bench → repository root
const dist = fileURLToPath(new URL("../", import.meta.url)); // bench-dist/

/** CPU 0 runs the server under test, CPU 1 Redis and the load generator. */
const SERVER_CPU = 0;
const LOAD_CPU = cpus().length > 1 ? 1 : 0;

interface Target {
  name: string;
  label: string;
  args: string[];
  ready: RegExp;
}

const TARGETS: Target[] = [
  { name: "floor-node", label: "raw node:http + one GETEX (floor)", args: ["bench/targets/floor-node.js"], ready: /^ready/ },
  { name: "floor-hono", label: "bare Hono + one GETEX (framework floor)", args: ["bench/targets/floor-hono.js"], ready: /^ready/ },
  { name: "tessera-server", label: "tessera reference server", args: ["src/server/main.js"], ready: /listening on/ },
  { name: "tessera-hono", label: "tessera middleware on bare Hono", args: ["bench/targets/tessera-hono.js"], ready: /^ready/ },
  { name: "fastify-session", label: "@fastify/session + connect-redis (rolling)", args: ["bench/targets/fastify-session.js"], ready: /^ready/ },
  { name: "seed-port", label: "seed port (Hono, HGETALL + EXPIRE)", args: ["bench/targets/seed-port.js"], ready: /^ready/ },
  { name: "express-session", label: "express-session + connect-redis (rolling)", args: ["bench/targets/express-session.js"], ready: /^ready/ },
];

const started = Date.now();
const log = (message: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(`${root}node_modules/${pkg}/package.json`, "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

async function login(baseUrl: string, username: string): Promise<string> {
  const response = await fetch(`${baseUrl}/login/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username }) });
  if (!response.ok) throw new Error(`${baseUrl}/login/ answered ${response.status}`);
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  if (!cookie) throw new Error(`${baseUrl}/login/ set no cookie`);
  const check = await fetch(`${baseUrl}/profile/`, { headers: { cookie } });
  if (check.status !== 200) throw new Error(`${baseUrl}/profile/ answered ${check.status} with a fresh cookie`);
  return cookie;
}

async function main(): Promise<void> {
  const generator = chooseLoadGenerator();
  const machine = `${cpus()[0]?.model ?? "?"} × ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
  log(`tessera benchmark: ${TARGETS.length} targets × 2 scenarios × ${rounds} round(s) of ${durationSeconds} s (+${warmupSeconds} s warm-up), ${connections} connections, load by ${generator}`);
  log(`machine: ${machine}`);

  const redis: RedisServer = await startRedisServer();
  const processes: RunningProcess[] = [];
  const cleanup = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await redis.dispose();
  };
  process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));
  try {
    if (redis.pid !== undefined) spawnSync("taskset", ["-p", "-c", String(LOAD_CPU), String(redis.pid)]);
    log(`redis-server ${redis.url} (pinned to CPU ${LOAD_CPU}); servers under test on CPU ${SERVER_CPU}`);

    const urls = new Map<string, string>();
    for (const target of TARGETS) {
      const port = await freePort();
      const running = await startProcess(process.execPath, target.args.map((arg) => dist + arg), {
        env: { PORT: String(port), HOST: "127.0.0.1", REDIS_URL: redis.url, ACCESS_LOG: "false" },
        ready: target.ready,
        cpu: SERVER_CPU,
      });
      processes.push(running);
      urls.set(target.name, `http://127.0.0.1:${port}`);
      log(`started ${target.name} on port ${port}`);
    }

    // 1. Work per request, one request at a time, from Redis's own counters.
    const work = new Map<string, WorkPerRequest>();
    const stats = new StatsReader(redis.url);
    for (const target of TARGETS) {
      await redis.command("FLUSHALL");
      work.set(target.name, await measureWork(stats, urls.get(target.name)!, `work-${target.name}`));
      const w = work.get(target.name)!;
      log(`work ${target.name}: read ${w.read.commands} cmd/${w.read.roundTrips} rt, login ${w.login.commands}/${w.login.roundTrips}, logout ${w.logout.commands}/${w.logout.roundTrips}`);
    }
    stats.close();

    // 2. Throughput, targets alternating within each round so drift hits all alike.
    const results = new Map<string, LoadResult[]>();
    const total = rounds * 2 * TARGETS.length;
    let step = 0;
    for (let round = 0; round < rounds; round++) {
      const order = TARGETS.map((_, i) => TARGETS[(i + round) % TARGETS.length]!);
      for (const scenario of ["read", "login"] as const) {
        for (const target of order) {
          step++;
          const url = urls.get(target.name)!;
          await redis.command("FLUSHALL");
          const cookie = scenario === "read" ? await login(url, "abdullah") : undefined;
          const spec = { url, scenario, connections, ...(cookie ? { cookie } : {}) };
          await runLoad(generator, { ...spec, durationSeconds: warmupSeconds, userPrefix: `w${round}-` }, LOAD_CPU);
          const result = await runLoad(generator, { ...spec, durationSeconds, userPrefix: `r${round}-` }, LOAD_CPU);
          const key = `${target.name}/${scenario}`;
          results.set(key, [...(results.get(key) ?? []), result]);
          const flag = result.errors + result.non2xx > 0 ? `  ⚠ ${result.errors} errors, ${result.non2xx} non-2xx` : "";
          log(`[${step}/${total}] ${scenario.padEnd(5)} ${target.name.padEnd(16)} round ${round + 1}: ${fmt.rps(result.requestsPerSecond)} req/s, p50 ${fmt.ms(result.p50Ms)} ms, p99 ${fmt.ms(result.p99Ms)} ms${flag}`);
        }
      }
    }
    const throughput: ThroughputRow[] = [];
    for (const target of TARGETS) {
      for (const scenario of ["read", "login"] as const) {
        const runs = results.get(`${target.name}/${scenario}`) ?? [];
        throughput.push({
          target: target.name,
          label: target.label,
          scenario,
          requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
          p50Ms: median(runs.map((r) => r.p50Ms)),
          p99Ms: median(runs.map((r) => r.p99Ms)),
          rounds: runs.map((r) => r.requestsPerSecond),
          failures: runs.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
        });
      }
    }
    await Promise.all(processes.map((p) => p.stop()));

    // 3. Memory per session.
    log(`memory: ${memorySessions} sessions per layout`);
    const memory = await measureMemory(redis, memorySessions, (message) => log(`memory: ${message}`));
    for (const row of memory) log(`memory ${row.layout}: ${fmt.bytes(row.bytesPerSession)} bytes/session`);

    // 4. Upstash.
    log("upstash: counting HTTP requests and billed commands through upstash-local");
    await redis.command("FLUSHALL");
    const upstash = await measureUpstash(redis);
    for (const row of upstash) log(`upstash ${row.stack} ${row.operation}: ${row.httpRequests} HTTP, ${row.billedCommands} billed`);

    const report = renderReport({ generator, machine, work, throughput, memory, upstash });
    console.log(`\n${report.summary}\n`);
    if (quick) {
      log("quick run: bench/RESULTS.md and bench/chart.svg left unchanged");
    } else {
      writeFileSync(`${root}bench/RESULTS.md`, report.markdown);
      writeFileSync(`${root}bench/chart.svg`, report.chart);
      log("wrote bench/RESULTS.md and bench/chart.svg");
    }
  } finally {
    await cleanup();
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

interface Results {
  generator: string;
  machine: string;
  work: Map<string, WorkPerRequest>;
  throughput: ThroughputRow[];
  memory: MemoryRow[];
  upstash: UpstashRow[];
}

function renderReport({ generator, machine, work, throughput, memory, upstash }: Results) {
  const rps = (target: string, scenario: "read" | "login") => throughput.find((row) => row.target === target && row.scenario === scenario)?.requestsPerSecond ?? Number.NaN;
  const ratio = (a: string, b: string, scenario: "read" | "login") => rps(a, scenario) / rps(b, scenario);
  const redisVersion = execFileSync("redis-server", ["--version"], { encoding: "utf8" }).match(/v=(\S+)/)?.[1] ?? "?";
  const wrkVersion = generator === "wrk" ? (spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout.match(/wrk (\S+)/)?.[1] ?? "?") : "";
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;

  const throughputTable = (scenario: "read" | "login") =>
    table(
      ["stack", "req/s (median)", "p50 ms", "p99 ms", "vs raw node floor", "rounds (req/s)"],
      throughput
        .filter((row) => row.scenario === scenario)
        .sort((a, b) => b.requestsPerSecond - a.requestsPerSecond)
        .map((row) => [
          row.failures > 0 ? `${row.label} ⚠ ${row.failures} failed requests` : row.label,
          fmt.rps(row.requestsPerSecond),
          fmt.ms(row.p50Ms),
          fmt.ms(row.p99Ms),
          fmt.ratio(row.requestsPerSecond / rps("floor-node", scenario)),
          row.rounds.map(fmt.rps).join(", "),
        ]),
    );

  const workTable = table(
    ["stack", "read: commands / round trips", "login", "logout", "read commands"],
    TARGETS.map((target) => {
      const w = work.get(target.name)!;
      return [target.label, `${w.read.commands} / ${w.read.roundTrips}`, `${w.login.commands} / ${w.login.roundTrips}`, `${w.logout.commands} / ${w.logout.roundTrips}`, w.read.detail];
    }),
  );

  const seedMemory = memory.find((row) => row.layout.startsWith("seed"))?.bytesPerSession ?? Number.NaN;
  const tesseraMemory = memory.find((row) => row.layout === "tessera, 1 session per user")?.bytesPerSession ?? Number.NaN;
  const memoryTable = table(
    ["layout", "sessions", "users", "bytes per session", "what it stores"],
    memory.map((row) => [row.layout, fmt.rps(row.sessions), fmt.rps(row.users), fmt.bytes(row.bytesPerSession), row.stores]),
  );

  const upstashTable = table(
    ["stack", "operation", "HTTP requests", "billed commands"],
    upstash.map((row) => [row.stack, row.operation, row.httpRequests, row.billedCommands]),
  );
  const upstashRead = upstash.find((row) => row.stack.startsWith("tessera") && row.operation === "read");

  const tw = work.get("tessera-server")!;
  const check = (met: boolean) => (met ? "met" : "**missed**");
  const targetsTable = table(
    ["target", "measured", "result"],
    [
      ["1 Redis command and 1 round trip per authenticated read", `${tw.read.commands} command, ${tw.read.roundTrips} round trip`, check(tw.read.commands === 1 && tw.read.roundTrips === 1)],
      ["1 round trip per login and logout", `login ${tw.login.roundTrips}, logout ${tw.logout.roundTrips}`, check(tw.login.roundTrips === 1 && tw.logout.roundTrips === 1)],
      ["middleware ≥ 0.95× its framework's floor (read)", fmt.ratio(ratio("tessera-hono", "floor-hono", "read")), check(ratio("tessera-hono", "floor-hono", "read") >= 0.95)],
      ["reference server ≥ 0.85× raw node:http floor (read)", fmt.ratio(ratio("tessera-server", "floor-node", "read")), check(ratio("tessera-server", "floor-node", "read") >= 0.85)],
      ["reference server ≥ 3× express-session (read)", fmt.ratio(ratio("tessera-server", "express-session", "read")), check(ratio("tessera-server", "express-session", "read") >= 3)],
      ["reference server ≥ 1.2× @fastify/session (read)", fmt.ratio(ratio("tessera-server", "fastify-session", "read")), check(ratio("tessera-server", "fastify-session", "read") >= 1.2)],
      ["reference server ≥ 1.5× the seed port (read)", fmt.ratio(ratio("tessera-server", "seed-port", "read")), check(ratio("tessera-server", "seed-port", "read") >= 1.5)],
      ["≤ 197 bytes per session at 100 000 sessions, index included", `${fmt.bytes(tesseraMemory)} (seed layout here: ${fmt.bytes(seedMemory)})`, check(tesseraMemory <= 197)],
      ["Upstash: 1 HTTP request and 1 billed command per read", upstashRead ? `${upstashRead.httpRequests} / ${upstashRead.billedCommands}` : "?", check(upstashRead?.httpRequests === 1 && upstashRead.billedCommands === 1)],
    ],
  );

  const versions = [
    `node ${process.version}`,
    `redis-server ${redisVersion}`,
    generator === "wrk" ? `wrk ${wrkVersion}` : `autocannon ${versionOf("autocannon")}`,
    `hono ${versionOf("hono")}`,
    `@hono/node-server ${versionOf("@hono/node-server")}`,
    `ioredis ${versionOf("ioredis")}`,
    `redis (node-redis) ${versionOf("redis")}`,
    `express ${versionOf("express")}`,
    `express-session ${versionOf("express-session")}`,
    `connect-redis ${versionOf("connect-redis")}`,
    `fastify ${versionOf("fastify")}`,
    `@fastify/session ${versionOf("@fastify/session")}`,
    `@upstash/redis ${versionOf("@upstash/redis")}`,
  ].join(", ");

  const subtitle = `${date} · ${machine} · ${generator}, ${connections} connections, median of ${rounds} × ${durationSeconds} s`;
  const markdown = `# Benchmark results

Produced by \`${command}\` on ${date}. Absolute numbers drift between machines and runs; the
ratios within one run are the result. Every target is its own Node process pinned to CPU
${SERVER_CPU}; Redis and the load generator share CPU ${LOAD_CPU}.

- Machine: ${machine}
- Versions: ${versions}
- Load: ${generator}, ${connections} connections, ${rounds} round(s) of ${durationSeconds} s per target and scenario after a
  ${warmupSeconds} s warm-up, targets alternating within each round; figures are medians of the rounds.
  Reads reuse one valid cookie; every login is a different user. Redis is flushed before each run.

![Throughput relative to the floor](chart.svg)

## Targets

${targetsTable}

## Authenticated read: \`GET /profile/\` with a valid cookie

${throughputTable("read")}

## Login: \`POST /login/\`

${throughputTable("login")}

## Work per request

Counted by Redis itself (\`INFO commandstats\` for commands, \`total_reads_processed\` for round
trips), one request at a time, after a warm-up login.

${workTable}

## Memory per session

\`used_memory\` delta over ${fmt.rps(memory[0]?.sessions ?? 0)} sessions, 8-character usernames (like the seed's
"abdullah"), 15-minute TTL.

${memoryTable}

## Upstash

Counted at \`upstash-local\` (HTTP requests) and by Redis behind it (billed commands: Upstash bills
1 per command and 1 per \`redis.call\` inside a script). The seed row is the tutorial's own calls
on \`@upstash/redis\` with its defaults.

${upstashTable}
`;
  const summary = [targetsTable, "", "Read:", throughputTable("read"), "", "Login:", throughputTable("login")].join("\n");
  return { markdown, summary, chart: renderChart(throughput, "floor-node", subtitle) };
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
