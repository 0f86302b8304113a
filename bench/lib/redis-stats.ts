import { Redis } from "ioredis";
import { parseCommandStats } from "../../test/support/redis-server.js";

/** Counters Redis keeps itself: commands by name, and read events (one per round trip a client makes). */
export interface RedisSnapshot {
  commands: Map<string, number>;
  reads: number;
}

/**
 * Snapshots go over one long-lived connection, so each costs exactly one read event and one INFO
 * (a fresh connection per snapshot would add its close, at a moment Redis chooses).
 */
export class StatsReader {
  readonly #client: Redis;
  constructor(url: string) {
    this.#client = new Redis(url);
  }
  snapshot(): Promise<RedisSnapshot> {
    return snapshot(this.#client);
  }
  close(): void {
    this.#client.disconnect();
  }
}

export async function snapshot(client: Redis): Promise<RedisSnapshot> {
  const info = (await client.call("INFO", "stats", "commandstats")) as string;
  const reads = Number(/total_reads_processed:(\d+)/.exec(info)?.[1] ?? Number.NaN);
  return { commands: parseCommandStats(info), reads };
}

/** What happened between two snapshots, minus the snapshots' own INFO commands and reads. */
export function delta(before: RedisSnapshot, after: RedisSnapshot): { commands: Map<string, number>; roundTrips: number } {
  const commands = new Map<string, number>();
  for (const [name, calls] of after.commands) {
    if (name === "info" || name.startsWith("config")) continue;
    const difference = calls - (before.commands.get(name) ?? 0);
    if (difference > 0) commands.set(name, difference);
  }
  // `after` counted its own read (the INFO that produced it).
  return { commands, roundTrips: after.reads - before.reads - 1 };
}

export const totalCommands = (commands: Map<string, number>) => [...commands.values()].reduce((sum, calls) => sum + calls, 0);

/** "getex" or "evalsha+hgetall+set+hset+expire", for tables. */
export const describeCommands = (commands: Map<string, number>) =>
  [...commands.entries()].map(([name, calls]) => (calls > 1 ? `${name}×${calls}` : name).toUpperCase()).join(" + ") || "—";
