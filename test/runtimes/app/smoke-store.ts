import { Redis } from "@upstash/redis";
import type { SessionStore } from "tessera";
import { createRedisStore } from "tessera/redis";
import { createUpstashStore, upstashConnection } from "tessera/upstash";
import { switchableStore } from "../../../packages/tessera/test/adapters/switchable-store.js";

/**
 * The stores a smoke app can run on:
 * - `memory`: the embedded store;
 * - `upstash`: `createUpstashStore`, the recommended way (its client also aborts each request at
 *   the store's deadline);
 * - `upstash-own-client`: the app's own `@upstash/redis` client, with no timeout and no retries,
 *   through `upstashConnection`: only the store's own deadline can cut a hung call.
 */
export const SMOKE_STORES = ["memory", "upstash", "upstash-own-client"] as const;

/** Which store a smoke app runs on, read from the environment (or a Worker's bindings). */
export type SmokeConfig = { store: "memory" } | { store: "upstash" | "upstash-own-client"; url: string; token: string; commandTimeoutMs: number };

/** Variable names the test passes to every runtime. */
export const CONFIG_VARIABLES = ["SMOKE_STORE", "UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN", "SMOKE_COMMAND_TIMEOUT_MS"] as const;

/** Reads the config through `get` (process.env, Deno.env or a Worker's `env`), failing with what to set. */
export function readSmokeConfig(get: (name: (typeof CONFIG_VARIABLES)[number]) => string | undefined): SmokeConfig {
  const store = get("SMOKE_STORE");
  if (store === "memory") return { store };
  if (store !== "upstash" && store !== "upstash-own-client")
    throw new Error(`SMOKE_STORE must be one of ${SMOKE_STORES.join(", ")}, got ${JSON.stringify(store)}`);
  const url = get("UPSTASH_REDIS_REST_URL");
  const token = get("UPSTASH_REDIS_REST_TOKEN");
  const commandTimeoutMs = Number(get("SMOKE_COMMAND_TIMEOUT_MS") ?? "1000");
  if (!url || !token) throw new Error(`SMOKE_STORE=${store} needs UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN`);
  return { store, url, token, commandTimeoutMs };
}

/** A store and, for the memory store (which cannot fail by itself), a switch that takes it down. */
export interface SmokeStore {
  store: SessionStore;
  setDown?: (down: boolean) => void;
}

/** Builds the configured store as an app would, through the library's public entries. */
export async function createSmokeStore(config: SmokeConfig): Promise<SmokeStore> {
  if (config.store === "upstash") {
    const { url, token, commandTimeoutMs } = config;
    return { store: await createUpstashStore({ url, token, commandTimeoutMs }) };
  }
  if (config.store === "upstash-own-client") {
    const { url, token, commandTimeoutMs } = config;
    const client = new Redis({ url, token, automaticDeserialization: false, enableTelemetry: false, retry: { retries: 0 } });
    return { store: createRedisStore({ connection: upstashConnection(client), commandTimeoutMs }) };
  }
  // The memory store lives in the process, so its outage is simulated by a switch (the adapter
  // suite's); the Upstash runs get real outages.
  const { store, setFailing } = switchableStore();
  return { store, setDown: setFailing };
}
