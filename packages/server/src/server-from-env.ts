import { Hono, type Context } from "hono";
import { createSessionManager, instrumentStore, type Sha256, type SessionStore } from "tessera";
import { createApp, DEFAULT_MAX_BODY_BYTES, type ServerSessionData } from "./app.js";
import { readServerConfig, type ServerConfig } from "./config.js";
import { jsonLogger } from "./json-logger.js";
import { legacySeedCookies, openLegacySeedSessions, type LegacySeedCookies } from "./legacy-seed-cookies.js";
import { consoleLogger, type Logger } from "./logger.js";
import { mountMetricsRoute, ServerMetrics } from "./metrics.js";
import { createNodeLane, firstValue, type NodeLane } from "./node-lane.js";
import { logFormatOf } from "./ops-config.js";
import { RequestRecorder } from "./request-observer.js";
import type { ServerEnv } from "./require-session.js";
import { openStore } from "./store-from-config.js";
import { StoreOutageLog } from "./store-outage.js";
import type { DocsAssetLoader } from "./web-routes.js";

type Environment = Record<string, string | undefined>;

/** What the runtime supplies; everything else comes from the environment. */
export interface ServerFromEnvOptions {
  /** The peer address of a request (`getConnInfo(c).remote.address` from the runtime's Hono helper). With `TRUST_PROXY=true`, `X-Forwarded-For` comes first. */
  remoteAddress?: (c: Context) => string | undefined;
  /** SHA-256 for the session manager. @default Web Crypto (the core's default) */
  sha256?: Sha256;
  /** The `/docs` page's Swagger UI files. */
  docsAssets?: DocsAssetLoader;
  /** Shown in `/openapi.json`. @default "0.0.0" */
  version?: string;
  /** @default by `LOG_FORMAT`: {@link jsonLogger} or {@link consoleLogger} */
  logger?: Logger;
  /** Export prom-client's process metrics (CPU, memory, event loop, GC) too. @default true */
  processMetrics?: boolean;
}

/** A configured server, ready to be served by any runtime's HTTP server. */
export interface TesseraServer {
  /** The app to serve on `config.host`:`config.port`. */
  readonly app: Hono<ServerEnv>;
  /**
   * On Node: the seed's routes served before the app (see `node-lane.ts`); give it every request
   * first, and the app those it leaves. `undefined` with `LEGACY_SEED_SESSIONS` (the app converts
   * the tutorial's cookies), and unused on other runtimes.
   */
  readonly nodeLane: NodeLane | undefined;
  /** With `METRICS_PORT`: the app serving `/metrics`, for `config.host`:`config.operations.metricsPort`. */
  readonly metricsApp: Hono | undefined;
  readonly config: ServerConfig;
  /** The session store as opened (not instrumented). */
  readonly store: SessionStore;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** Makes `/readyz` answer 503 from now on; call it when shutdown begins. */
  drain(): void;
  /** Closes the store and, with `LEGACY_SEED_SESSIONS`, the connection to the tutorial's Redis. */
  close(): Promise<void>;
}

/** The logger `LOG_FORMAT` asks for, read leniently so it can report a configuration error too. */
export function loggerFromEnv(env: Environment): Logger {
  return logFormatOf(env) === "json" ? jsonLogger() : consoleLogger;
}

/**
 * The reference server from environment variables, without binding a port: configuration, store,
 * session manager with metrics and the outage log, legacy tutorial cookies, and the Hono app(s).
 * Runtime-neutral (no `node:http`): `main.ts` serves it with @hono/node-server, the Bun benchmark
 * with `Bun.serve`. Throws `ConfigError` for a bad variable.
 *
 * @example
 * ```ts
 * const server = await createServerFromEnv(process.env, { remoteAddress: (c) => getConnInfo(c).remote.address });
 * Bun.serve({ port: server.config.port, fetch: (request, bun) => server.app.fetch(request, { server: bun }) });
 * ```
 */
