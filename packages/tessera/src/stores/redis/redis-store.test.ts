import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import type { RedisConnection } from "./connection.js";
import { createRedisStore } from "./redis-store.js";

/** A connection that is never used: these options are checked when the store is created. */
const unused: RedisConnection = {
  description: "unused",
  send: () => Promise.reject(new Error("not for these tests")),
  close: async () => {},
};

describe("createRedisStore options", () => {
  it("refuses a key prefix with glob characters or braces, naming it, and takes any other", () => {
    for (const keyPrefix of ["a*", "a?", "a[", "a]", "a\\", "{a}", "a}"]) {
      expect(() => createRedisStore({ connection: unused, keyPrefix })).toThrow(ConfigError);
      expect(() => createRedisStore({ connection: unused, keyPrefix })).toThrow(
        `keyPrefix ${JSON.stringify(keyPrefix)} must not contain glob characters or braces`,
      );
    }
    expect(() => createRedisStore({ connection: unused })).not.toThrow();
    for (const keyPrefix of ["", "app:", "app:ts:", "é:"]) expect(() => createRedisStore({ connection: unused, keyPrefix })).not.toThrow();
  });

  it("refuses a deadline that is not a positive number, and clean-up counts outside 0-100", () => {
    for (const commandTimeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createRedisStore({ connection: unused, commandTimeoutMs })).toThrow(/commandTimeoutMs must be a positive number/);
    }
    expect(() => createRedisStore({ connection: unused, cleanupPerLogin: { users: 101, sessionsPerUser: 8 } })).toThrow(
      /cleanupPerLogin.users must be a whole number from 0 to 100/,
    );
    expect(() => createRedisStore({ connection: unused, cleanupPerLogin: { users: 2, sessionsPerUser: 1.5 } })).toThrow(/cleanupPerLogin.sessionsPerUser/);
  });
});
