import { spawnSync } from "node:child_process";
import { freePort } from "../../test/support/ports.js";
import type { RedisServer } from "../../test/support/redis-server.js";
import type { LoadGenerator } from "./load.js";
import { startProcess, type RunningProcess } from "./processes.js";
import { measureRounds, resultKey, summarise, type LoadStep, type Summary } from "./rounds.js";
import { FLOOR_NODE, REFERENCE_SERVER, ROOT, SEED_PORT, SEED_PORT_UPSTASH, startTargets, stopAll, type SkippedTarget, type Target } from "./targets.js";

export interface RemoteOptions {
  redis: RedisServer;
  generator: LoadGenerator;
  serverCpu: number;
  /** Redis, the load generator, the proxies and upstash-local: everything that is "the network". */
  loadCpu: number;
  rounds: number;
  warmupSeconds: number;
  durationSeconds: number;
  log: (message: string) => void;
}

/** One remote scenario: each target's figures at each step, and what the link really added. */
export interface RemoteScenario {
  title: string;
  /** The requested round trip the proxy adds, and the median it really added (measured). */
  requestedRoundTripMs: number;
  measuredRoundTripMs: number;
  /** How the round trip was measured, with the two medians. */
  calibration: string;
  targets: Target[];
  summaries: Map<string, Summary>;
  skipped: SkippedTarget[];
}

/** redis-benchmark through the proxy and straight to Redis: the proxy's own ceiling. */
export interface RedisBenchmarkRow {
  path: string;
  load: string;
  requestsPerSecond: number;
  p50Ms: number;
}

export interface ProxyCeiling {
  floorDirect: Summary;
  floorThroughProxy: Summary;
  redisBenchmark: RedisBenchmarkRow[];
}

/** Latency at one connection, and throughput and latency at 32: the figures issue 12 asks for. */
export const REMOTE_STEPS: LoadStep[] = [
  { scenario: "read", connections: 1 },
  { scenario: "read", connections: 32 },
];
const UPSTASH_TOKEN = "bench-upstash-token";

async function startProxy(targetPort: number, oneWayDelayMs: number, cpu: number): Promise<{ port: number; process: RunningProcess }> {
  const port = await freePort();
  const running = await startProcess(
    process.execPath,
    [`${ROOT}bench-dist/bench/proxy.js`, "--target", `127.0.0.1:${targetPort}`, "--delay-ms", String(oneWayDelayMs), "--port", String(port)],
    { env: {}, ready: /^ready/, cpu },
  );
  return { port, process: running };
}

