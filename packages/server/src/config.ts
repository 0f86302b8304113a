import { ConfigError } from "tessera";
import { readOperationsConfig, type OperationsConfig } from "./ops-config.js";

/** Everything the reference server reads from its environment. */
export interface ServerConfig {
  host: string;
  port: number;
  /** `REDIS_URL`: Redis over TCP. */
  redisUrl: string | undefined;
  /** `REDIS_CLUSTER_NODES=host:port,…`: startup nodes of a Redis Cluster (any few of its nodes). */
  redisClusterNodes: Array<{ host: string; port: number }> | undefined;
  /** `REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`: the primary of a master group, found through Redis Sentinel. */
  redisSentinel: RedisSentinelConfig | undefined;
  /** `REDIS_WAIT_REPLICAS`: a write counts once this many replicas hold it (`WAIT`); 0 = off. */
  redisWaitReplicas: number;
  /** `UPSTASH_REDIS_REST_URL` + `UPSTASH_REDIS_REST_TOKEN`: Upstash over REST. Neither set: the embedded store. */
  upstash: { url: string; token: string } | undefined;
  idleTimeoutSeconds: number;
  absoluteTimeoutSeconds: number;
  cookieName: string;
  cookieSecure: boolean | "auto";
  /** Extra origins allowed to send unsafe requests besides the server's own. */
  allowedOrigins: string[];
  /** Most sessions in the embedded store. */
  memoryMaxSessions: number;
  /** One log line per request. */
  accessLog: boolean;
  /** Most live sessions per user; 0 = no limit. */
  maxSessionsPerUser: number;
  /** Take the client IP from `X-Forwarded-For` (only behind a proxy that sets it). */
  trustProxy: boolean;
  /** Bounds on what one connection may hold, so slow or idle clients cannot lock others out. */
  http: HttpLimits;
  /** `SHUTDOWN_GRACE_MS`: how long SIGTERM/SIGINT waits for requests and the store to finish. */
  shutdownGraceMs: number;
  /** Logs, metrics, health and the move off the tutorial (`ops-config.ts`). */
  operations: OperationsConfig;
}

/** A primary with replicas under Redis Sentinel: the client asks the sentinels where the primary is, and asks again after a failover. */
export interface RedisSentinelConfig {
  /** `REDIS_SENTINELS=host:port,…`: the sentinels to ask (any few of them; each knows the others). */
  sentinels: Array<{ host: string; port: number }>;
  /** `REDIS_SENTINEL_NAME`: the master group's name, as in the sentinels' `sentinel monitor <name> …`. */
  masterName: string;
}

/** Connection bounds of the HTTP server; see `ENVIRONMENT_DEFAULTS` for the variables. */
export interface HttpLimits {
  /** `HTTP_HEADERS_TIMEOUT_MS`: a request's headers must have arrived this long after it began (or after the connection opened). */
  headersTimeoutMs: number;
  /** `HTTP_REQUEST_TIMEOUT_MS`: the whole request, body included, must have arrived this long after it began. */
  requestTimeoutMs: number;
  /** `HTTP_KEEP_ALIVE_TIMEOUT_MS`: an idle keep-alive connection is closed after this long without a request. */
  keepAliveTimeoutMs: number;
  /** `HTTP_MAX_CONNECTIONS`: most open connections; past it the oldest one waiting on its client is closed. */
  maxConnections: number;
}

/** The environment variables the server understands, with defaults; the README's table mirrors this. */
export const ENVIRONMENT_DEFAULTS = {
  HOST: "127.0.0.1",
  PORT: "8000",
  SESSION_TIMEOUT_SECONDS: "900",
  SESSION_ABSOLUTE_TIMEOUT_SECONDS: "43200",
  SESSION_COOKIE_NAME: "session_id",
  SESSION_COOKIE_SECURE: "auto",
  ALLOWED_ORIGINS: "",
  MEMORY_MAX_SESSIONS: "100000",
  ACCESS_LOG: "false",
  MAX_SESSIONS_PER_USER: "100",
  TRUST_PROXY: "false",
  HTTP_HEADERS_TIMEOUT_MS: "10000",
  HTTP_REQUEST_TIMEOUT_MS: "30000",
  HTTP_KEEP_ALIVE_TIMEOUT_MS: "5000",
  // Below the common 1,024 file-descriptor limit, with room for Redis connections and files.
  HTTP_MAX_CONNECTIONS: "512",
  SHUTDOWN_GRACE_MS: "10000",
  REDIS_WAIT_REPLICAS: "0",
} as const;

type Environment = Record<string, string | undefined>;

