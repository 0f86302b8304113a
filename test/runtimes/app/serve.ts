/**
 * The smoke app as a server on Node, Bun or Deno: each runtime's own HTTP server, on a port the
 * OS picks, announced on stdout as `smoke app listening on <url>`. Config comes from the
 * environment (see smoke-store.ts).
 */
import { createSmokeApp } from "./smoke-app.js";
import { createSmokeStore, readSmokeConfig } from "./smoke-store.js";

/** The parts of Bun's and Deno's globals used here (the repository type-checks with Node's types only). */
declare const Bun:
  | { version: string; serve(options: { hostname: string; port: number; fetch: (request: Request) => Response | Promise<Response> }): { port: number } }
  | undefined;
declare const Deno:
  | {
      version: { deno: string };
      serve(
        options: { hostname: string; port: number; onListen: (address: { port: number }) => void },
        handler: (request: Request) => Response | Promise<Response>,
      ): unknown;
    }
  | undefined;

const HOST = "127.0.0.1";
const announce = (port: number) => console.log(`smoke app listening on http://${HOST}:${port}`);

const runtime = typeof Bun !== "undefined" ? `bun ${Bun.version}` : typeof Deno !== "undefined" ? `deno ${Deno.version.deno}` : `node ${process.version}`;
const app = createSmokeApp(await createSmokeStore(readSmokeConfig((name) => process.env[name])), runtime);

if (typeof Bun !== "undefined") {
  announce(Bun.serve({ hostname: HOST, port: 0, fetch: app.fetch }).port);
} else if (typeof Deno !== "undefined") {
  Deno.serve({ hostname: HOST, port: 0, onListen: ({ port }) => announce(port) }, app.fetch);
} else {
  const { serve } = await import("@hono/node-server");
  serve({ fetch: app.fetch, hostname: HOST, port: 0 }, ({ port }) => announce(port));
}
