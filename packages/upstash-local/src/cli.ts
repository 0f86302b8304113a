#!/usr/bin/env node
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { redactRedisUrl } from "tessera/redis";
import { startUpstashLocal } from "./index.js";

const USAGE = `Usage: tessera <command> [options]

Commands:
  upstash-local   Serve Upstash's Redis REST API in front of a local Redis, for offline work.
      --redis <url>     Redis to serve (default: $REDIS_URL or redis://127.0.0.1:6379)
      --token <token>   Bearer token clients must send (default: $UPSTASH_REDIS_REST_TOKEN,
                        else a random one, printed once)
      --host <host>     Interface (default 127.0.0.1)
      --port <port>     Port (default 8079)
      --max-body-bytes  Largest request body (default 1048576)

Then point @upstash/redis (or tessera's server) at it:
  UPSTASH_REDIS_REST_URL=http://127.0.0.1:8079 UPSTASH_REDIS_REST_TOKEN=<token>`;

async function upstashLocal(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      redis: { type: "string" },
      token: { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8079" },
      "max-body-bytes": { type: "string", default: String(1 << 20) },
    },
  });
  const port = Number(values.port);
  const maxBodyBytes = Number(values["max-body-bytes"]);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port ${values.port} is not a port number`);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) throw new Error(`--max-body-bytes ${values["max-body-bytes"]} is not a positive whole number`);
  const redisUrl = values.redis ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  let token = values.token ?? process.env.UPSTASH_REDIS_REST_TOKEN;
  const generated = !token;
  token ||= randomBytes(24).toString("base64url");

  const server = await startUpstashLocal({ redisUrl, token, host: values.host, port, maxBodyBytes });
  console.log(`upstash-local: serving ${redactRedisUrl(redisUrl)} at ${server.url}`);
  if (generated) console.log(`upstash-local: no token given, generated one: UPSTASH_REDIS_REST_TOKEN=${token}`);
  const stop = async () => {
    const { httpRequests, commands } = server.stats;
    await server.close();
    console.log(`upstash-local: stopped after ${httpRequests} requests carrying ${commands} commands`);
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === "upstash-local") return upstashLocal(rest);
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    console.log(USAGE);
    return;
  }
  console.error(`tessera: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  process.exit(2);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`tessera: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