/** `redis-benchmark --csv` for GET; null when redis-benchmark is not installed. */
function redisBenchmark(port: number, connections: number, pipeline: number, requests: number): { requestsPerSecond: number; p50Ms: number } | null {
  const run = spawnSync(
    "redis-benchmark",
    ["-h", "127.0.0.1", "-p", String(port), "-c", String(connections), "-P", String(pipeline), "-n", String(requests), "-t", "get", "--csv"],
    {
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",…
  const row = /^"GET","([\d.]+)","[\d.]+","[\d.]+","([\d.]+)"/m.exec(run.stdout ?? "");
  return row ? { requestsPerSecond: Number(row[1]), p50Ms: Number(row[2]) } : null;
}

/** Median time of `count` sequential `PING`s over Upstash's REST API at `url`. */
async function upstashRoundTripMs(url: string, count: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${UPSTASH_TOKEN}` }, body: '["PING"]' });
    await response.arrayBuffer();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function measureScenario(
  options: RemoteOptions,
  title: string,
  targets: Target[],
  env: Record<string, string>,
  link: { requestedRoundTripMs: number; measuredRoundTripMs: number; calibration: string },
): Promise<RemoteScenario> {
  const { started, skipped } = await startTargets(targets, env, options.serverCpu, options.log);
  try {
    const results = await measureRounds({
      ...options,
      targets: started,
      steps: REMOTE_STEPS,
      loadCpu: options.loadCpu,
      reset: () => options.redis.command("FLUSHALL"),
    });
    const summaries = new Map<string, Summary>();
    for (const target of targets)
      for (const step of REMOTE_STEPS) summaries.set(resultKey(target.name, step), summarise(results.get(resultKey(target.name, step))));
    return { title, ...link, targets, summaries, skipped };
  } finally {
    await stopAll(started);
  }
}

/**
 * The proxy's ceiling, then Redis 1 ms away (1 ms each way) and Upstash about 5 ms away
 * (upstash-local behind the proxy, 2.5 ms each way). Every target is started fresh for its
 * scenario and stopped after it.
 */
export async function measureRemote(options: RemoteOptions): Promise<{ ceiling: ProxyCeiling; scenarios: RemoteScenario[] }> {
  const { redis, log } = options;
  const redisPort = Number(new URL(redis.url).port);
  const helpers: RunningProcess[] = [];
  try {
    // 1. Ceiling: the floor straight to Redis and through a zero-delay proxy; redis-benchmark both ways.
    const direct = await startProxy(redisPort, 0, options.loadCpu);
    helpers.push(direct.process);
    const floorThroughProxy: Target = {
      ...FLOOR_NODE,
      name: "floor-node-via-proxy",
      label: `${FLOOR_NODE.label}, Redis through the proxy at 0 ms`,
      scenarios: ["read"],
    };
    const floorStarted = [
      ...(await startTargets([{ ...FLOOR_NODE, scenarios: ["read"] }], { REDIS_URL: redis.url }, options.serverCpu, log)).started,
      ...(await startTargets([floorThroughProxy], { REDIS_URL: `redis://127.0.0.1:${direct.port}` }, options.serverCpu, log)).started,
    ];
    const ceilingStep: LoadStep = { scenario: "read", connections: 32 };
    const ceilingRuns = await measureRounds({ ...options, targets: floorStarted, steps: [ceilingStep], reset: () => redis.command("FLUSHALL") });
    await stopAll(floorStarted);

    const oneMs = await startProxy(redisPort, 1, options.loadCpu);
    helpers.push(oneMs.process);
    const redisBenchmarkRows: RedisBenchmarkRow[] = [];
    const paths: Array<[string, number]> = [
      ["straight to Redis", redisPort],
      ["proxy, 0 ms", direct.port],
      ["proxy, 1 ms each way", oneMs.port],
    ];
    for (const [path, port] of paths) {
      for (const [load, connections, pipeline, requests] of [
        ["1 connection", 1, 1, 1_000],
        ["32 connections, pipelines of 16", 32, 16, 300_000],
      ] as const) {
        const row = redisBenchmark(port, connections, pipeline, requests);
        if (row) redisBenchmarkRows.push({ path, load, ...row });
        log(`redis-benchmark GET ${path}, ${load}: ${row ? `${Math.round(row.requestsPerSecond)} req/s, p50 ${row.p50Ms} ms` : "redis-benchmark unavailable"}`);
      }
    }
    const ceiling: ProxyCeiling = {
      floorDirect: summarise(ceilingRuns.get(resultKey(FLOOR_NODE.name, ceilingStep))),
      floorThroughProxy: summarise(ceilingRuns.get(resultKey(floorThroughProxy.name, ceilingStep))),
      redisBenchmark: redisBenchmarkRows,
    };

    // 2. Redis 1 ms away. The round trip it really adds: redis-benchmark's p50 at one connection.
    const straight = redisBenchmarkRows.find((r) => r.path === "straight to Redis" && r.load === "1 connection")?.p50Ms ?? 0;
    const delayed = redisBenchmarkRows.find((r) => r.path === "proxy, 1 ms each way" && r.load === "1 connection")?.p50Ms ?? Number.NaN;
    const redisScenario = await measureScenario(
      options,
      "Redis 1 ms away (1 ms each way)",
      [REFERENCE_SERVER, SEED_PORT, FLOOR_NODE],
      { REDIS_URL: `redis://127.0.0.1:${oneMs.port}` },
      {
        requestedRoundTripMs: 2,
        measuredRoundTripMs: delayed - straight,
        calibration: `redis-benchmark GET at one connection, p50 ${delayed.toFixed(2)} ms through the proxy, ${straight.toFixed(2)} ms straight`,
      },
    );

    // 3. Upstash about 5 ms away: upstash-local in front of Redis, the proxy in front of it.
    const restPort = await freePort();
    const rest = await startProcess(process.execPath, [`${ROOT}bench-dist/bench/targets/upstash-local.js`], {
      env: { PORT: String(restPort), REDIS_URL: redis.url, UPSTASH_REDIS_REST_TOKEN: UPSTASH_TOKEN },
      ready: /^ready/,
      cpu: options.loadCpu,
    });
    helpers.push(rest);
    const far = await startProxy(restPort, 2.5, options.loadCpu);
    helpers.push(far.process);
    const farUrl = `http://127.0.0.1:${far.port}`;
    const throughProxyMs = await upstashRoundTripMs(farUrl, 200);
    const straightMs = await upstashRoundTripMs(`http://127.0.0.1:${restPort}`, 200);
    const upstashScenario = await measureScenario(
      options,
      "Upstash about 5 ms away (upstash-local behind the proxy, 2.5 ms each way)",
      [REFERENCE_SERVER, SEED_PORT_UPSTASH],
      // REDIS_URL emptied: the server refuses to start with both stores configured.
      { UPSTASH_REDIS_REST_URL: farUrl, UPSTASH_REDIS_REST_TOKEN: UPSTASH_TOKEN, REDIS_URL: "" },
      {
        requestedRoundTripMs: 5,
        measuredRoundTripMs: throughProxyMs - straightMs,
        calibration: `200 sequential PINGs by fetch, median ${throughProxyMs.toFixed(2)} ms through the proxy, ${straightMs.toFixed(2)} ms straight`,
      },
    );
    return { ceiling, scenarios: [redisScenario, upstashScenario] };
  } finally {
    await Promise.all(helpers.map((p) => p.stop()));
  }
}
