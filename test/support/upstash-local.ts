import { startUpstashLocal, type UpstashLocalServer } from "@tessera/upstash-local";
import { afterAll, beforeAll } from "vitest";
import { startRedisServer, type RedisServer } from "./redis-server.js";

/** A real redis-server with upstash-local in front, for the tests of one `describe`. */
export interface UpstashLocalFixture {
  /** The redis-server behind it (for checking what reached Redis). */
  readonly redis: RedisServer;
  readonly rest: UpstashLocalServer;
}

/**
 * Starts a redis-server and upstash-local (with `token`) before the enclosing `describe`'s tests
 * and stops both after them. Read the fields inside tests: they are set once `beforeAll` ran.
 */
export function useUpstashLocal(token: string): UpstashLocalFixture {
  let redis: RedisServer | undefined;
  let rest: UpstashLocalServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    rest = await startUpstashLocal({ redisUrl: redis.url, token, port: 0 });
  });
  afterAll(async () => {
    await rest?.close();
    await redis?.dispose();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started: read it inside a test, after beforeAll`);
    return value;
  };
  return {
    get redis() {
      return started(redis, "redis-server");
    },
    get rest() {
      return started(rest, "upstash-local");
    },
  };
}
