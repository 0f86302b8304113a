import type { RequestListener } from "node:http";
import { getRequestListener } from "@hono/node-server";
import type { TesseraServer } from "./server-from-env.js";

/**
 * The server's `node:http` request listener: the Node lane first (the seed's routes, see
 * `node-lane.ts`), the Hono app on @hono/node-server for every request the lane leaves.
 */
export function nodeRequestListener(server: Pick<TesseraServer, "app" | "nodeLane" | "config">): RequestListener {
  const { nodeLane } = server;
  const serveApp = getRequestListener(server.app.fetch, { hostname: server.config.host });
  return nodeLane === undefined ? serveApp : (request, response) => nodeLane(request, response) || serveApp(request, response);
}
