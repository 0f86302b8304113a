// An app with only ioredis installed (v5 or v6).
import { Redis } from "ioredis";
import { createSessionManager } from "tessera";
import { createRedisStore, ioredisConnection, recommendedIoredisOptions } from "tessera/redis";

const store = createRedisStore({ connection: ioredisConnection(new Redis("redis://127.0.0.1:6379", recommendedIoredisOptions)) });
// No type argument: data is a plain record, so any JSON object fits.
const sessions = createSessionManager({ store });

export async function login(request: Request): Promise<string> {
  const { setCookie } = await sessions.login(request, { userId: "ada", data: { theme: "dark" } });
  return setCookie;
}
