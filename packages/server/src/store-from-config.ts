import { Cluster, Redis } from "ioredis";
import type { SessionStore } from "tessera";
import { createMemoryStore } from "tessera/memory";
import {
  createRedisStore,
  ioredisClusterConnection,
  ioredisConnection,
  recommendedIoredisClusterOptions,
  recommendedIoredisOptions,
  redactRedisUrl,
  waitForReplicas,
  type RedisConnection,
} from "tessera/redis";
import { recommendedUpstashOptions, upstashConnection } from "tessera/upstash";
import type { ServerConfig } from "./config.js";
import type { Logger } from "./logger.js";

/** How long startup waits for Redis before serving anyway (requests then get 503 until it is up). */
const STARTUP_WAIT_MS = 2000;

/** A connection to the Redis the configuration names, and how the store must use it. */
export interface ConfiguredRedis {
  readonly connection: RedisConnection;
  /** `false` on a cluster: a script runs on one node, so cross-bucket rotations go as ordered steps. */
  readonly crossSlotScripts: boolean;
  /** For logs: the URL without credentials, the cluster's startup nodes, the sentinels, or the Upstash origin. */
  readonly description: string;
}

/**
 * Connects to the Redis the configuration selects: a Redis Cluster when `REDIS_CLUSTER_NODES` is
 * set, the primary of a Sentinel master group when `REDIS_SENTINELS` is, Redis when `REDIS_URL`
 * is, Upstash when `UPSTASH_REDIS_REST_URL`/`_TOKEN` are; `undefined` for the embedded store.
 * Used by the server and by `tessera-admin`, so both read the same variables.
 */
export async function openConfiguredRedis(config: ServerConfig, logger: Logger): Promise<ConfiguredRedis | undefined> {
  if (config.upstash !== undefined) {
    const { Redis: UpstashRedis } = await import("@upstash/redis");
    const client = new UpstashRedis({ url: config.upstash.url, token: config.upstash.token, ...recommendedUpstashOptions() });
    // The URL names the database; the token is a secret and is never logged.
    const description = `upstash at ${new URL(config.upstash.url).origin} (REST)`;
    return { connection: upstashConnection(client, { description }), crossSlotScripts: true, description };
  }
  if (config.redisClusterNodes !== undefined) {
    const nodes = config.redisClusterNodes;
    const where = formatAddresses(nodes);
    const connection = await openIoredis(
      () => new Cluster(nodes, recommendedIoredisClusterOptions),
      ioredisClusterConnection,
      `Redis Cluster via ${where}`,
      config,
      logger,
    );
    return { connection, crossSlotScripts: false, description: `redis cluster via ${where} (ioredis)${durabilityNote(config)}` };
  }
  if (config.redisSentinel !== undefined) {
    const { sentinels, masterName } = config.redisSentinel;
    const where = `Sentinel ${masterName} at ${formatAddresses(sentinels)}`;
    const options = { sentinels, name: masterName, ...recommendedIoredisOptions, ...SENTINEL_OPTIONS };
    const connection = await openIoredis(() => new Redis(options), ioredisConnection, `Redis via ${where}`, config, logger);
    return { connection, crossSlotScripts: true, description: `redis via ${where} (ioredis)${durabilityNote(config)}` };
  }
  if (config.redisUrl === undefined) return undefined;
  const redisUrl = config.redisUrl;
  const where = redactRedisUrl(redisUrl);
  const connection = await openIoredis(() => new Redis(redisUrl, recommendedIoredisOptions), ioredisConnection, `Redis at ${where}`, config, logger);
  return { connection, crossSlotScripts: true, description: `redis at ${where} (ioredis)${durabilityNote(config)}` };
}

/**
 * Sentinel-only ioredis options on top of the recommended ones. A sentinel that accepts the
 * connection but never answers (frozen, overloaded) would otherwise hold the client's search for
 * the primary forever; with a deadline it moves on to the next sentinel.
 */
const SENTINEL_OPTIONS = { sentinelCommandTimeout: 1000 };

/**
 * One ioredis client (or Cluster) for the store, watched for outages; with `REDIS_WAIT_REPLICAS`
 * a second one, made the same way, for the writes that wait (see {@link withDurability}).
 * `target` names it in log lines, without credentials.
 */
async function openIoredis<Client extends Redis | Cluster>(
  newClient: () => Client,
  connect: (client: Client) => RedisConnection,
  target: string,
  config: ServerConfig,
  logger: Logger,
): Promise<RedisConnection> {
  const client = newClient();
  let connection: RedisConnection;
  try {
    connection = withDurability(connect(client), config, () => connect(quiet(newClient())));
  } catch (error) {
    // A refused client (ioredis's own keyPrefix) would go on connecting in the background.
    client.disconnect();
    throw error;
  }
  await watchAvailability(client, target, logger);
  return connection;
}

/** `host:port,…` for logs, IPv6 hosts in brackets. */
const formatAddresses = (addresses: ReadonlyArray<{ host: string; port: number }>) =>
  addresses.map(({ host, port }) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`)).join(",");

/** Opens the store the configuration selects (see {@link openConfiguredRedis}), else the embedded one. */
export async function openStore(config: ServerConfig, logger: Logger): Promise<SessionStore> {
  const redis = await openConfiguredRedis(config, logger);
  if (redis === undefined) {
    const store = createMemoryStore({ maxSessions: config.memoryMaxSessions });
    logger.info(`session store: ${store.description}; sessions are lost on restart (set REDIS_URL to use Redis)`);
    return store;
  }
  logger.info(`session store: ${redis.description}`);
  return createRedisStore({ connection: redis.connection, crossSlotScripts: redis.crossSlotScripts });
}

/** With `REDIS_WAIT_REPLICAS`, writes wait on a second client, so a blocked WAIT never holds up reads. */
function withDurability(connection: RedisConnection, config: ServerConfig, secondConnection: () => RedisConnection): RedisConnection {
  if (config.redisWaitReplicas === 0) return connection;
  return waitForReplicas(connection, { replicas: config.redisWaitReplicas, waitingConnection: secondConnection() });
}

/** The second client's outages are the first one's too, and logged there. */
function quiet<Client extends Redis | Cluster>(client: Client): Client {
  client.on("error", () => undefined);
  return client;
}

const durabilityNote = (config: ServerConfig) => (config.redisWaitReplicas > 0 ? `; logins wait for ${config.redisWaitReplicas} replica(s) (WAIT)` : "");

/**
 * Logs outages once each, not once per reconnect attempt (the client keeps reconnecting by
 * itself), and waits up to {@link STARTUP_WAIT_MS} for the first connection.
 */
async function watchAvailability(client: Redis | Cluster, where: string, logger: Logger): Promise<void> {
  let down = false;
  client.on("error", (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(`${where} is unreachable (${error.message}); answering 503 until it is back`);
  });
  client.on("ready", () => {
    if (!down) return;
    down = false;
    logger.info(`${where} is reachable again`);
  });

  const ready = await new Promise<boolean>((resolve) => {
    if (client.status === "ready") return resolve(true);
    const timer = setTimeout(() => resolve(false), STARTUP_WAIT_MS);
    client.once("ready", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!ready) {
    down = true;
    logger.warn(`${where} did not answer within ${STARTUP_WAIT_MS} ms; serving anyway, session requests get 503 until it does`);
  }
}
