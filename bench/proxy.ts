/**
 * The delay proxy as its own process, so its timers run on their own event loop (the bench's
 * orchestrator blocks while wrk runs). Prints `ready <port>` once listening.
 *
 *   node bench-dist/bench/proxy.js --target 127.0.0.1:6379 --delay-ms 1 [--port 0]
 */
import { parseArgs } from "node:util";
import { startDelayProxy } from "./lib/delay-proxy.js";

const { values } = parseArgs({
  options: {
    target: { type: "string" },
    "delay-ms": { type: "string", default: "1" },
    port: { type: "string", default: "0" },
  },
});
const target = /^(.+):(\d+)$/.exec(values.target ?? "");
if (!target) {
  console.error("proxy: --target host:port is required, e.g. --target 127.0.0.1:6379");
  process.exit(2);
}
const proxy = await startDelayProxy({
  targetHost: target[1]!,
  targetPort: Number(target[2]),
  oneWayDelayMs: Number(values["delay-ms"]),
  listenPort: Number(values.port),
});
console.log(`ready ${proxy.port}`);
const stop = () => void proxy.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
