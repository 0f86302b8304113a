// An app with only node-redis installed (the `redis` package, v5 or v6), in either protocol.
import { createClient } from "redis";
import { createSessionManager } from "tessera";
import { createRedisStore, nodeRedisConnection, recommendedNodeRedisOptions } from "tessera/redis";

const resp2 = createClient({ url: "redis://127.0.0.1:6379", ...recommendedNodeRedisOptions, RESP: 2 });
const resp3 = createClient({ url: "redis://127.0.0.1:6379", ...recommendedNodeRedisOptions, RESP: 3 });
const plain = createClient({ url: "redis://127.0.0.1:6379" });
export const stores = [resp2, resp3, plain].map((client) => createRedisStore({ connection: nodeRedisConnection(client) }));

const sessions = createSessionManager<{ theme: string }>({ store: stores[0]! });
export async function login(request: Request): Promise<string> {
  const { setCookie } = await sessions.login(request, { userId: "ada", data: { theme: "dark" } });
  return setCookie;
}
