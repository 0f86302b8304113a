/**
 * The reference server on Bun, served by `Bun.serve` (Hono's Bun path) instead of
 * @hono/node-server, with the same configuration, store and app as packages/server's main.ts.
 * The server package has no runtime-neutral entry yet, so this wires its parts as main.ts does;
 * /docs assets and graceful shutdown are left out (the benchmark uses neither).
 */
import { getConnInfo } from "hono/bun";
import { createSessionManager } from "tessera";
import { nodeSha256 } from "tessera/node";
import { createApp, type ServerSessionData } from "@tessera/server/dist/app.js";
import { readServerConfig } from "@tessera/server/dist/config.js";
import { consoleLogger as logger } from "@tessera/server/dist/logger.js";
import { openStore } from "@tessera/server/dist/store-from-config.js";
import { announce } from "./common.js";

/** The part of Bun's global this file uses (bench compiles with Node's types only). */
declare const Bun: {
  version: string;
  serve(options: { hostname: string; port: number; fetch: (request: Request, server: unknown) => Response | Promise<Response> }): { port: number };
};
if (typeof Bun === "undefined") {
  console.error("server-bun: run this file with bun, not node");
  process.exit(2);
}

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
const app = createApp({
  sessions,
  logger,
  allowedOrigins: config.allowedOrigins,
  accessLog: config.accessLog,
  clientIp: (c) => getConnInfo(c).remote.address,
});
// Hono's Bun adapter reads the client address from the server object passed as the env.
const server = Bun.serve({ hostname: config.host, port: config.port, fetch: (request, bunServer) => app.fetch(request, { server: bunServer }) });
announce(`tessera-server-bun on bun ${Bun.version} (Bun.serve on port ${server.port})`);
