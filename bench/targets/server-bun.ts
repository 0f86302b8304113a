/**
 * The reference server on Bun, served by `Bun.serve` (Hono's Bun path) instead of
 * @hono/node-server: the same configuration, store, metrics and app as packages/server's main.ts,
 * through its runtime-neutral `createServerFromEnv`. /docs assets and graceful shutdown are left
 * out (the benchmark uses neither).
 */
import { getConnInfo } from "hono/bun";
import { nodeSha256 } from "tessera/node";
import { createServerFromEnv } from "@tessera/server";
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

const { app, metricsApp, config } = await createServerFromEnv(process.env, { sha256: nodeSha256, remoteAddress: (c) => getConnInfo(c).remote.address });
// Hono's Bun adapter reads the client address from the server object passed as the env.
const server = Bun.serve({ hostname: config.host, port: config.port, fetch: (request, bunServer) => app.fetch(request, { server: bunServer }) });
if (metricsApp !== undefined && config.operations.metricsPort !== undefined) {
  Bun.serve({ hostname: config.host, port: config.operations.metricsPort, fetch: (request) => metricsApp.fetch(request) });
}
announce(`tessera-server-bun on bun ${Bun.version} (Bun.serve on port ${server.port})`);
