/**
 * Failover measurement (issue 11, item 5): the reference server on a private Redis Cluster
 * (3 masters, 3 replicas), or on a primary and a replica under 3 sentinels, under login + read
 * load; `kill -9` of a master; then what clients saw.
 *
 *   npm run build && npx tsc -p tsconfig.bench.json && node bench-dist/bench/failover.js
 *
 * Options: --topology cluster|sentinel (default cluster)
 *          --wait both|0|1 (REDIS_WAIT_REPLICAS for the server; default both, one run each)
 *          --workers 8 (concurrent clients)  --warmup-ms 3000  --observe-ms 20000 (after the kill)
 *          --restart-after-ms 10000 (the killed node is started again then, and rejoins as a replica)
 *          --node-timeout-ms 2000 (cluster-node-timeout; Redis's default is 15000, and the failover
 *          window grows with it)
 *          --down-after-ms 1000 (Sentinel's down-after-milliseconds; Redis's default is 30000). The
 *          killed primary restarts empty and Sentinel makes it a replica by itself (no REPLICAOF
 *          from here), so with --wait 1 logins are refused until Sentinel has done so.
 *
 * Reported per run: every status seen (allowed: 2xx, and 503 with Retry-After), the failure window,
 * recovery per request kind without restarting the app, and acknowledged logins lost (each
 * acknowledged login's cookie is checked against the server after the cluster is healthy again).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort, sleep } from "../test/support/ports.js";
import { startRedisCluster, type ClusterNode } from "../test/support/redis-cluster.js";
import { startRedisSentinelGroup } from "../test/support/redis-sentinel.js";
import type { RedisServer } from "../test/support/redis-server.js";
import { HANG_TIMEOUT_MS, startLoad, verifyLogins, type Observation, type RequestKind } from "./lib/failover-load.js";
import { startProcess } from "./lib/processes.js";

const { values: options } = parseArgs({
  options: {
    topology: { type: "string", default: "cluster" },
    wait: { type: "string", default: "both" },
    workers: { type: "string", default: "8" },
    "warmup-ms": { type: "string", default: "3000" },
    "observe-ms": { type: "string", default: "20000" },
    "restart-after-ms": { type: "string", default: "10000" },
    "node-timeout-ms": { type: "string", default: "2000" },
    "down-after-ms": { type: "string", default: "1000" },
  },
});
const root = fileURLToPath(new URL("../../", import.meta.url)); // bench-dist/bench → repository root
const serverMain = `${root}packages/server/dist/main.js`;
const waitModes = options.wait === "both" ? [0, 1] : [Number(options.wait)];
const workers = Number(options.workers);
const warmupMs = Number(options["warmup-ms"]);
const observeMs = Number(options["observe-ms"]);
const restartAfterMs = Number(options["restart-after-ms"]);
const nodeTimeoutMs = Number(options["node-timeout-ms"]);
const downAfterMs = Number(options["down-after-ms"]);
if (options.topology !== "cluster" && options.topology !== "sentinel") throw new Error(`--topology must be cluster or sentinel, not ${options.topology}`);
const topology = options.topology;

/** The Redis deployment under test, as the run uses it. */
interface Deployment {
  /** The server's variables that point it at the deployment. */
  env: Record<string, string>;
  /** `kill -9` of a master; resolves with its address. */
  killMaster(): Promise<string>;
  /** Starts the killed master again; it comes back as a replica (by itself, or through Sentinel). */
  restartKilled(): Promise<void>;
  /** Resolves once the deployment is whole again. */
  waitUntilHealthy(): Promise<void>;
  dispose(): Promise<void>;
}

async function startCluster(): Promise<Deployment> {
  log(`starting a cluster (cluster-node-timeout ${nodeTimeoutMs} ms)`);
  const cluster = await startRedisCluster({ nodeTimeoutMs });
  let victim: ClusterNode | undefined;
  return {
    env: { REDIS_CLUSTER_NODES: cluster.startupNodes.join(",") },
    async killMaster() {
      [victim] = await cluster.masters();
      await cluster.kill(victim!);
      return victim!.address;
    },
    restartKilled: () => cluster.restart(victim!),
    waitUntilHealthy: () => cluster.waitUntilHealthy(30_000),
    dispose: () => cluster.dispose(),
  };
}

async function startSentinel(): Promise<Deployment> {
  log(`starting a primary, a replica and 3 sentinels (down-after-milliseconds ${downAfterMs} ms)`);
  const group = await startRedisSentinelGroup({ sentinelCount: 3, downAfterMs });
  let victim: RedisServer | undefined;
  return {
    env: { REDIS_SENTINELS: group.sentinelAddresses.join(","), REDIS_SENTINEL_NAME: group.masterName },
    async killMaster() {
      victim = await group.primary();
      await victim.kill();
      return `127.0.0.1:${victim.port}`;
    },
    restartKilled: () => victim!.start(),
    waitUntilHealthy: () => group.waitUntilReplicating(victim!, 60_000),
    dispose: () => group.dispose(),
  };
}

interface RunReport {
  waitReplicas: number;
  statuses: Record<string, number>;
  violations: Observation[];
  firstFailureMs: number | undefined;
  lastFailureMs: number | undefined;
  recoveredMs: Record<RequestKind, number | undefined>;
  slowestMsAfterKill: number;
  /** Per second after the kill: failed/total, logins and reads. */
  timeline: string[];
  acknowledged: number;
  acknowledgedAroundKill: number;
  lost: number;
  undetermined: number;
}