function integer(env: Environment, name: keyof typeof ENVIRONMENT_DEFAULTS, min: number, max: number): number {
  const raw = (env[name] ?? "").trim() || ENVIRONMENT_DEFAULTS[name];
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: set a whole number from ${min} to ${max}, or unset it for ${ENVIRONMENT_DEFAULTS[name]}`);
  }
  return value;
}

function flag(env: Environment, name: "ACCESS_LOG" | "TRUST_PROXY"): boolean {
  const raw = (env[name] ?? "").trim().toLowerCase() || ENVIRONMENT_DEFAULTS[name];
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: use true or false`);
}

function readUpstash(env: Environment): { url: string; token: string } | undefined {
  const url = env.UPSTASH_REDIS_REST_URL?.trim() || undefined;
  const token = env.UPSTASH_REDIS_REST_TOKEN?.trim() || undefined;
  if (url === undefined && token === undefined) return undefined;
  if (url === undefined)
    throw new ConfigError("UPSTASH_REDIS_REST_TOKEN is set but UPSTASH_REDIS_REST_URL is not: set both (from the Upstash console) or neither");
  if (token === undefined)
    throw new ConfigError("UPSTASH_REDIS_REST_URL is set but UPSTASH_REDIS_REST_TOKEN is not: set both (from the Upstash console) or neither");
  if (!/^https?:\/\/[^\s/]+/.test(url)) {
    throw new ConfigError(`UPSTASH_REDIS_REST_URL must be an https:// URL such as https://eu1-example.upstash.io (http:// for a local server)`);
  }
  return { url, token };
}

/** A comma-separated `host:port` list (IPv6 as `[addr]:port`) in variable `name`; errors show examples with `usualPort`. */
function readAddressList(
  env: Environment,
  name: "REDIS_CLUSTER_NODES" | "REDIS_SENTINELS",
  usualPort: number,
): Array<{ host: string; port: number }> | undefined {
  const raw = env[name]?.trim() || undefined;
  if (raw === undefined) return undefined;
  return raw.split(",").map((entry) => {
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(entry.trim());
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65_535) {
      throw new ConfigError(
        `${name} entry ${JSON.stringify(entry.trim())} is not host:port: write e.g. ${name}=10.0.0.1:${usualPort},10.0.0.2:${usualPort} (IPv6 as [::1]:${usualPort})`,
      );
    }
    return { host: (match[1] ?? match[2])!, port };
  });
}

/** `REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`: both or neither. */
function readSentinel(env: Environment): RedisSentinelConfig | undefined {
  const sentinels = readAddressList(env, "REDIS_SENTINELS", 26379);
  const masterName = env.REDIS_SENTINEL_NAME?.trim() || undefined;
  if (sentinels === undefined && masterName === undefined) return undefined;
  if (sentinels === undefined) {
    throw new ConfigError(
      "REDIS_SENTINEL_NAME is set but REDIS_SENTINELS is not: set REDIS_SENTINELS=host:port,… to the sentinels that monitor it, or unset REDIS_SENTINEL_NAME",
    );
  }
  if (masterName === undefined) {
    throw new ConfigError(
      "REDIS_SENTINELS is set but REDIS_SENTINEL_NAME is not: set it to the master group's name, as in the sentinels' `sentinel monitor <name> …` (often mymaster)",
    );
  }
  return { sentinels, masterName };
}

/**
 * Reads and validates the server configuration. Throws `ConfigError` naming the variable and the
 * fix, so a typo stops the server at startup rather than surfacing as odd behaviour later.
 */
