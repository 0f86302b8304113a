/**
 * `npm run bench`: tessera against its floors and its peers, side by side in one run, against one
 * private redis-server: loopback reads and logins, each adapter beside its bare framework, the
 * reference server on Bun, Redis 1 ms away and Upstash about 5 ms away through a delay proxy (with
 * the proxy's own ceiling), and a CPU profile of a read. Prints progress as it goes and writes
 * bench/RESULTS.md and bench/chart.svg.
 *
 * Options: --rounds N (5) --duration S (4, seconds per measurement) --connections C (32)
 *          --sessions N (100000, for the memory figures)
 *          --quick    1 round of 1 s, 10 000 sessions, results not written: a smoke test of the bench
 *          --profile  only the CPU profile of a read; replaces that section of bench/RESULTS.md
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { startRedisServer, type RedisServer } from "../test/support/redis-server.js";
import { chooseLoadGenerator, type LoadGenerator } from "./lib/load.js";
import { measureMemory } from "./lib/memory.js";
import { medianProfile, profileRead, type ProfileSummary } from "./lib/profile.js";
import { measureRemote } from "./lib/remote.js";
import type { ThroughputRow } from "./lib/report.js";
import { PROFILE_END, PROFILE_START, renderProfileBlock, renderReport } from "./lib/results-md.js";
import { withProfileTargetRow } from "./lib/targets-table.js";
import { StatsReader } from "./lib/redis-stats.js";
import { measureRounds, resultKey, summarise, type LoadStep } from "./lib/rounds.js";
import { HAND_READ, LOOPBACK_TARGETS, REFERENCE_SERVER, ROOT, ROUND_GROUPS, startTargets, stopAll, type StartedTarget, type Target } from "./lib/targets.js";
import { measureUpstash } from "./lib/upstash.js";
import { measureWork, type WorkPerRequest } from "./lib/work.js";

const { values: options } = parseArgs({
  options: {
    // Five: a ratio is the median of its rounds' ratios, and with three one noisy round moved an
    // adapter's ratio by up to 0.13 (Fastify's rounds in one run: 0.83×, 0.85×, 0.98×).
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "4" },
    connections: { type: "string", default: "32" },
    sessions: { type: "string", default: "100000" },
    quick: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
  },
});
const quick = options.quick ?? false;
const rounds = quick ? 1 : Number(options.rounds);
const durationSeconds = quick ? 1 : Number(options.duration);
const warmupSeconds = 1;
/** Remote scenarios are latency-bound: shorter measurements give stable medians there. */
const remoteDurationSeconds = quick ? 1 : Math.max(1, durationSeconds - 1);
const profileSeconds = quick ? 2 : 5;
/**
 * Profiled runs of the reference server; the report shows the median one (see `medianProfile`).
 * Nine: one run's share moves by up to three points from the next (8.1%, 8.9% and 11.0% in three
 * runs of the same build; the JIT inlines differently from one process to the next), and the
 * median of more runs moves less.
 */
