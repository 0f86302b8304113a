export { createRedisStore } from "./redis-store.js";
export type { RedisStoreOptions } from "./redis-store.js";
export { commandTimedOut, isCommandTimeout, isReplyError, redactRedisUrl } from "./connection.js";
export type { RedisArgument, RedisCommand, RedisConnection, RedisReply, SendOneOptions, SendOptions } from "./connection.js";
export { ioredisConnection, recommendedIoredisOptions } from "./ioredis.js";
export type { IoredisClient } from "./ioredis.js";
export { nodeRedisConnection, recommendedNodeRedisOptions } from "./node-redis.js";
export type { NodeRedisClient } from "./node-redis.js";
export { ioredisClusterConnection, recommendedIoredisClusterOptions } from "./ioredis-cluster.js";
export type { IoredisClusterClient } from "./ioredis-cluster.js";
export { nodeRedisClusterConnection, recommendedNodeRedisClusterOptions } from "./node-redis-cluster.js";
export type { NodeRedisClusterClient, NodeRedisClusterPipeline } from "./node-redis-cluster.js";
export { CrossSlotRoundTripError, keySlot } from "./cluster-slot.js";
export { ReplicaAcknowledgementError, waitForReplicas } from "./wait-for-replicas.js";
export type { WaitForReplicasOptions } from "./wait-for-replicas.js";
export { isLegacySeedSessionId, LEGACY_SEED_KEY_PREFIX, legacySeedSessions } from "./legacy-seed.js";
export type { LegacySeedConversion, LegacySeedSession, LegacySeedSessions, LegacySeedSessionsOptions } from "./legacy-seed.js";
export { EXPRESS_SESSION_KEY_PREFIX, expressSessionImport, fastifySessionImport } from "./express-session-import.js";
export type {
  ExpressSessionImport,
  ExpressSessionImportOptions,
  ExpressSessionImportResult,
  ExpressSessionSecret,
  ExpressSessionToImport,
  FastifySessionImportOptions,
} from "./express-session-import.js";
export type { SessionConversion, SessionImportOptions } from "./session-import.js";
export { scanLayout } from "./layout-scan.js";
export type { LayoutScanReport, ScanLayoutOptions } from "./layout-scan.js";
export { migrateLayout } from "./layout-migration.js";
export type { MigrateLayoutOptions, MigrationProgress } from "./layout-migration.js";
export type { KeyspaceScanOptions, ScanPosition } from "./scan-keys.js";
export { classifyKey, DIGEST_LENGTH, digestOf, encodeUserIndexValue, keyLayout } from "./layout.js";
export type { KeyLayout } from "./layout.js";
