import { Cluster } from "ioredis";
import { createCluster } from "redis";
import type { RedisConnection } from "tessera/redis";
import { ioredisClusterConnection, nodeRedisClusterConnection, recommendedIoredisClusterOptions, recommendedNodeRedisClusterOptions } from "tessera/redis";
import { freePort } from "./ports.js";
import type { RedisClientKind } from "./redis-harness.js";

/** A cluster connection of the given client kind through `startupNodes` (`host:port`), connected and ready. */
export async function connectToCluster(kind: RedisClientKind, startupNodes: readonly string[]): Promise<RedisConnection> {
  const nodes = startupNodes.map((address) => {
    const [host, port] = address.split(":");
    return { host: host!, port: Number(port) };
  });
  if (kind === "ioredis") {
    const cluster = new Cluster(nodes, recommendedIoredisClusterOptions);
    cluster.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      cluster.once("ready", resolve);
      setTimeout(() => reject(new Error(`ioredis Cluster did not become ready through ${startupNodes.join(",")} within 5 s`)), 5000).unref();
    });
    return ioredisClusterConnection(cluster);
  }
  const cluster = createCluster({ rootNodes: nodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })), ...recommendedNodeRedisClusterOptions });
  cluster.on("error", () => undefined);
  await cluster.connect();
  return nodeRedisClusterConnection(cluster);
}

/** A cluster connection of the given kind whose only startup node is a port where nothing listens. */
export async function connectToNoCluster(kind: RedisClientKind): Promise<RedisConnection> {
  const port = await freePort();
  if (kind === "ioredis") {
    const cluster = new Cluster([{ host: "127.0.0.1", port }], recommendedIoredisClusterOptions);
    cluster.on("error", () => undefined);
    return ioredisClusterConnection(cluster);
  }
  const cluster = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${port}` }], ...recommendedNodeRedisClusterOptions });
  cluster.on("error", () => undefined);
  await cluster.connect().catch(() => undefined);
  return nodeRedisClusterConnection(cluster);
}
