import { Redis } from "ioredis";
import { createSessionManager, type SessionLookup } from "tessera";
import { nodeSha256 } from "tessera/node";
import { createRedisStore, ioredisConnection, recommendedIoredisOptions } from "tessera/redis";
import { IDLE_SECONDS, REDIS_URL } from "./common.js";

/** The session manager every tessera-on-a-framework target uses: the Redis store, as the server does. */
export function benchSessionManager() {
  const store = createRedisStore({ connection: ioredisConnection(new Redis(REDIS_URL, recommendedIoredisOptions)) });
  return createSessionManager({ store, sha256: nodeSha256, idleTimeoutSeconds: IDLE_SECONDS });
}

/** The seed's `GET /profile/` answer from a lookup: [status, body]. */
export function profileAnswer(lookup: SessionLookup): [number, unknown] {
  if (lookup.status === "anonymous") return [403, { detail: "No session cookie found" }];
  if (lookup.status === "invalid") return [404, { detail: "Session not found or expired" }];
  return [200, { session_id: lookup.token, session_data: { user: lookup.session.userId, status: "active" } }];
}
