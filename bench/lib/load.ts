import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import type { ServerCpu } from "./process-cpu.js";
import { pinned } from "./processes.js";

/** One load run: a fixed number of connections for a fixed time. */
export interface LoadSpec {
  url: string;
  scenario: "read" | "login";
  /** Cookie header for reads. */
  cookie?: string;
  connections: number;
  durationSeconds: number;
  /** Prefix of generated usernames for logins (each login is a different user). */
  userPrefix?: string;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Socket errors and timeouts. */
  errors: number;
  /** Responses that were not 2xx. A correct run has none. */
  non2xx: number;
  /** The server's CPU during the run, where it could be read (see `process-cpu.ts`). */
  serverCpu?: ServerCpu | undefined;
}

export type LoadGenerator = "wrk" | "autocannon";

/** wrk when installed (a C load generator costs the server less CPU), else autocannon from npm. */
export function chooseLoadGenerator(): LoadGenerator {
  return spawnSync("wrk", ["-v"]).error ? "autocannon" : "wrk";
}

const scripts = mkdtempSync(join(tmpdir(), "tessera-bench-"));
const RESULT_LINE = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH_RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(99)))
end
`;
const READ_SCRIPT = join(scripts, "read.lua");
writeFileSync(READ_SCRIPT, `wrk.method = "GET"\nwrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")\n${RESULT_LINE}`);
const LOGIN_SCRIPT = join(scripts, "login.lua");
writeFileSync(
  LOGIN_SCRIPT,
  `local counter = 0
local prefix = os.getenv("BENCH_PREFIX") or "u"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, '{"username":"' .. prefix .. counter .. '"}')
end
${RESULT_LINE}`,
);

function runWrk(spec: LoadSpec, cpu: number | undefined): LoadResult {
  const path = spec.scenario === "read" ? "/profile/" : "/login/";
  const [file, args] = pinned(cpu, "wrk", [
    "-t1",
    `-c${spec.connections}`,
    `-d${spec.durationSeconds}s`,
    "--timeout",
    "5s",
    "-s",
    spec.scenario === "read" ? READ_SCRIPT : LOGIN_SCRIPT,
    spec.url + path,
  ]);
  const run = spawnSync(file, args, {
    encoding: "utf8",
    env: { ...process.env, BENCH_COOKIE: spec.cookie ?? "", BENCH_PREFIX: spec.userPrefix ?? "u" },
    timeout: (spec.durationSeconds + 30) * 1000,
  });
  const line = /BENCH_RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(run.stdout);
  if (!line) throw new Error(`wrk printed no result:\n${run.stdout}\n${run.stderr}`);
  const [, requests, durationUs, errors, non2xx, p50Us, p99Us] = line.map(Number) as number[];
  return {
    requestsPerSecond: requests! / (durationUs! / 1e6),
    p50Ms: p50Us! / 1000,
    p99Ms: p99Us! / 1000,
    requests: requests!,
    errors: errors!,
    non2xx: non2xx!,
  };
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  let counter = 0;
  const prefix = spec.userPrefix ?? "u";
  const result = await autocannon({
    url: spec.url + (spec.scenario === "read" ? "/profile/" : "/login/"),
    connections: spec.connections,
    duration: spec.durationSeconds,
    method: spec.scenario === "read" ? "GET" : "POST",
    headers: spec.scenario === "read" ? { cookie: spec.cookie ?? "" } : { "content-type": "application/json" },
    ...(spec.scenario === "login"
      ? { requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, body: `{"username":"${prefix}${++counter}"}` }) }] }
      : {}),
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

export async function runLoad(generator: LoadGenerator, spec: LoadSpec, cpu?: number): Promise<LoadResult> {
  return generator === "wrk" ? runWrk(spec, cpu) : runAutocannon(spec);
}
