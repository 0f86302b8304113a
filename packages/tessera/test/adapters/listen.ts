import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sendRaw } from "./raw-http.js";
import type { RunningApp } from "./adapter-suite.js";

/** Wraps a listening Node server as a suite app on its (free, loopback) port. */
export function runningServer(server: Server): RunningApp {
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    send: (request) => sendRaw(port, request),
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** Starts `server` on a free loopback port. */
export function listenOnLoopback(server: Server): Promise<RunningApp> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(runningServer(server)));
  });
}
