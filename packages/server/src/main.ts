import { existsSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import { createSessionManager } from "tessera";
import { TesseraError } from "tessera";
import { nodeSha256 } from "tessera/node";
import { createApp, type ServerSessionData } from "./app.js";
import { readServerConfig } from "./config.js";
import { ConnectionGuard, httpServerOptions } from "./connections.js";
import { consoleLogger as logger } from "./logger.js";
import { gracefulShutdown } from "./shutdown.js";
import { openStore } from "./store-from-config.js";
import { StoreOutageLog } from "./store-outage.js";
import type { DocsAssetLoader } from "./web-routes.js";

const require = createRequire(import.meta.url);
/** The package version for /openapi.json; "0.0.0" when the file is not where a build puts it. */
const VERSION = (() => {
  try {
    return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
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
  const outageLog = new StoreOutageLog(logger);
  const sessions = createSessionManager<ServerSessionData>({
    store: outageLog.watch(store),
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
    outageLog,
    ...(docsAssets ? { docsAssets } : {}),
  });

  // serve() makes an HTTP/1.1 server unless given an HTTP/2 createServer, which this does not.
  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port, serverOptions: httpServerOptions(config.http) }, (info) => {
    logger.info(
      `listening on http://${info.family === "IPv6" ? `[${info.address}]` : info.address}:${info.port} (idle timeout ${config.idleTimeoutSeconds} s, absolute ${config.absoluteTimeoutSeconds} s)`,
    );
  }) as Server;
  server.on("error", (error: NodeJS.ErrnoException) => {
    logger.error(
      error.code === "EADDRINUSE"
        ? `port ${config.port} on ${config.host} is already in use: stop the other process or set PORT`
        : `cannot listen on ${config.host}:${config.port}: ${error.message}`,
    );
    process.exit(1);
  });

  const guard = new ConnectionGuard(server, config.http.maxConnections, logger);
  const shutdown = gracefulShutdown({ server, guard, store, graceMs: config.shutdownGraceMs, logger, exit: (code) => process.exit(code) });
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  logger.error(error instanceof TesseraError ? error.message : ((error as Error)?.stack ?? String(error)));
  process.exit(1);
});
