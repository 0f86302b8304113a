import { serve } from "@hono/node-server";
import { Redis } from "ioredis";
import { announce, PORT, REDIS_URL } from "./common.js";
import { seedApp } from "./seed-app.js";

/** The seed's app (seed-app.ts) on ioredis. */
const app = seedApp(new Redis(REDIS_URL));

serve({ fetch: app.fetch, hostname: "127.0.0.1", port: PORT }, () => announce("seed-port"));
