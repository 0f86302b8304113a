import { parseArgs } from "node:util";
import { ConfigError, createSessionManager, isStoreUnavailable, isWellFormedSessionHandle, TesseraError, userBucket } from "tessera";
import { createRedisStore } from "tessera/redis";
import { readServerConfig } from "../config.js";
import { silentLogger } from "../logger.js";
import { openConfiguredRedis, type ConfiguredRedis } from "../store-from-config.js";
import { type AdminStreams, table } from "./output.js";
import { layoutCommands } from "./layout-commands.js";

export const ADMIN_USAGE = `Usage: tessera-admin <command> [options]

Acts on the sessions of a tessera Redis, Redis Cluster or Upstash database, configured by the
same variables as the reference server (REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS, or
UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN; also read from .env).

Commands:
  sessions list <user>                 a user's live sessions (handle, device, times)
  sessions revoke <user> [--handle H]  end all of a user's sessions, or the one with handle H
  stats                                sessions, users and bytes per session (scans every key)
  check                                verifies the key layout: every key known and with a TTL
  migrate                              converts index entries of an older layout, online

Options:
  --json             machine-readable output on stdout
  --scan-count <n>   keys per SCAN step for stats, check and migrate (default 1000)
  --quiet            no progress lines on stderr
  -h, --help         this help

Exit status: 0 done, 1 a check found problems or the store failed, 2 a usage or configuration error.`;

/** A mistake on the command line: exit 2, with the usage. */
class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface AdminContext {
  readonly redis: ConfiguredRedis;
  readonly streams: AdminStreams;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly scanCount: number;
}

/** Runs one admin command; resolves with the process exit code. */
export async function runAdmin(argv: readonly string[], env: Record<string, string | undefined>, streams: AdminStreams): Promise<number> {
  let parsed: ReturnType<typeof parseAdminArgs>;
  try {
    parsed = parseAdminArgs(argv);
  } catch (error) {
    streams.err.write(`tessera-admin: ${(error as Error).message}\n\n${ADMIN_USAGE}\n`);
    return 2;
  }
  return runParsed(parsed, env, streams);
}

function parseAdminArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
      handle: { type: "string" },
      "scan-count": { type: "string", default: "1000" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}

async function runParsed(parsed: ReturnType<typeof parseAdminArgs>, env: Record<string, string | undefined>, streams: AdminStreams): Promise<number> {
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    (values.help ? streams.out : streams.err).write(`${ADMIN_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  let redis: ConfiguredRedis | undefined;
  try {
    const scanCount = Number(values["scan-count"]);
    if (!Number.isInteger(scanCount) || scanCount < 1 || scanCount > 100_000)
      throw new UsageError(`--scan-count must be a whole number from 1 to 100000, got ${values["scan-count"]}`);
    const command = commandOf(positionals, values.handle);
    redis = await openConfiguredRedis(readServerConfig(env), silentLogger);
    if (redis === undefined) {
      throw new ConfigError(
        "tessera-admin needs a shared store: set REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS with REDIS_SENTINEL_NAME, or UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN (the embedded store lives inside the server process)",
      );
    }
    return await command({ redis, streams, json: values.json, quiet: values.quiet, scanCount });
  } catch (error) {
    if (error instanceof UsageError) {
      streams.err.write(`tessera-admin: ${error.message}\n\n${ADMIN_USAGE}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      streams.err.write(`tessera-admin: ${error.message}\n`);
      return 2;
    }
    const reason = isStoreUnavailable(error)
      ? `the session store is unavailable (${(error as Error).message})`
      : error instanceof TesseraError
        ? error.message
        : String(error);
    streams.err.write(`tessera-admin: ${reason}\n`);
    return 1;
  } finally {
    await redis?.connection.close().catch(() => undefined);
  }
}

type Command = (context: AdminContext) => Promise<number>;

function commandOf(positionals: string[], handle: string | undefined): Command {
  const [group, action, user, ...extra] = positionals;
  if (group === "sessions") {
    if (action !== "list" && action !== "revoke")
      throw new UsageError(`unknown command "sessions ${action ?? ""}": use "sessions list <user>" or "sessions revoke <user>"`);
    if (user === undefined || user === "") throw new UsageError(`"sessions ${action}" needs a user id`);
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")} (quote a user id that contains spaces)`);
    if (action === "list") {
      if (handle !== undefined) throw new UsageError("--handle goes with sessions revoke");
      return (context) => listSessions(context, user);
    }
    if (handle !== undefined && !isWellFormedSessionHandle(handle))
      throw new UsageError(`--handle takes a handle as "sessions list" prints it (26 characters), got ${JSON.stringify(handle)}`);
    return (context) => revokeSessions(context, user, handle);
  }
  if (handle !== undefined) throw new UsageError("--handle goes with sessions revoke");
  if (action !== undefined) throw new UsageError(`unexpected arguments after "${group}": ${positionals.slice(1).join(" ")}`);
  const layout = layoutCommands[group as keyof typeof layoutCommands];
  if (layout === undefined) throw new UsageError(`unknown command "${group}"`);
  return layout;
}

function managerFor(context: AdminContext) {
  return createSessionManager({ store: createRedisStore({ connection: context.redis.connection, crossSlotScripts: context.redis.crossSlotScripts }) });
}

async function listSessions(context: AdminContext, userId: string): Promise<number> {
  const sessions = await managerFor(context).listUserSessions(userId);
  if (context.json) {
    context.streams.out.write(`${JSON.stringify({ user: userId, sessions })}\n`);
    return 0;
  }
  if (sessions.length === 0) {
    context.streams.out.write(`no live sessions for ${JSON.stringify(userId)}\n`);
    return 0;
  }
  const rows = sessions.map((session) => [
    session.handle,
    session.userAgent || "-",
    session.ip || "-",
    session.lastSeenAt.toISOString(),
    session.expiresAt.toISOString(),
  ]);
  context.streams.out.write(`${table([["HANDLE", "DEVICE", "IP", "LAST SEEN", "EXPIRES"], ...rows])}\n${sessions.length} session(s)\n`);
  return 0;
}

async function revokeSessions(context: AdminContext, userId: string, handle: string | undefined): Promise<number> {
  let revoked: number;
  if (handle === undefined) {
    revoked = await managerFor(context).revokeAllSessions(userId);
  } else {
    // The manager revokes by handle on behalf of a session; the admin acts for the user directly.
    const store = createRedisStore({ connection: context.redis.connection, crossSlotScripts: context.redis.crossSlotScripts });
    revoked = (await store.destroyForUser({ userId, bucket: await userBucket(userId) }, { onlySessionId: handle })).length;
  }
  if (context.json) context.streams.out.write(`${JSON.stringify({ user: userId, revoked })}\n`);
  else
    context.streams.out.write(
      handle === undefined
        ? `revoked ${revoked} session(s) of ${JSON.stringify(userId)}\n`
        : revoked
          ? `revoked session ${handle}\n`
          : `no session ${handle} of ${JSON.stringify(userId)}\n`,
    );
  return handle !== undefined && revoked === 0 ? 1 : 0;
}
