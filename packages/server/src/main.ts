import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { TesseraError } from "tessera";
import { nodeSha256 } from "tessera/node";
import { answerClientErrorsAsJson, ConnectionGuard, httpServerOptions } from "./connections.js";
import { STATIC_RESPONSE_HEADERS } from "./security.js";
import { consoleLogger, type Logger } from "./logger.js";
import { createServerFromEnv, loggerFromEnv } from "./server-from-env.js";
import { nodeRequestListener } from "./node-listener.js";
import { gracefulShutdown } from "./shutdown.js";
import type { DocsAssetLoader } from "./web-routes.js";

/** `LOG_FORMAT`'s logger once the environment (and `.env`) is read; the console one before. */
let logger: Logger = consoleLogger;

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
  logger = loggerFromEnv(process.env);
  const docsAssets = swaggerUiAssets();
  const tessera = await createServerFromEnv(process.env, {
    logger,
    sha256: nodeSha256,
    remoteAddress: (c) => getConnInfo(c).remote.address,
    version: VERSION,
    ...(docsAssets ? { docsAssets } : {}),
  });
  const { config } = tessera;

  // The seed's routes straight on node:http (node-lane.ts), the Hono app for the rest.
  const server = createServer(httpServerOptions(config.http));
  // The guard serves the requests: its bookkeeping, then the seed's routes or the app.
  const guard = new ConnectionGuard(server, nodeRequestListener(tessera), config.http.maxConnections, logger);
  answerClientErrorsAsJson(server, STATIC_RESPONSE_HEADERS);
  server.listen(config.port, config.host, () => {
    logger.info(
      `listening on ${urlOf(server.address() as AddressInfo)} (idle timeout ${config.idleTimeoutSeconds} s, absolute ${config.absoluteTimeoutSeconds} s)`,
    );
  });
  server.on("error", (error: NodeJS.ErrnoException) => exitOnListenError(error, config.host, config.port, "PORT"));

  let metricsServer: Server | undefined;
  const metricsPort = config.operations.metricsPort;
  if (tessera.metricsApp !== undefined && metricsPort !== undefined) {
    metricsServer = serve({ fetch: tessera.metricsApp.fetch, hostname: config.host, port: metricsPort }, (info) => {
      logger.info(`metrics on ${urlOf(info)}/metrics (METRICS_PORT)`);
    }) as Server;
    metricsServer.on("error", (error: NodeJS.ErrnoException) => exitOnListenError(error, config.host, metricsPort, "METRICS_PORT"));
  }

  const shutdown = gracefulShutdown({
    server,
    guard,
    store: { description: tessera.store.description, close: () => tessera.close() },
    graceMs: config.shutdownGraceMs,
    logger,
    exit: (code) => process.exit(code),
  });
  const stop = (signal: string) => {
    tessera.drain();
    metricsServer?.close();
    shutdown(signal);
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

function urlOf(info: { address: string; family: string; port: number }): string {
  return `http://${info.family === "IPv6" ? `[${info.address}]` : info.address}:${info.port}`;
}

function exitOnListenError(error: NodeJS.ErrnoException, host: string, port: number, variable: string): never {
  logger.error(
    error.code === "EADDRINUSE"
      ? `port ${port} on ${host} is already in use: stop the other process or set ${variable}`
      : `cannot listen on ${host}:${port}: ${error.message}`,
  );
  process.exit(1);
}

main().catch((error: unknown) => {
  logger.error(error instanceof TesseraError ? error.message : ((error as Error)?.stack ?? String(error)));
  process.exit(1);
});
