export { createRedisStore } from "./redis-store.js";
export type { RedisStoreOptions } from "./redis-store.js";
export { redactRedisUrl } from "./connection.js";
export type { RedisArgument, RedisCommand, RedisConnection, RedisReply } from "./connection.js";
export { ioredisConnection, recommendedIoredisOptions } from "./ioredis.js";
export type { IoredisClient } from "./ioredis.js";
export { nodeRedisConnection, recommendedNodeRedisOptions } from "./node-redis.js";
export type { NodeRedisClient } from "./node-redis.js";