async function run(waitReplicas: number): Promise<RunReport> {
  log(`\n== ${topology}, REDIS_WAIT_REPLICAS=${waitReplicas}`);
  const deployment = topology === "cluster" ? await startCluster() : await startSentinel();
  const port = await freePort();
  const server = await startProcess(process.execPath, [serverMain], {
    env: { HOST: "127.0.0.1", PORT: String(port), ...deployment.env, REDIS_WAIT_REPLICAS: String(waitReplicas) },
    ready: /listening on/,
  });
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    const load = startLoad(baseUrl, { workers, maxRequests: 2_000_000, runId: `fo${waitReplicas}-${Date.now().toString(36)}` });
    await sleep(warmupMs);
    const killedAtMs = performance.now();
    const victim = await deployment.killMaster();
    log(`killed master ${victim} (kill -9) at +${Math.round(warmupMs)} ms; observing for ${observeMs} ms; it restarts after ${restartAfterMs} ms`);
    await sleep(restartAfterMs);
    await deployment.restartKilled();
    await sleep(Math.max(0, observeMs - restartAfterMs));
    await load.stop();
    await deployment.waitUntilHealthy();
    log(`load stopped; verifying ${load.acknowledged.length} acknowledged logins`);
    const verification = await verifyLogins(baseUrl, load.acknowledged);
    return summarize(
      waitReplicas,
      load.observations,
      killedAtMs,
      load.acknowledged.length,
      load.acknowledged.filter((login) => Math.abs(login.acknowledgedAtMs - killedAtMs) < 1000).length,
      verification,
    );
  } finally {
    await server.stop();
    await deployment.dispose();
  }
}

function summarize(
  waitReplicas: number,
  observations: readonly Observation[],
  killedAtMs: number,
  acknowledged: number,
  acknowledgedAroundKill: number,
  verification: { lost: unknown[]; undetermined: number },
): RunReport {
  const isFailure = (observation: Observation) => observation.status < 200 || observation.status >= 300;
  const isAllowed = (observation: Observation) => !isFailure(observation) || (observation.status === 503 && observation.retryAfter !== null);
  const statuses: Record<string, number> = {};
  for (const observation of observations) {
    const key = `${observation.kind} ${observation.status === 0 ? "no answer" : observation.status}${observation.status === 503 ? (observation.retryAfter === null ? " (no Retry-After!)" : ` Retry-After: ${observation.retryAfter}`) : ""}`;
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  const afterKill = observations.filter((observation) => observation.finishedAtMs >= killedAtMs);
  const failures = afterKill.filter(isFailure);
  const recoveredMs = {} as Record<RequestKind, number | undefined>;
  for (const kind of ["login", "read"] as const) {
    const lastFailure = failures.filter((observation) => observation.kind === kind).at(-1);
    recoveredMs[kind] = lastFailure === undefined ? 0 : lastFailure.finishedAtMs - killedAtMs;
  }
  const timeline: string[] = [];
  for (let second = 0; second * 1000 < Math.max(0, ...afterKill.map((observation) => observation.finishedAtMs - killedAtMs)); second++) {
    const inSecond = afterKill.filter((observation) => Math.floor((observation.finishedAtMs - killedAtMs) / 1000) === second);
    const share = (kind: RequestKind) => {
      const ofKind = inSecond.filter((observation) => observation.kind === kind);
      return `${ofKind.filter(isFailure).length}/${ofKind.length}`;
    };
    timeline.push(`+${second}s logins ${share("login")} reads ${share("read")}`);
  }
  return {
    waitReplicas,
    timeline,
    statuses,
    violations: observations.filter((observation) => !isAllowed(observation)),
    firstFailureMs: failures[0] === undefined ? undefined : failures[0].finishedAtMs - killedAtMs,
    lastFailureMs: failures.at(-1) === undefined ? undefined : failures.at(-1)!.finishedAtMs - killedAtMs,
    recoveredMs,
    slowestMsAfterKill: Math.max(0, ...afterKill.map((observation) => observation.finishedAtMs - observation.startedAtMs)),
    acknowledged,
    acknowledgedAroundKill,
    lost: verification.lost.length,
    undetermined: verification.undetermined,
  };
}

function print(report: RunReport): void {
  const ms = (value: number | undefined) => (value === undefined ? "none" : `${Math.round(value)} ms`);
  log(`\n-- ${topology}, REDIS_WAIT_REPLICAS=${report.waitReplicas} --`);
  log("statuses seen (whole run):");
  for (const [key, count] of Object.entries(report.statuses).sort()) log(`  ${key}: ${count}`);
  log(`not allowed (anything but 2xx or 503 with Retry-After, incl. no answer within ${HANG_TIMEOUT_MS} ms): ${report.violations.length}`);
  for (const violation of report.violations.slice(0, 5)) log(`  ${violation.kind} ${violation.status} ${violation.error ?? ""}`);
  log(`failures after the kill: first at +${ms(report.firstFailureMs)}, last at +${ms(report.lastFailureMs)}`);
  log(
    `recovered (last failure of that kind, after the kill): reads +${ms(report.recoveredMs.read)}, logins +${ms(report.recoveredMs.login)} — app not restarted`,
  );
  log(`slowest request after the kill: ${ms(report.slowestMsAfterKill)}`);
  log(`failed/total per second after the kill: ${report.timeline.join("; ")}`);
  log(
    `acknowledged logins: ${report.acknowledged} (${report.acknowledgedAroundKill} within 1 s of the kill); lost: ${report.lost}; undetermined (no 200/404 after retries): ${report.undetermined}`,
  );
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

if (!existsSync(serverMain)) throw new Error(`${serverMain} is missing: run \`npm run build\` first`);
const reports: RunReport[] = [];
for (const waitReplicas of waitModes) reports.push(await run(waitReplicas));
reports.forEach(print);
if (reports.some((report) => report.violations.length > 0)) process.exitCode = 1;