export async function createServerFromEnv(env: Environment, options: ServerFromEnvOptions = {}): Promise<TesseraServer> {
  const logger = options.logger ?? loggerFromEnv(env);
  const config = readServerConfig(env);
  const store = await openStore(config, logger);
  // The embedded store says how many sessions it holds; Redis and Upstash stores have no such count.
  const sized = store as SessionStore & { readonly size?: unknown };
  const metrics = new ServerMetrics({
    processMetrics: options.processMetrics ?? true,
    ...(typeof sized.size === "number" ? { memoryStoreSize: () => sized.size as number } : {}),
  });
  const outageLog = new StoreOutageLog(logger);
  const sessions = createSessionManager<ServerSessionData>({
    // One wrapper observes every store call for both the metrics and the outage log.
    store: instrumentStore(store, {
      onCall(operation, durationMs, errorCode) {
        metrics.storeCalls.onCall(operation, durationMs, errorCode);
        outageLog.storeCalls.onCall(operation, durationMs, errorCode);
      },
    }),
    ...(options.sha256 ? { sha256: options.sha256 } : {}),
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    absoluteTimeoutSeconds: config.absoluteTimeoutSeconds,
    maxSessionsPerUser: config.maxSessionsPerUser,
    cookie: { name: config.cookieName, secure: config.cookieSecure },
    onEvent: metrics.onSessionEvent,
  });
  const { remoteAddress } = options;
  // With TRUST_PROXY, the proxy's `X-Forwarded-For` (its first address) comes before the peer's.
  const forwardedClient = (forwardedFor: string | undefined): string | undefined =>
    config.trustProxy ? forwardedFor?.split(",")[0]?.trim() || undefined : undefined;
  const clientIp = (c: Context): string | undefined => forwardedClient(c.req.header("x-forwarded-for")) ?? remoteAddress?.(c);
  if (config.trustProxy && config.cookieSecure === "auto") {
    logger.warn(
      "TRUST_PROXY=true with SESSION_COOKIE_SECURE=auto: behind a TLS proxy the server sees plain http, so cookies are sent without Secure; set SESSION_COOKIE_SECURE=true",
    );
  }

  let legacySeed: LegacySeedCookies | undefined;
  if (config.operations.legacySeedSessions) {
    const { legacy, close } = openLegacySeedSessions(config);
    legacySeed = legacySeedCookies(legacy, sessions, { clientIp, onConverted: () => metrics.legacySessionConverted(), close });
    logger.info("LEGACY_SEED_SESSIONS=true: cookies of the tutorial's app are converted into tessera sessions on first use");
  }

  let draining = false;
  const metricsPort = config.operations.metricsPort;
  const recorder = new RequestRecorder({ metrics, accessLog: config.accessLog ? logger : undefined, accessLogHealth: config.operations.accessLogHealth });
  const app = createApp({
    recorder,
    sessions,
    logger,
    allowedOrigins: config.allowedOrigins,
    trustProxy: config.trustProxy,
    clientIp,
    version: options.version ?? "0.0.0",
    outageLog,
    metrics,
    metricsRoute: metricsPort === undefined,
    health: { store, isDraining: () => draining },
    ...(legacySeed ? { legacySeed } : {}),
    ...(options.docsAssets ? { docsAssets: options.docsAssets } : {}),
  });
  let metricsApp: Hono | undefined;
  if (metricsPort !== undefined) {
    metricsApp = new Hono();
    mountMetricsRoute(metricsApp, metrics);
    metricsApp.notFound((c) => c.json({ detail: "Not Found: this port serves only /metrics" }, 404));
  }
  // The tutorial's cookies are converted by the Hono routes only: with them, every route stays there.
  const nodeLane = legacySeed
    ? undefined
    : createNodeLane({
        sessions,
        recorder,
        logger,
        outageLog,
        maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
        clientIp: (request) => forwardedClient(firstValue(request.headers["x-forwarded-for"])) ?? request.socket.remoteAddress,
      });
  return {
    app,
    nodeLane,
    metricsApp,
    config,
    store,
    metrics,
    logger,
    drain: () => {
      draining = true;
    },
    async close() {
      await Promise.all([store.close(), legacySeed?.close()]);
    },
  };
}
