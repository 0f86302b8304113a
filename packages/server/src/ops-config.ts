import { ConfigError } from "tessera";

/** What the server reads from its environment for running it: logs, metrics, the move off the tutorial. */
export interface OperationsConfig {
  /** `LOG_FORMAT`: `json` (one JSON object per line, through pino) or `pretty` (`tessera: …` lines). */
  logFormat: "json" | "pretty";
  /** `METRICS_PORT`: serve `/metrics` on this port (same `HOST`) instead of the main one. */
  metricsPort: number | undefined;
  /** `ACCESS_LOG_HEALTH`: also log requests to `/healthz`, `/readyz` and `/metrics` when `ACCESS_LOG` is on. */
  accessLogHealth: boolean;
  /** `LEGACY_SEED_SESSIONS`: accept the tutorial's UUID cookies once, converting each into a tessera session. */
  legacySeedSessions: boolean;
}

/** The variables of {@link OperationsConfig}, with defaults; docs/operations.md lists them. */
export const OPERATIONS_ENVIRONMENT_DEFAULTS = {
  LOG_FORMAT: "pretty",
  METRICS_PORT: "",
  ACCESS_LOG_HEALTH: "false",
  LEGACY_SEED_SESSIONS: "false",
} as const;

type Environment = Record<string, string | undefined>;

function flag(env: Environment, name: "ACCESS_LOG_HEALTH" | "LEGACY_SEED_SESSIONS"): boolean {
  const raw = (env[name] ?? "").trim().toLowerCase() || OPERATIONS_ENVIRONMENT_DEFAULTS[name];
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: use true or false`);
}

/** `LOG_FORMAT`, leniently: what to log with before the configuration is validated (an invalid value is reported then). */
export function logFormatOf(env: Environment): "json" | "pretty" {
  return (env.LOG_FORMAT ?? "").trim().toLowerCase() === "json" ? "json" : "pretty";
}

/**
 * Reads and validates the operations variables, and the cookie settings a TLS proxy calls for.
 * Throws `ConfigError` naming the variable and the fix.
 */
export function readOperationsConfig(env: Environment): OperationsConfig {
  const logFormat = (env.LOG_FORMAT ?? "").trim().toLowerCase() || OPERATIONS_ENVIRONMENT_DEFAULTS.LOG_FORMAT;
  if (logFormat !== "json" && logFormat !== "pretty") {
    throw new ConfigError(`LOG_FORMAT=${JSON.stringify(logFormat)} is invalid: use json (one JSON object per line) or pretty (human-readable lines)`);
  }
  const metricsRaw = (env.METRICS_PORT ?? "").trim();
  let metricsPort: number | undefined;
  if (metricsRaw !== "") {
    metricsPort = Number(metricsRaw);
    if (!/^\d+$/.test(metricsRaw) || metricsPort < 1 || metricsPort > 65_535) {
      throw new ConfigError(`METRICS_PORT=${JSON.stringify(metricsRaw)} is invalid: set a port from 1 to 65535, or unset it to serve /metrics on PORT`);
    }
    if (metricsRaw === (env.PORT ?? "").trim()) {
      throw new ConfigError(`METRICS_PORT=${metricsRaw} is the same as PORT: choose another port, or unset METRICS_PORT to serve /metrics on PORT`);
    }
  }
  const legacySeedSessions = flag(env, "LEGACY_SEED_SESSIONS");
  if (legacySeedSessions && !env.REDIS_URL?.trim() && !env.UPSTASH_REDIS_REST_URL?.trim()) {
    throw new ConfigError(
      "LEGACY_SEED_SESSIONS=true needs the tutorial's Redis: set REDIS_URL, or UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, to the database the tutorial used",
    );
  }
  // The library refuses these too, but in its own terms (cookie.secure); say it in the variables' names.
  const cookieName = (env.SESSION_COOKIE_NAME ?? "").trim();
  const prefix = ["__Host-", "__Secure-"].find((candidate) => cookieName.startsWith(candidate));
  if (prefix !== undefined && (env.SESSION_COOKIE_SECURE ?? "").trim().toLowerCase() !== "true") {
    throw new ConfigError(
      `SESSION_COOKIE_NAME=${cookieName} uses the ${prefix} prefix, which browsers accept only with the Secure attribute: set SESSION_COOKIE_SECURE=true (and serve over https, e.g. behind a TLS proxy)`,
    );
  }
  return { logFormat, metricsPort, accessLogHealth: flag(env, "ACCESS_LOG_HEALTH"), legacySeedSessions };
}
