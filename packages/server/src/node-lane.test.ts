import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createSessionManager } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { afterEach, describe, expect, it } from "vitest";
import type { Logger } from "./logger.js";
import { ServerMetrics } from "./metrics.js";
import { createNodeLane } from "./node-lane.js";
import { RequestRecorder } from "./request-observer.js";
import type { ServerSessionData } from "./require-session.js";
import { StoreOutageLog } from "./store-outage.js";

/**
 * The lane's own failures: a request answered, then recording it throws (a metrics bug). The
 * error is logged with its route, the client keeps its answer, and the server goes on serving.
 * (`test/integration/node-lane.test.ts` compares the lane's answers with the Hono app's.)
 */

class FailingRecorder extends RequestRecorder {
  override routeFinisher(): () => void {
    return () => {
      throw new Error("metrics exploded");
    };
  }
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function laneServer(logger: Logger): Promise<string> {
  const sessions = createSessionManager<ServerSessionData>({ store: createMemoryStore() });
  const lane = createNodeLane({
    sessions,
    recorder: new FailingRecorder({ metrics: new ServerMetrics({ processMetrics: false }) }),
    logger,
    outageLog: new StoreOutageLog(logger),
    maxBodyBytes: 1024,
    clientIp: () => undefined,
  });
  server = createServer((request, response) => {
    if (!lane(request, response)) response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("node lane: a failure after the answer", () => {
  it("logs the recorder's error with the route and keeps serving", async () => {
    const errors: string[] = [];
    const base = await laneServer({ info() {}, warn() {}, error: (message) => errors.push(message) });

    for (const path of ["/profile/", "/profile"]) {
      const response = await fetch(base + path);
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ detail: "No session cookie found" });
    }
    const login = await fetch(`${base}/login/`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"username":"ada"}' });
    expect(login.status).toBe(200);

    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/^GET \/profile: Error: metrics exploded/);
    expect(errors[2]).toMatch(/^POST \/login: Error: metrics exploded/);
  });
});
