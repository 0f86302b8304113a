import type { LoadGenerator } from "./load.js";
import type { MemoryRow } from "./memory.js";
import type { ProfileSummary } from "./profile.js";
import type { ProxyCeiling, RemoteScenario } from "./remote.js";
import type { ThroughputRow } from "./report.js";
import type { Scenario, SkippedTarget, Target } from "./targets.js";
import type { UpstashRow } from "./upstash.js";
import type { WorkPerRequest } from "./work.js";

/** Everything one run measured, as the report renders it. */
export interface BenchResults {
  generator: LoadGenerator;
  machine: string;
  command: string;
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  profileSeconds: number;
  connections: number;
  serverCpu: number;
  loadCpu: number;
  targets: Target[];
  /** Targets that did not run, with why (an adapter not yet written, Bun unavailable). */
  skipped: SkippedTarget[];
  work: Map<string, WorkPerRequest>;
  throughput: ThroughputRow[];
  memory: MemoryRow[];
  upstash: UpstashRow[];
  remote: { ceiling: ProxyCeiling; scenarios: RemoteScenario[] };
  profile: ProfileSummary;
}

/** A loopback figure of one target, undefined when the target did not run. */
export function loopback(results: BenchResults, target: string, scenario: Scenario): ThroughputRow | undefined {
  return results.throughput.find((row) => row.target === target && row.scenario === scenario && Number.isFinite(row.requestsPerSecond));
}

/**
 * Throughput of `a` over `b` on loopback: the median over rounds of each round's ratio, since the
 * two ran back to back in every round (see `GROUPS` in targets.ts) and the machine's speed drifts
 * between rounds more than within one. NaN when either did not run.
 */
export function loopbackRatio(results: BenchResults, a: string, b: string, scenario: Scenario): number {
  const first = loopback(results, a, scenario);
  const second = loopback(results, b, scenario);
  if (first === undefined || second === undefined) return Number.NaN;
  if (first.rounds.length !== second.rounds.length || first.rounds.length === 0) return first.requestsPerSecond / second.requestsPerSecond;
  const ratios = first.rounds.map((value, round) => value / second.rounds[round]!).sort((x, y) => x - y);
  const middle = Math.floor(ratios.length / 2);
  return ratios.length % 2 ? ratios[middle]! : (ratios[middle - 1]! + ratios[middle]!) / 2;
}

export const skipReason = (results: BenchResults, target: string) => results.skipped.find((s) => s.target.name === target)?.reason;
