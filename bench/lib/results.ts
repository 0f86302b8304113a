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

/** Throughput of `a` over `b` on loopback; NaN when either did not run. */
export function loopbackRatio(results: BenchResults, a: string, b: string, scenario: Scenario): number {
  return (loopback(results, a, scenario)?.requestsPerSecond ?? Number.NaN) / (loopback(results, b, scenario)?.requestsPerSecond ?? Number.NaN);
}

export const skipReason = (results: BenchResults, target: string) => results.skipped.find((s) => s.target.name === target)?.reason;
