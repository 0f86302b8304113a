import { runLoad, type LoadGenerator, type LoadResult } from "./load.js";
import { processCpuSeconds, serverCpuOf } from "./process-cpu.js";
import { fmt } from "./report.js";
import type { Scenario, StartedTarget } from "./targets.js";

/** One kind of measurement repeated every round: a scenario at a number of connections. */
export interface LoadStep {
  scenario: Scenario;
  connections: number;
}

export interface RoundsOptions {
  targets: StartedTarget[];
  steps: LoadStep[];
  rounds: number;
  warmupSeconds: number;
  durationSeconds: number;
  generator: LoadGenerator;
  loadCpu: number;
  /** Targets (by name) that run back to back in every round; the others run alone. @default none */
  groups?: ReadonlyArray<readonly string[]>;
  /** Runs before each measurement (e.g. FLUSHALL), so every target starts from the same state. */
  reset: () => Promise<unknown>;
  log: (message: string) => void;
}

/** Median figures of one target in one step, with every round's throughput. */
export interface Summary {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  rounds: number[];
  failures: number;
  /** The server's CPU time per request, in µs (median over rounds; NaN where it could not be read). */
  cpuMicrosecondsPerRequest: number;
  /** How busy the server's core was: CPU time over the run's time (median over rounds; NaN where unknown). */
  busyShare: number;
}

export const resultKey = (target: string, step: LoadStep) => `${target}/${step.scenario}/${step.connections}`;

const median = (values: number[]) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export function summarise(runs: LoadResult[] | undefined): Summary {
  const all = runs ?? [];
  return {
    requestsPerSecond: median(all.map((r) => r.requestsPerSecond)),
    p50Ms: median(all.map((r) => r.p50Ms)),
    p99Ms: median(all.map((r) => r.p99Ms)),
    rounds: all.map((r) => r.requestsPerSecond),
    failures: all.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
    cpuMicrosecondsPerRequest: median(all.flatMap((r) => (r.serverCpu ? [r.serverCpu.microsecondsPerRequest] : []))),
    busyShare: median(all.flatMap((r) => (r.serverCpu ? [r.serverCpu.busyShare] : []))),
  };
}

/** Logs in as `username` and returns the `name=value` part of the session cookie, checked by one read. */
export async function login(baseUrl: string, username: string): Promise<string> {
  const response = await fetch(`${baseUrl}/login/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username }) });
  if (!response.ok) throw new Error(`${baseUrl}/login/ answered ${response.status}: ${await response.text()}`);
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  if (!cookie) throw new Error(`${baseUrl}/login/ set no cookie`);
  const check = await fetch(`${baseUrl}/profile/`, { headers: { cookie } });
  if (check.status !== 200) throw new Error(`${baseUrl}/profile/ answered ${check.status} with a fresh cookie`);
  return cookie;
}

/**
 * The order of one round: the groups (a target outside every group is a group of one) rotate from
 * round to round, and each group runs back to back, its order reversed every other round so no
 * target always goes first.
 */
export function roundOrder<T extends { target: { name: string } }>(eligible: T[], groups: ReadonlyArray<readonly string[]>, round: number): T[] {
  const grouped: T[][] = [];
  const placed = new Set<T>();
  for (const names of groups) {
    const members = names.flatMap((name) => eligible.filter((entry) => entry.target.name === name));
    if (members.length === 0) continue;
    grouped.push(members);
    for (const member of members) placed.add(member);
  }
  for (const entry of eligible) if (!placed.has(entry)) grouped.push([entry]);
  const rotated = grouped.map((_, i) => grouped[(i + round) % grouped.length]!);
  return rotated.flatMap((members) => (round % 2 === 1 ? [...members].reverse() : members));
}

/**
 * Every step for every target, `rounds` times. Targets alternate within each round, in an order
 * that rotates from round to round ({@link roundOrder}), so drift on a shared machine hits all of
 * them alike, and targets compared by a ratio run back to back; the report takes medians over
 * rounds. Results are keyed by {@link resultKey}.
 */
export async function measureRounds(options: RoundsOptions): Promise<Map<string, LoadResult[]>> {
  const { targets, steps, rounds, generator, loadCpu, log } = options;
  const results = new Map<string, LoadResult[]>();
  const runsOf = (step: LoadStep) => targets.filter((t) => t.target.scenarios.includes(step.scenario));
  const total = rounds * steps.reduce((sum, step) => sum + runsOf(step).length, 0);
  let done = 0;
  for (let round = 0; round < rounds; round++) {
    for (const step of steps) {
      const eligible = runsOf(step);
      const order = roundOrder(eligible, options.groups ?? [], round);
      for (const { target, url, process: server } of order) {
        done++;
        await options.reset();
        const cookie = step.scenario === "read" ? await login(url, "abdullah") : undefined;
        const spec = { url, scenario: step.scenario, connections: step.connections, ...(cookie ? { cookie } : {}) };
        if (options.warmupSeconds > 0) await runLoad(generator, { ...spec, durationSeconds: options.warmupSeconds, userPrefix: `w${round}-` }, loadCpu);
        const pid = server.child.pid;
        const cpuBefore = processCpuSeconds(pid);
        const result = await runLoad(generator, { ...spec, durationSeconds: options.durationSeconds, userPrefix: `r${round}-` }, loadCpu);
        // The load generator's own measured window: the server was idle while it started.
        result.serverCpu = serverCpuOf(cpuBefore, processCpuSeconds(pid), result.requests / result.requestsPerSecond, result.requests);
        const key = resultKey(target.name, step);
        results.set(key, [...(results.get(key) ?? []), result]);
        const flag = result.errors + result.non2xx > 0 ? `  ⚠ ${result.errors} errors, ${result.non2xx} non-2xx` : "";
        log(
          `[${done}/${total}] ${step.scenario.padEnd(5)} c=${String(step.connections).padEnd(2)} ${target.name.padEnd(18)} round ${round + 1}: ` +
            `${fmt.rps(result.requestsPerSecond)} req/s, p50 ${fmt.ms(result.p50Ms)} ms, p99 ${fmt.ms(result.p99Ms)} ms` +
            (result.serverCpu
              ? `, server CPU ${fmt.cpu(result.serverCpu.microsecondsPerRequest)} µs/req, core ${fmt.busy(result.serverCpu.busyShare)} busy`
              : "") +
            flag,
        );
      }
    }
  }
  return results;
}