const profileRuns = quick ? 1 : 9;
const connections = Number(options.connections);
const memorySessions = quick ? 10_000 : Number(options.sessions);
const command = `npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;

/** CPU 0 runs the server under test, CPU 1 Redis, the load generator and the proxies. */
const SERVER_CPU = 0;
const LOAD_CPU = cpus().length > 1 ? 1 : 0;

const started = Date.now();
const log = (message: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);

async function measureLoopback(redis: RedisServer, generator: LoadGenerator, running: StartedTarget[]) {
  // 1. Work per request, one request at a time, from Redis's own counters.
  const work = new Map<string, WorkPerRequest>();
  const stats = new StatsReader(redis.url);
  for (const { target, url } of running) {
    await redis.command("FLUSHALL");
    const w = await measureWork(stats, url, `work-${target.name}`);
    work.set(target.name, w);
    log(
      `work ${target.name}: read ${w.read.commands} cmd/${w.read.roundTrips} rt, login ${w.login.commands}/${w.login.roundTrips}, logout ${w.logout.commands}/${w.logout.roundTrips}`,
    );
  }
  stats.close();

  // 2. Throughput, targets alternating within each round so drift hits all alike.
  const steps: LoadStep[] = [
    { scenario: "read", connections },
    { scenario: "login", connections },
  ];
  const results = await measureRounds({
    targets: running,
    steps,
    rounds,
    warmupSeconds,
    durationSeconds,
    generator,
    loadCpu: LOAD_CPU,
    reset: () => redis.command("FLUSHALL"),
    groups: ROUND_GROUPS,
    log,
  });
  const throughput: ThroughputRow[] = running.flatMap(({ target }) =>
    steps
      .filter((step) => target.scenarios.includes(step.scenario))
      .map((step) => ({ target: target.name, label: target.label, scenario: step.scenario, ...summarise(results.get(resultKey(target.name, step))) })),
  );
  return { work, throughput };
}

/**
 * The reference server profiled `profileRuns` times (the median run by tessera's share), and the
 * same read written by hand profiled as often beside it (its median by its own code's share), the
 * two taking turns so that both see the machine in the same state.
 */
async function profileOnly(redis: RedisServer, generator: LoadGenerator): Promise<ProfileSummary> {
  const serverRuns: ProfileSummary[] = [];
  const handRuns: ProfileSummary[] = [];
  const serverShare = (profile: ProfileSummary) => profile.tesseraShare;
  const handShare = (profile: ProfileSummary) => profile.targetCodeShare;
  const profileTarget = async (target: Target, run: number, shareOf: (profile: ProfileSummary) => number, what: string) => {
    const profile = await profileRead({
      redisUrl: redis.url,
      generator,
      serverCpu: SERVER_CPU,
      loadCpu: LOAD_CPU,
      connections,
      warmupSeconds: 2,
      durationSeconds: profileSeconds,
      log,
      target,
    });
    log(`profile ${target.name} ${run}/${profileRuns}: ${what} ${(shareOf(profile) * 100).toFixed(1)}% of busy CPU over ${profile.requests} reads`);
    return profile;
  };
  for (let run = 1; run <= profileRuns; run++) {
    serverRuns.push(await profileTarget(REFERENCE_SERVER, run, serverShare, "tessera's own code"));
    handRuns.push(await profileTarget(HAND_READ, run, handShare, "its own code"));
  }
  return { ...medianProfile(serverRuns, serverShare), handWritten: medianProfile(handRuns, handShare) };
}

async function main(): Promise<void> {
  const generator = chooseLoadGenerator();
  const machine = `${cpus()[0]?.model ?? "?"} × ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
  log(`machine: ${machine}; load by ${generator}`);
  const redis = await startRedisServer();
  const running: StartedTarget[] = [];
  const cleanup = async () => {
    await stopAll(running);
    await redis.dispose();
  };
  process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));
  try {
    if (redis.pid !== undefined) spawnSync("taskset", ["-p", "-c", String(LOAD_CPU), String(redis.pid)]);
    log(`redis-server ${redis.url} (pinned to CPU ${LOAD_CPU}); servers under test on CPU ${SERVER_CPU}`);

    if (options.profile) {
      const profile = await profileOnly(redis, generator);
      const block = renderProfileBlock({ profile, connections }, profileSeconds);
      const path = `${ROOT}bench/RESULTS.md`;
      const current = existsSync(path) ? readFileSync(path, "utf8") : "";
      const at = current.indexOf(PROFILE_START);
      const end = current.indexOf(PROFILE_END);
      console.log(`\n${block}\n`);
      if (quick) log("quick run: bench/RESULTS.md left unchanged");
      else if (at >= 0 && end > at) {
        const head = current.slice(0, at);
        const rewrittenHead = withProfileTargetRow(head, profile);
        writeFileSync(path, (rewrittenHead ?? head) + block + current.slice(end + PROFILE_END.length));
        log(
          `replaced the CPU profile section of bench/RESULTS.md${rewrittenHead !== undefined ? " and its row in the targets table" : " (its targets table has no profile row)"}`,
        );
      } else log("bench/RESULTS.md has no profile section to replace: run the whole bench once");
      return;
    }

    log(`loopback: ${LOOPBACK_TARGETS.length} targets, ${rounds} round(s) of ${durationSeconds} s (+${warmupSeconds} s warm-up), ${connections} connections`);
    const loopbackStart = await startTargets(LOOPBACK_TARGETS, { REDIS_URL: redis.url }, SERVER_CPU, log);
    running.push(...loopbackStart.started);
    const { work, throughput } = await measureLoopback(redis, generator, running);
    await stopAll(running.splice(0));

    log(`memory: ${memorySessions} sessions per layout`);
    const memory = await measureMemory(redis, memorySessions, (message) => log(`memory: ${message}`));
    for (const row of memory) log(`memory ${row.layout}: ${row.bytesPerSession.toFixed(1)} bytes/session`);

    log("upstash: counting HTTP requests and billed commands through upstash-local");
    await redis.command("FLUSHALL");
    const upstash = await measureUpstash(redis);
    for (const row of upstash) log(`upstash ${row.stack} ${row.operation}: ${row.httpRequests} HTTP, ${row.billedCommands} billed`);

    log("remote: the proxy's ceiling, Redis 1 ms away, Upstash about 5 ms away");
    const remote = await measureRemote({
      redis,
      generator,
      serverCpu: SERVER_CPU,
      loadCpu: LOAD_CPU,
      rounds,
      warmupSeconds,
      durationSeconds: remoteDurationSeconds,
      log,
    });

    log(`profile: the reference server under --cpu-prof, ${profileRuns} run(s) of ${profileSeconds} s of reads`);
    await redis.command("FLUSHALL");
    const profile = await profileOnly(redis, generator);

    const report = renderReport({
      generator,
      machine,
      command,
      rounds,
      durationSeconds,
      warmupSeconds,
      profileSeconds,
      connections,
      serverCpu: SERVER_CPU,
      loadCpu: LOAD_CPU,
      targets: LOOPBACK_TARGETS,
      skipped: [...loopbackStart.skipped, ...remote.scenarios.flatMap((s) => s.skipped)],
      work,
      throughput,
      memory,
      upstash,
      remote,
      profile,
    });
    console.log(`\n${report.summary}\n`);
    if (quick) {
      log("quick run: bench/RESULTS.md and bench/chart.svg left unchanged (written to bench-dist/ instead)");
      writeFileSync(`${ROOT}bench-dist/RESULTS.quick.md`, report.markdown);
    } else {
      // `npm run bench:scale` owns the "## Scale" section (a long run of its own): keep it.
      const previous = existsSync(`${ROOT}bench/RESULTS.md`) ? readFileSync(`${ROOT}bench/RESULTS.md`, "utf8") : "";
      const scaleAt = previous.indexOf("\n## Scale\n");
      writeFileSync(`${ROOT}bench/RESULTS.md`, scaleAt === -1 ? report.markdown : `${report.markdown.trimEnd()}\n${previous.slice(scaleAt)}`);
      writeFileSync(`${ROOT}bench/chart.svg`, report.chart);
      log("wrote bench/RESULTS.md and bench/chart.svg");
    }
  } finally {
    await cleanup();
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
