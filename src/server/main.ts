import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import { createSessionManager } from "../core/session.js";
import { TesseraError } from "../core/errors.js";
import { nodeSha256 } from "../runtime/node.js";
import { createApp, type ServerSessionData } from "./app.js";
import { readServerConfig } from "./config.js";
import { consoleLogger as logger } from "./logger.js";
import { openStore } from "./store-from-config.js";
import type { DocsAssetLoader } from "./web-routes.js";

/** How long shutdown waits for in-flight requests before closing anyway. */
const SHUTDOWN_GRACE_MS = 5000;

const require = createRequire(import.meta.url);
/** The package version for /openapi.json; "0.0.0" when the file is not where a build puts it. */
const VERSION = (() => {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
})();

/** The Swagger UI files `/docs` needs, read once from the swagger-ui-dist package. */
function swaggerUiAssets(): DocsAssetLoader | undefined {
  let directory: string;
  try {
    directory = dirname(require.resolve("swagger-ui-dist/package.json"));
  } catch {
    logger.warn("swagger-ui-dist is not installed: /docs will load without its assets (npm install swagger-ui-dist)");
    return undefined;
  }
  // A Map: a name from the URL such as `__proto__` must not find an inherited property.
  const files = new Map([
    ["swagger-ui.css", "text/css; charset=utf-8"],
    ["swagger-ui-bundle.js", "text/javascript; charset=utf-8"],
  ]);
  const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  return async (name) => {
    const type = files.get(name);
    if (type === undefined) return null;
    let body = cache.get(name);
    if (body === undefined) cache.set(name, (body = readFile(join(directory, name)).then((buffer) => new Uint8Array(buffer))));
    return { body: await body, type };
  };
}

async function main(): Promise<void> {
  // Like the seed's load_dotenv(): variables already in the environment win over the file.
  if (existsSync(".env")) process.loadEnvFile(".env");
  const config = readServerConfig(process.env);
  const store = await openStore(config, logger);
  const sessions = createSessionManager<ServerSessionData>({
    store,
    sha256: nodeSha256,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    absoluteTimeoutSeconds: config.absoluteTimeoutSeconds,
    maxSessionsPerUser: config.maxSessionsPerUser,
    cookie: { name: config.cookieName, secure: config.cookieSecure },
  });
  const clientIp = (c: Context): string | undefined => {
    if (config.trustProxy) {
      const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
      if (forwarded) return forwarded;
    }
    return getConnInfo(c).remote.address;
  };
  const docsAssets = swaggerUiAssets();
  const app = createApp({
    sessions,
    logger,
    allowedOrigins: config.allowedOrigins,
    accessLog: config.accessLog,
    clientIp,
    version: VERSION,
    ...(docsAssets ? { docsAssets } : {}),
  });

  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
    logger.info(
      `listening on http://${info.family === "IPv6" ? `[${info.address}]` : info.address}:${info.port} (idle timeout ${config.idleTimeoutSeconds} s, absolute ${config.absoluteTimeoutSeconds} s)`,
    );
  });
  server.on("error", (error: NodeJS.ErrnoException) => {
    logger.error(
      error.code === "EADDRINUSE"
        ? `port ${config.port} on ${config.host} is already in use: stop the other process or set PORT`
        : `cannot listen on ${config.host}:${config.port}: ${error.message}`,
    );
    process.exit(1);
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received, finishing in-flight requests`);
    const force = setTimeout(() => {
      logger.warn(`requests still open after ${SHUTDOWN_GRACE_MS} ms, closing them`);
      if ("closeAllConnections" in server) server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(async () => {
      await store.close().catch(() => undefined);
      logger.info("stopped");
      process.exit(0);
    });
    // Keep-alive connections with no request in flight would hold close() open.
    if ("closeIdleConnections" in server) server.closeIdleConnections();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  logger.error(error instanceof TesseraError ? error.message : ((error as Error)?.stack ?? String(error)));
  process.exit(1);
});
