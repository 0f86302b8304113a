import { migrateLayout, scanLayout, type LayoutScanReport, type ScanPosition } from "tessera/redis";
import type { AdminContext } from "./cli.js";
import { progressReporter, table } from "./output.js";

const position = ({ node, cursor }: ScanPosition) => `node ${node + 1}, cursor ${cursor}`;

async function scan(context: AdminContext): Promise<LayoutScanReport> {
  const report = progressReporter(context.streams, context.quiet);
  const result = await scanLayout({
    connection: context.redis.connection,
    scanCount: context.scanCount,
    onProgress: (progress) => report(`scanning: ${progress.keysScanned.toLocaleString("en")} keys (${position(progress.position)})`),
  });
  if (!context.quiet) context.streams.err.write(`${context.streams.err.isTTY ? "\r\u001b[K" : ""}scanned ${result.nodes} node(s)\n`);
  return result;
}

/** `stats`: what the store holds, and what it costs in memory. */
async function stats(context: AdminContext): Promise<number> {
  const report = await scan(context);
  if (context.json) {
    context.streams.out.write(`${JSON.stringify({ store: context.redis.description, ...report })}\n`);
    return 0;
  }
  const bytes =
    report.bytesPerSessionEstimate === null
      ? "unknown (MEMORY USAGE refused)"
      : `about ${Math.round(report.bytesPerSessionEstimate)} (sampled MEMORY USAGE, index included)`;
  context.streams.out.write(
    `${table([
      ["store", context.redis.description],
      ["sessions", report.sessions.toLocaleString("en")],
      ["users", report.users.toLocaleString("en")],
      ["bytes per session", bytes],
      ["v2 indexes left", `${report.v2IndexesLeft} (${report.sessionsInV2Indexes} sessions)`],
    ])}\n`,
  );
  return 0;
}

/** `check`: the layout holds — every key known and with a TTL; exit 1 otherwise, naming the fix. */
async function check(context: AdminContext): Promise<number> {
  const report = await scan(context);
  const problems: string[] = [];
  if (report.keysWithoutTtl > 0)
    problems.push(
      `${report.keysWithoutTtl} key(s) have no TTL and would never expire: they were written by something other than tessera, or by a bug — inspect them with redis-cli`,
    );
  if (report.unknownKeys > 0)
    problems.push(
      `${report.unknownKeys} key(s) under the session prefix have none of the layout's shapes: another app may share the prefix (give it another keyPrefix)`,
    );
  if (report.v2IndexesLeft > 0)
    problems.push(`${report.v2IndexesLeft} layout v2 index(es) are left: they keep working, and "tessera-admin migrate" converts them ahead of time`);
  const failed = report.keysWithoutTtl > 0 || report.unknownKeys > 0;
  if (context.json) context.streams.out.write(`${JSON.stringify({ ok: !failed, problems, ...report })}\n`);
  else
    context.streams.out.write(
      problems.length === 0
        ? `ok: ${report.sessions} session(s) of ${report.users} user(s), every key known and with a TTL\n`
        : `${problems.map((problem) => `- ${problem}`).join("\n")}\n`,
    );
  return failed ? 1 : 0;
}

/** `migrate`: converts layout v2 indexes online, in bounded chunks, with progress. */
async function migrate(context: AdminContext): Promise<number> {
  const report = progressReporter(context.streams, context.quiet);
  const result = await migrateLayout({
    connection: context.redis.connection,
    scanCount: context.scanCount,
    onProgress: (progress) =>
      report(`migrating: ${progress.v2IndexesMigrated} index(es), ${progress.sessionsAdopted} session(s) adopted (${position(progress.position)})`),
  });
  if (!context.quiet && context.streams.err.isTTY) context.streams.err.write("\r\u001b[K");
  if (context.json) context.streams.out.write(`${JSON.stringify(result)}\n`);
  else
    context.streams.out.write(
      `migrated ${result.v2IndexesMigrated} v2 index(es): ${result.sessionsAdopted} live session(s) adopted, ${result.entriesRead - result.sessionsAdopted} ended one(s) dropped\n`,
    );
  return 0;
}

/** stats, check and migrate: whole-database scans with bounded `SCAN … COUNT` pages. */
export const layoutCommands: Record<string, (context: AdminContext) => Promise<number>> = { stats, check, migrate };
