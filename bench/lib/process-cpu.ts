import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * The CPU time a server process has used so far, read from Linux's `/proc/<pid>/stat`: user plus
 * system time of all its threads (V8's helper threads and libuv's pool included), in seconds.
 *
 * Why the bench reads it: a throughput ratio says how fast a target answered, not what each answer
 * cost. A server whose core sits idle part of the time (waiting on Redis, say) serves less than
 * its CPU per request allows, and only the two figures together tell which one limited it.
 * `undefined` where there is no `/proc` (macOS), or once the process is gone.
 */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const ticks = cpuTicksOfStat(stat);
  return ticks === undefined ? undefined : ticks / clockTicksPerSecond();
}

/**
 * `utime + stime` (fields 14 and 15, in clock ticks) of a `/proc/<pid>/stat` line. The second
 * field, the command name, is in parentheses and may itself hold spaces and parentheses, so the
 * fields are counted from the last `)`.
 */
export function cpuTicksOfStat(stat: string): number | undefined {
  const end = stat.lastIndexOf(")");
  if (end === -1) return undefined;
  // After the name: field 3 (state) is the first, so utime (14) and stime (15) are the 12th and 13th.
  const fields = stat
    .slice(end + 1)
    .trim()
    .split(/\s+/);
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  return Number.isSafeInteger(user) && Number.isSafeInteger(system) ? user + system : undefined;
}

let ticksPerSecond: number | undefined;
/** `getconf CLK_TCK` (100 on every Linux in practice), asked once. */
function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const answer = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim());
    ticksPerSecond = Number.isFinite(answer) && answer > 0 ? answer : 100;
  }
  return ticksPerSecond;
}

/** What a server's CPU time says about one load run: cost per request and how busy its core was. */
export interface ServerCpu {
  /** CPU time (user + system, all threads) per request served, in µs. */
  microsecondsPerRequest: number;
  /** CPU time over wall time of the run: 1 is one core fully busy. */
  busyShare: number;
}

/** {@link ServerCpu} of a run, from the CPU seconds before and after it; `undefined` if either is unknown. */
export function serverCpuOf(before: number | undefined, after: number | undefined, wallSeconds: number, requests: number): ServerCpu | undefined {
  if (before === undefined || after === undefined || requests <= 0 || wallSeconds <= 0) return undefined;
  const seconds = after - before;
  return { microsecondsPerRequest: (seconds * 1e6) / requests, busyShare: seconds / wallSeconds };
}