export function readServerConfig(env: Environment): ServerConfig {
  const redisUrl = env.REDIS_URL?.trim() || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError(`REDIS_URL must start with redis:// or rediss://, e.g. redis://127.0.0.1:6379`);
  }
  const upstash = readUpstash(env);
  if (redisUrl !== undefined && upstash !== undefined) {
    throw new ConfigError("both REDIS_URL and UPSTASH_REDIS_REST_URL are set: unset one of them, so it is clear which store holds the sessions");
  }
  const redisClusterNodes = readAddressList(env, "REDIS_CLUSTER_NODES", 6379);
  if (redisClusterNodes !== undefined && (redisUrl !== undefined || upstash !== undefined)) {
    const other = redisUrl !== undefined ? "REDIS_URL" : "UPSTASH_REDIS_REST_URL";
    throw new ConfigError(`both REDIS_CLUSTER_NODES and ${other} are set: unset one of them, so it is clear which store holds the sessions`);
  }
  const redisSentinel = readSentinel(env);
  if (redisSentinel !== undefined && (redisUrl !== undefined || redisClusterNodes !== undefined || upstash !== undefined)) {
    const other = redisUrl !== undefined ? "REDIS_URL" : redisClusterNodes !== undefined ? "REDIS_CLUSTER_NODES" : "UPSTASH_REDIS_REST_URL";
    throw new ConfigError(`both REDIS_SENTINELS and ${other} are set: unset one of them, so it is clear which store holds the sessions`);
  }
  const redisWaitReplicas = integer(env, "REDIS_WAIT_REPLICAS", 0, 16);
  if (redisWaitReplicas > 0 && redisUrl === undefined && redisClusterNodes === undefined && redisSentinel === undefined) {
    throw new ConfigError("REDIS_WAIT_REPLICAS applies to Redis only: set REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS too, or unset REDIS_WAIT_REPLICAS");
  }
  const secureRaw = (env.SESSION_COOKIE_SECURE ?? "").trim().toLowerCase() || ENVIRONMENT_DEFAULTS.SESSION_COOKIE_SECURE;
  if (!["auto", "true", "false"].includes(secureRaw)) {
    throw new ConfigError(`SESSION_COOKIE_SECURE=${JSON.stringify(secureRaw)} is invalid: use auto, true or false`);
  }
  const allowedOrigins = (env.ALLOWED_ORIGINS ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of allowedOrigins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.origin !== origin) {
      throw new ConfigError(
        `ALLOWED_ORIGINS entry ${JSON.stringify(origin)} is not an origin: write scheme://host[:port] with no path, e.g. https://app.example.com`,
      );
    }
  }
  const http = readHttpLimits(env);
  const shutdownGraceMs = integer(env, "SHUTDOWN_GRACE_MS", 100, 600_000);
  // Shutdown lets idle keep-alive connections run out their timeout (clients were told it) rather
  // than cut them while a client may be sending; a shorter grace would cut them anyway.
  if (shutdownGraceMs <= http.keepAliveTimeoutMs) {
    throw new ConfigError(
      `SHUTDOWN_GRACE_MS=${shutdownGraceMs} is not longer than HTTP_KEEP_ALIVE_TIMEOUT_MS=${http.keepAliveTimeoutMs}: shutdown waits for idle keep-alive connections to time out, so raise SHUTDOWN_GRACE_MS or lower HTTP_KEEP_ALIVE_TIMEOUT_MS`,
    );
  }
  const idleTimeoutSeconds = integer(env, "SESSION_TIMEOUT_SECONDS", 1, 34_560_000);
  const absoluteTimeoutSeconds = integer(env, "SESSION_ABSOLUTE_TIMEOUT_SECONDS", 1, 34_560_000);
  if (idleTimeoutSeconds > absoluteTimeoutSeconds) {
    throw new ConfigError(
      `SESSION_TIMEOUT_SECONDS=${idleTimeoutSeconds} is longer than SESSION_ABSOLUTE_TIMEOUT_SECONDS=${absoluteTimeoutSeconds}: every session would end at the absolute timeout however active it is; raise SESSION_ABSOLUTE_TIMEOUT_SECONDS to at least ${idleTimeoutSeconds} or lower SESSION_TIMEOUT_SECONDS`,
    );
  }
  return {
    host: (env.HOST ?? "").trim() || ENVIRONMENT_DEFAULTS.HOST,
    port: integer(env, "PORT", 0, 65_535),
    redisUrl,
    redisClusterNodes,
    redisSentinel,
    redisWaitReplicas,
    upstash,
    idleTimeoutSeconds,
    absoluteTimeoutSeconds,
    cookieName: (env.SESSION_COOKIE_NAME ?? "").trim() || ENVIRONMENT_DEFAULTS.SESSION_COOKIE_NAME,
    cookieSecure: secureRaw === "auto" ? "auto" : secureRaw === "true",
    allowedOrigins,
    memoryMaxSessions: integer(env, "MEMORY_MAX_SESSIONS", 1, 100_000_000),
    accessLog: flag(env, "ACCESS_LOG"),
    maxSessionsPerUser: integer(env, "MAX_SESSIONS_PER_USER", 0, 10_000),
    trustProxy: flag(env, "TRUST_PROXY"),
    http,
    shutdownGraceMs,
    operations: readOperationsConfig(env),
  };
}

function readHttpLimits(env: Environment): HttpLimits {
  const headersTimeoutMs = integer(env, "HTTP_HEADERS_TIMEOUT_MS", 100, 600_000);
  const requestTimeoutMs = integer(env, "HTTP_REQUEST_TIMEOUT_MS", 100, 3_600_000);
  // Node refuses a request timeout shorter than the headers timeout; say so in our terms.
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new ConfigError(
      `HTTP_REQUEST_TIMEOUT_MS=${requestTimeoutMs} is shorter than HTTP_HEADERS_TIMEOUT_MS=${headersTimeoutMs}: the whole request cannot arrive before its headers; raise HTTP_REQUEST_TIMEOUT_MS or lower HTTP_HEADERS_TIMEOUT_MS`,
    );
  }
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: integer(env, "HTTP_KEEP_ALIVE_TIMEOUT_MS", 100, 600_000),
    maxConnections: integer(env, "HTTP_MAX_CONNECTIONS", 1, 1_000_000),
  };
}
