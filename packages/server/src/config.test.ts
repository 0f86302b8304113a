import { describe, expect, it } from "vitest";
import { ConfigError } from "tessera";
import { readServerConfig } from "./config.js";

describe("readServerConfig", () => {
  it("defaults to the seed's setup: 127.0.0.1:8000, embedded store, 900 s idle, 12 h absolute", () => {
    expect(readServerConfig({})).toEqual({
      host: "127.0.0.1",
      port: 8000,
      redisUrl: undefined,
      redisClusterNodes: undefined,
      redisSentinel: undefined,
      redisWaitReplicas: 0,
      upstash: undefined,
      idleTimeoutSeconds: 900,
      absoluteTimeoutSeconds: 43_200,
      cookieName: "session_id",
      cookieSecure: "auto",
      allowedOrigins: [],
      memoryMaxSessions: 100_000,
      accessLog: false,
      maxSessionsPerUser: 100,
      trustProxy: false,
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5000, maxConnections: 512 },
      shutdownGraceMs: 10_000,
      operations: { logFormat: "pretty", metricsPort: undefined, accessLogHealth: false, legacySeedSessions: false },
    });
  });

  it("reads every variable", () => {
    const config = readServerConfig({
      HOST: "0.0.0.0",
      PORT: "9000",
      REDIS_URL: "redis://:secret@127.0.0.1:6380/2",
      SESSION_TIMEOUT_SECONDS: "60",
      SESSION_ABSOLUTE_TIMEOUT_SECONDS: "3600",
      SESSION_COOKIE_NAME: "__Host-sid",
      SESSION_COOKIE_SECURE: "true",
      ALLOWED_ORIGINS: "https://a.example, http://localhost:5173",
      MEMORY_MAX_SESSIONS: "10",
      ACCESS_LOG: "yes",
      MAX_SESSIONS_PER_USER: "3",
      TRUST_PROXY: "true",
      HTTP_HEADERS_TIMEOUT_MS: "2000",
      HTTP_REQUEST_TIMEOUT_MS: "4000",
      HTTP_KEEP_ALIVE_TIMEOUT_MS: "1500",
      HTTP_MAX_CONNECTIONS: "64",
      SHUTDOWN_GRACE_MS: "3000",
    });
    expect(config).toMatchObject({
      host: "0.0.0.0",
      port: 9000,
      redisUrl: "redis://:secret@127.0.0.1:6380/2",
      idleTimeoutSeconds: 60,
      absoluteTimeoutSeconds: 3600,
      cookieName: "__Host-sid",
      cookieSecure: true,
      allowedOrigins: ["https://a.example", "http://localhost:5173"],
      memoryMaxSessions: 10,
      accessLog: true,
      maxSessionsPerUser: 3,
      trustProxy: true,
      http: { headersTimeoutMs: 2000, requestTimeoutMs: 4000, keepAliveTimeoutMs: 1500, maxConnections: 64 },
      shutdownGraceMs: 3000,
    });
  });

  it("selects Upstash from the seed's two variables", () => {
    expect(readServerConfig({ UPSTASH_REDIS_REST_URL: "https://eu1-x.upstash.io", UPSTASH_REDIS_REST_TOKEN: "secret" }).upstash).toEqual({
      url: "https://eu1-x.upstash.io",
      token: "secret",
    });
  });

  it("reads Redis Cluster startup nodes, and WAIT durability for Redis", () => {
    const config = readServerConfig({ REDIS_CLUSTER_NODES: "10.0.0.1:7000, redis-b.internal:7001,[::1]:7002", REDIS_WAIT_REPLICAS: "1" });
    expect(config.redisClusterNodes).toEqual([
      { host: "10.0.0.1", port: 7000 },
      { host: "redis-b.internal", port: 7001 },
      { host: "::1", port: 7002 },
    ]);
    expect(config.redisWaitReplicas).toBe(1);
    expect(readServerConfig({ REDIS_URL: "redis://127.0.0.1:6379", REDIS_WAIT_REPLICAS: "2" }).redisWaitReplicas).toBe(2);
  });

  it("reads Sentinel's addresses and master group name, and WAIT durability with them", () => {
    const config = readServerConfig({
      REDIS_SENTINELS: "10.0.0.1:26379, sentinel-b.internal:26380,[::1]:26381",
      REDIS_SENTINEL_NAME: " mymaster ",
      REDIS_WAIT_REPLICAS: "1",
    });
    expect(config.redisSentinel).toEqual({
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "sentinel-b.internal", port: 26380 },
        { host: "::1", port: 26381 },
      ],
      masterName: "mymaster",
    });
    expect(config.redisWaitReplicas).toBe(1);
    expect(config.redisUrl).toBeUndefined();
    expect(config.redisClusterNodes).toBeUndefined();
  });

  it("never puts the Upstash token in an error message", () => {
    const error = (() => {
      try {
        readServerConfig({ REDIS_URL: "redis://h:1", UPSTASH_REDIS_REST_URL: "https://x.upstash.io", UPSTASH_REDIS_REST_TOKEN: "s3cr3t-token" });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toBeDefined();
    expect(error?.message).not.toContain("s3cr3t-token");
  });

  it.each([
    [{ PORT: "80a" }, /PORT="80a" is invalid: set a whole number from 0 to 65535/],
    [{ PORT: "70000" }, /PORT/],
    [{ SESSION_TIMEOUT_SECONDS: "0" }, /SESSION_TIMEOUT_SECONDS/],
    [{ SESSION_TIMEOUT_SECONDS: "-5" }, /SESSION_TIMEOUT_SECONDS/],
    [{ SESSION_ABSOLUTE_TIMEOUT_SECONDS: "1e3" }, /SESSION_ABSOLUTE_TIMEOUT_SECONDS/],
    [{ SESSION_TIMEOUT_SECONDS: "86400" }, /SESSION_TIMEOUT_SECONDS=86400 is longer than SESSION_ABSOLUTE_TIMEOUT_SECONDS=43200/],
    [{ REDIS_URL: "127.0.0.1:6379" }, /REDIS_URL must start with redis:\/\//],
    [{ SESSION_COOKIE_SECURE: "maybe" }, /SESSION_COOKIE_SECURE/],
    [{ ALLOWED_ORIGINS: "https://a.example/path" }, /not an origin/],
    [{ ACCESS_LOG: "sometimes" }, /ACCESS_LOG/],
    [{ HTTP_MAX_CONNECTIONS: "0" }, /HTTP_MAX_CONNECTIONS="0" is invalid: set a whole number from 1/],
    [{ HTTP_HEADERS_TIMEOUT_MS: "5" }, /HTTP_HEADERS_TIMEOUT_MS/],
    [{ HTTP_HEADERS_TIMEOUT_MS: "20000", HTTP_REQUEST_TIMEOUT_MS: "10000" }, /HTTP_REQUEST_TIMEOUT_MS=10000 is shorter than HTTP_HEADERS_TIMEOUT_MS=20000/],
    [{ SHUTDOWN_GRACE_MS: "soon" }, /SHUTDOWN_GRACE_MS/],
    [{ SHUTDOWN_GRACE_MS: "5000" }, /SHUTDOWN_GRACE_MS=5000 is not longer than HTTP_KEEP_ALIVE_TIMEOUT_MS=5000/],
    [{ UPSTASH_REDIS_REST_URL: "https://x.upstash.io" }, /UPSTASH_REDIS_REST_URL is set but UPSTASH_REDIS_REST_TOKEN is not/],
    [{ UPSTASH_REDIS_REST_TOKEN: "t" }, /UPSTASH_REDIS_REST_TOKEN is set but UPSTASH_REDIS_REST_URL is not/],
    [{ UPSTASH_REDIS_REST_URL: "x.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" }, /must be an https:\/\/ URL/],
    [
      { REDIS_URL: "redis://127.0.0.1:6379", UPSTASH_REDIS_REST_URL: "https://x.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" },
      /both REDIS_URL and UPSTASH_REDIS_REST_URL are set/,
    ],
    [{ REDIS_CLUSTER_NODES: "10.0.0.1" }, /REDIS_CLUSTER_NODES entry "10.0.0.1" is not host:port/],
    [{ REDIS_CLUSTER_NODES: "10.0.0.1:7000,,10.0.0.2:7000" }, /REDIS_CLUSTER_NODES entry "" is not host:port/],
    [{ REDIS_CLUSTER_NODES: "redis://10.0.0.1:7000" }, /is not host:port/],
    [{ REDIS_CLUSTER_NODES: "10.0.0.1:70000" }, /is not host:port/],
    [{ REDIS_CLUSTER_NODES: "10.0.0.1:7000", REDIS_URL: "redis://127.0.0.1:6379" }, /both REDIS_CLUSTER_NODES and REDIS_URL are set/],
    [
      { REDIS_CLUSTER_NODES: "10.0.0.1:7000", UPSTASH_REDIS_REST_URL: "https://x.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" },
      /both REDIS_CLUSTER_NODES and UPSTASH_REDIS_REST_URL are set/,
    ],
    [{ REDIS_WAIT_REPLICAS: "1" }, /REDIS_WAIT_REPLICAS applies to Redis only: set REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS too/],
    [{ REDIS_SENTINELS: "10.0.0.1:26379" }, /REDIS_SENTINELS is set but REDIS_SENTINEL_NAME is not: set it to the master group's name/],
    [{ REDIS_SENTINELS: "10.0.0.1:26379", REDIS_SENTINEL_NAME: "  " }, /REDIS_SENTINELS is set but REDIS_SENTINEL_NAME is not/],
    [{ REDIS_SENTINEL_NAME: "mymaster" }, /REDIS_SENTINEL_NAME is set but REDIS_SENTINELS is not: set REDIS_SENTINELS=host:port/],
    [
      { REDIS_SENTINELS: "10.0.0.1", REDIS_SENTINEL_NAME: "mymaster" },
      /REDIS_SENTINELS entry "10.0.0.1" is not host:port: write e.g. REDIS_SENTINELS=10.0.0.1:26379/,
    ],
    [{ REDIS_SENTINELS: "10.0.0.1:26379,", REDIS_SENTINEL_NAME: "mymaster" }, /REDIS_SENTINELS entry "" is not host:port/],
    [{ REDIS_SENTINELS: "10.0.0.1:0", REDIS_SENTINEL_NAME: "mymaster" }, /REDIS_SENTINELS entry "10.0.0.1:0" is not host:port/],
    [
      { REDIS_SENTINELS: "10.0.0.1:26379", REDIS_SENTINEL_NAME: "mymaster", REDIS_URL: "redis://127.0.0.1:6379" },
      /both REDIS_SENTINELS and REDIS_URL are set: unset one of them/,
    ],
    [
      { REDIS_SENTINELS: "10.0.0.1:26379", REDIS_SENTINEL_NAME: "mymaster", REDIS_CLUSTER_NODES: "10.0.0.1:7000" },
      /both REDIS_SENTINELS and REDIS_CLUSTER_NODES are set: unset one of them/,
    ],
    [
      { REDIS_SENTINELS: "10.0.0.1:26379", REDIS_SENTINEL_NAME: "mymaster", UPSTASH_REDIS_REST_URL: "https://x.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" },
      /both REDIS_SENTINELS and UPSTASH_REDIS_REST_URL are set: unset one of them/,
    ],
    [{ REDIS_CLUSTER_NODES: "10.0.0.1:7000", REDIS_WAIT_REPLICAS: "one" }, /REDIS_WAIT_REPLICAS="one" is invalid/],
  ])("rejects %o with a message naming the variable", (env, message) => {
    expect(() => readServerConfig(env)).toThrow(ConfigError);
    expect(() => readServerConfig(env)).toThrow(message);
  });
});
