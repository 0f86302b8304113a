import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { RedisStore } from "connect-redis";
import fastifyCookie from "@fastify/cookie";
import fastifySession from "@fastify/session";
import express from "express";
import Fastify from "fastify";
import signature from "cookie-signature";
import session from "express-session";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromExpressSession } from "../../examples/express-session-migration.js";
import { fromFastifySession } from "../../examples/fastify-session-migration.js";
import { tesseraSessions } from "../../src/adapters/fastify/index.js";
import { sessionErrorHandler, sessionMiddleware } from "../../src/adapters/express/index.js";
import { createSessionManager } from "../../src/core/session.js";
import { HeaderRecordRequest } from "../../src/core/request-sessions.js";
import { createRedisStore, expressSessionImport, type ExpressSessionToImport, fastifySessionImport } from "../../src/stores/redis/index.js";
import { connectTo, connectToNothing, countingConnection, type RedisClientKind } from "../../../../test/support/redis-harness.js";
import { racingConversion, recordingConversion as recordingImport } from "../../../../test/support/recording-conversion.js";
import { startRedisServer, type RedisServer } from "../../../../test/support/redis-server.js";

/**
 * express-session's own sessions, made by a real Express app with express-session and
 * connect-redis on a real Redis, then converted by the importer. The cookie is taken from the
 * app's `Set-Cookie` exactly as a browser would send it back.
 */

const OLD_SECRET = "the secret express-session signed with";
const NEW_SECRET = "a secret it was rotated to later";

declare module "express-session" {
  interface SessionData {
    userId: string;
    passport: { user: string | number };
    cart: string[];
  }
}

interface ExpressApp {
  /** Logs `user` in (or, without one, saves a session with a cart only) and returns the `connect.sid` cookie value as sent. */
  login(user?: string | number, options?: { passport?: boolean }): Promise<string>;
  /** A value the app signed with its secret that is no session id. */
  signedOther(): Promise<string>;
  /** Who the express app itself sees for a cookie value. */
  whoami(cookieValue: string): Promise<string | null>;
  close(): Promise<void>;
}

async function startExpressApp(redisUrl: string, secret: string): Promise<ExpressApp> {
  const client = createClient({ url: redisUrl });
  await client.connect();
  const app = express();
  app.use(express.json());
  app.use(session({ store: new RedisStore({ client }), secret, resave: false, saveUninitialized: false }));
  app.post("/login", (req, res) => {
    const { user, passport } = req.body as { user?: string | number; passport?: boolean };
    if (user === undefined) req.session.cart = ["book"];
    else if (passport) req.session.passport = { user };
    else req.session.userId = String(user);
    res.json({ ok: true });
  });
  app.get("/whoami", (req, res) => void res.json({ user: req.session.userId ?? req.session.passport?.user ?? null }));
  // What cookie-parser's signed cookies look like: the same "s:" format and, often, the same secret.
  app.get("/signed-other", (_req, res) => void res.json({ value: `s:${signature.sign("a-value-that-is-no-session-id", secret)}` }));
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async login(user, options = {}) {
      const response = await fetch(`${base}/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user, passport: options.passport }),
      });
      const cookie = response.headers.getSetCookie().find((line) => line.startsWith("connect.sid="));
      if (cookie === undefined) throw new Error("express-session set no cookie");
      return cookie.slice("connect.sid=".length).split(";")[0]!;
    },
    async signedOther() {
      return ((await (await fetch(`${base}/signed-other`)).json()) as { value: string }).value;
    },
    async whoami(cookieValue) {
      const response = await fetch(`${base}/whoami`, { headers: { cookie: `connect.sid=${cookieValue}` } });
      return ((await response.json()) as { user: string | null }).user;
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await client.quit();
    },
  };
}

const recordingConversion = () => recordingImport<ExpressSessionToImport>();

const userIdOf = (stored: Record<string, unknown>) => stored.userId ?? (stored.passport as { user?: unknown } | undefined)?.user;
const keyOf = (cookieValue: string) => `sess:${decodeURIComponent(cookieValue).slice(2, decodeURIComponent(cookieValue).lastIndexOf("."))}`;

describe.each<RedisClientKind>(["ioredis", "node-redis"])("express-session sessions over %s", (kind) => {
  let redis: RedisServer;
  let expressApp: ExpressApp;
  beforeAll(async () => {
    redis = await startRedisServer();
    expressApp = await startExpressApp(redis.url, OLD_SECRET);
  });
  afterAll(async () => {
    await expressApp?.close();
    await redis?.dispose();
  });
  const exists = async (key: string) => (await redis.command("EXISTS", key)).trim() === ":1";

  it("converts a logged-in express session once into a tessera session of the same user, and the old cookie stops working", async () => {
    const cookie = await expressApp.login("ada");
    expect(cookie.startsWith("s%3A"), "express-session URL-encodes its signed value").toBe(true);
    expect(await expressApp.whoami(cookie)).toBe("ada");
    const sessions = createSessionManager({ store: createRedisStore({ connection: await connectTo(kind, redis.url) }) });
    const importer = expressSessionImport({ connection: await connectTo(kind, redis.url), secret: OLD_SECRET, userIdOf });

    const result = await importer.convert(cookie, {
      create: ({ userId }) => sessions.login(new HeaderRecordRequest("http", {}), { userId }),
      discard: async ({ session: made }) => void (await sessions.revokeSession(made, made.id)),
    });
    if (result.status !== "converted") throw new Error(`not converted: ${result.status}`);
    expect(result.created.session.userId).toBe("ada");
    expect((await sessions.validateToken(result.created.token))?.userId).toBe("ada");
    expect(await exists(keyOf(cookie))).toBe(false);
    expect(await expressApp.whoami(cookie)).toBeNull();
    // Once only.
    const again = recordingConversion();
    expect(await importer.convert(cookie, again.conversion)).toEqual({ status: "missing" });
    expect(again.created).toEqual([]);
  });

  it("takes Passport's numeric user id as its decimal string", async () => {
    const cookie = await expressApp.login(42, { passport: true });
    const importer = expressSessionImport({ connection: await connectTo(kind, redis.url), secret: OLD_SECRET, userIdOf });
    const { created, conversion } = recordingConversion();
    expect(await importer.convert(cookie, conversion)).toEqual({ status: "converted", created: 0 });
    expect(created[0]!.userId).toBe("42");
  });

  it("hands create the stored session: a Passport login, the cookie as sent or decoded", async () => {
    const cookie = await expressApp.login("grace", { passport: true });
    const importer = expressSessionImport({ connection: await connectTo(kind, redis.url), secret: OLD_SECRET, userIdOf });
    expect(await importer.sessionIdOf(decodeURIComponent(cookie))).toBe(await importer.sessionIdOf(cookie));
    const { created, conversion } = recordingConversion();
    expect(await importer.convert(decodeURIComponent(cookie), conversion)).toEqual({ status: "converted", created: 0 });
    expect(created).toHaveLength(1);
    expect(created[0]!.userId).toBe("grace");
    expect(created[0]!.session).toMatchObject({ passport: { user: "grace" }, cookie: { path: "/", httpOnly: true } });
  });

  it("a cookie signed with none of the secrets, tampered with, unsigned or junk costs no round trip and converts nothing", async () => {
    const cookie = await expressApp.login("mallory-target");
    const connection = countingConnection(await connectTo(kind, redis.url));
    const { created, conversion } = recordingConversion();
    const decoded = decodeURIComponent(cookie);
    const signature = decoded.slice(decoded.lastIndexOf(".") + 1);
    const flipped = `${decoded.slice(0, decoded.lastIndexOf(".") + 1)}${signature[0] === "A" ? "B" : "A"}${signature.slice(1)}`;
    const wrongSecret = expressSessionImport({ connection, secret: "not the app's secret", userIdOf });
    expect(await wrongSecret.convert(cookie, conversion)).toEqual({ status: "not_signed" });
    const importer = expressSessionImport({ connection, secret: OLD_SECRET, userIdOf });
    const signedOther = await expressApp.signedOther();
    for (const value of [
      flipped,
      decoded.slice(2),
      `s:${decoded.slice(2, decoded.lastIndexOf("."))}`,
      "s%3",
      "%E0%A4%A",
      "",
      "s:.",
      `${decoded}x`,
      signedOther,
    ]) {
      expect(await importer.convert(value, conversion), JSON.stringify(value)).toEqual({ status: "not_signed" });
    }
    // The app's own signature, on a value of another shape than express-session's ids: not looked up.
    expect(await expressSessionImport({ connection, secret: OLD_SECRET, userIdOf, sessionIdPattern: /^[a-z-]+$/ }).sessionIdOf(signedOther)).toBe(
      "a-value-that-is-no-session-id",
    );
    expect(await importer.remove(flipped)).toBe(false);
    // A pattern with the g flag keeps no state between cookies (RegExp#test would, with lastIndex).
    const global = expressSessionImport({ connection, secret: OLD_SECRET, userIdOf, sessionIdPattern: /^[A-Za-z0-9_-]{32}$/g });
    const id = await global.sessionIdOf(cookie);
    expect(id).not.toBeNull();
    expect(await global.sessionIdOf(cookie)).toBe(id);
    expect(connection.roundTrips).toBe(0);
    expect(created).toEqual([]);
    expect(await expressApp.whoami(cookie)).toBe("mallory-target");
  });

  it("accepts a cookie signed with any secret still listed (a rotated secret), given as text or bytes", async () => {
    const connection = await connectTo(kind, redis.url);
    for (const secret of [
      [NEW_SECRET, OLD_SECRET],
      [new TextEncoder().encode(NEW_SECRET), new TextEncoder().encode(OLD_SECRET)],
    ]) {
      const cookie = await expressApp.login("rotating");
      const { created, conversion } = recordingConversion();
      expect(await expressSessionImport({ connection, secret, userIdOf }).convert(cookie, conversion)).toEqual({ status: "converted", created: 0 });
      expect(created.map((found) => found.userId)).toEqual(["rotating"]);
    }
  });

  it("leaves a session nobody logged into (a cart only) where it is", async () => {
    const cookie = await expressApp.login();
    const importer = expressSessionImport({ connection: await connectTo(kind, redis.url), secret: OLD_SECRET, userIdOf });
    const { created, conversion } = recordingConversion();
    expect(await importer.convert(cookie, conversion)).toEqual({ status: "anonymous" });
    expect(created).toEqual([]);
    expect(await exists(keyOf(cookie))).toBe(true);
  });

  it("a race of first requests on independent connections converts exactly once", async () => {
    const cookie = await expressApp.login("racer");
    const racers = 8;
    const connections = await Promise.all(Array.from({ length: racers }, () => connectTo(kind, redis.url)));
    const { created, discarded, conversion } = recordingConversion();
    const racing = racingConversion(conversion, racers);
    // A deadline far past any stall of a busy machine (see the same test of the tutorial's sessions).
    const results = await Promise.all(
      connections.map((connection) => expressSessionImport({ connection, secret: OLD_SECRET, userIdOf, commandTimeoutMs: 30_000 }).convert(cookie, racing)),
    );
    const winners = results.flatMap((result) => (result.status === "converted" ? [result.created] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((result) => result.status === "converted_elsewhere")).toHaveLength(racers - 1);
    expect(created).toHaveLength(racers);
    expect(discarded.sort()).toEqual(created.map((_, index) => index).filter((index) => index !== winners[0]));
    await Promise.all(connections.map((connection) => connection.close()));
  });

  it("the README's migration middleware: an express-session user's next request is signed in under tessera, and stays so", async () => {
    const cookie = await expressApp.login("migrating");
    const sessions = createSessionManager({ store: createRedisStore({ connection: await connectTo(kind, redis.url) }) });
    const importer = expressSessionImport({ connection: await connectTo(kind, redis.url), secret: OLD_SECRET, userIdOf });
    const app = express();
    app.use(fromExpressSession(sessions, importer));
    app.use(sessionMiddleware(sessions));
    app.get(
      "/me",
      async (req, res) => void res.json({ user: (await req.sessions.session())?.userId ?? null, other: req.headers.cookie?.includes("theme=dark") }),
    );
    app.use(sessionErrorHandler());
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
    });
    try {
      const me = (headers: Record<string, string>) => fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/me`, { headers });
      const first = await me({ cookie: `theme=dark; connect.sid=${cookie}` });
      expect(await first.json()).toEqual({ user: "migrating", other: true });
      const setCookies = first.headers.getSetCookie();
      expect(
        setCookies.some((line) => /^connect\.sid=;/.test(line)),
        "express-session's cookie is cleared",
      ).toBe(true);
      const tessera = setCookies.find((line) => line.startsWith("session_id="))!.split(";")[0]!;
      expect(await (await me({ cookie: tessera })).json()).toEqual({ user: "migrating", other: false });
      expect(await exists(keyOf(cookie))).toBe(false);
      // A stale tab still sending the old cookie alone is not signed in twice: nothing is left to convert.
      const stale = await me({ cookie: `connect.sid=${cookie}` });
      expect(await stale.json()).toEqual({ user: null, other: false });
      expect(stale.headers.getSetCookie().some((line) => line.startsWith("session_id=") && !line.startsWith("session_id=;"))).toBe(false);

      // A page's parallel first requests: one conversion, every one of them signed in as its session.
      const parallelCookie = await expressApp.login("parallel");
      const answers = await Promise.all(Array.from({ length: 5 }, () => me({ cookie: `connect.sid=${parallelCookie}` })));
      expect(await Promise.all(answers.map((answer) => answer.json()))).toEqual(Array(5).fill({ user: "parallel", other: false }));
      const tokens = answers.map(
        (answer) =>
          answer.headers
            .getSetCookie()
            .find((line) => line.startsWith("session_id="))!
            .split(";")[0],
      );
      expect(new Set(tokens).size).toBe(1);
      expect(await sessions.listUserSessions("parallel")).toHaveLength(1);

      // A cookie no listed secret signed keeps its cookie too: a wrong secret must not cost anyone their session.
      const forged = await me({ cookie: "connect.sid=s%3AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.c2lnbmF0dXJl" });
      expect(await forged.json()).toEqual({ user: null, other: false });
      expect(forged.headers.getSetCookie().filter((line) => line.startsWith("connect.sid="))).toEqual([]);

      // A session nobody logged into keeps its cookie (the app may still read it).
      const cart = await me({ cookie: `connect.sid=${await expressApp.login()}` });
      expect(await cart.json()).toEqual({ user: null, other: false });
      expect(cart.headers.getSetCookie().filter((line) => line.startsWith("connect.sid="))).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("the migration middleware answers 503 with Retry-After while the old Redis is down, and keeps the old cookie", async () => {
    const cookie = await expressApp.login("patient");
    const sessions = createSessionManager({ store: createRedisStore({ connection: await connectTo(kind, redis.url) }) });
    const importer = expressSessionImport({ connection: await connectToNothing(kind), secret: OLD_SECRET, userIdOf });
    const app = express();
    app.use(fromExpressSession(sessions, importer));
    app.get("/me", (_req, res) => void res.json({ reached: true }));
    app.use(sessionErrorHandler());
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
    });
    try {
      const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/me`, { headers: { cookie: `connect.sid=${cookie}` } });
      expect(answer.status).toBe(503);
      expect(answer.headers.get("retry-after")).not.toBeNull();
      expect(answer.headers.getSetCookie()).toEqual([]);
      expect(await expressApp.whoami(cookie), "the old session, still there").toBe("patient");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("remove deletes the session a correctly signed cookie names (a logout before conversion)", async () => {
    const cookie = await expressApp.login("leaving");
    const importer = expressSessionImport({ connection: await connectTo(kind, redis.url), secret: OLD_SECRET, userIdOf });
    expect(await importer.remove(cookie)).toBe(true);
    expect(await importer.remove(cookie)).toBe(false);
    expect(await expressApp.whoami(cookie)).toBeNull();
  });
});

describe("@fastify/session sessions", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => redis?.dispose());

  it("converts a @fastify/session + connect-redis login once (its cookie has no s: prefix)", async () => {
    const client = createClient({ url: redis.url });
    await client.connect();
    const app = Fastify();
    await app.register(fastifyCookie);
    await app.register(fastifySession, { store: new RedisStore({ client }) as never, secret: OLD_SECRET.padEnd(32, "!"), cookie: { secure: false } });
    app.post("/login", async (request) => {
      (request.session as unknown as { user: string }).user = (request.body as { user: string }).user;
      return { ok: true };
    });
    app.get("/whoami", async (request) => ({ user: (request.session as unknown as { user?: string }).user ?? null }));
    await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      /** Logs `user` in on the @fastify/session app; its `sessionId` cookie value as sent. */
      const fastifyLogin = async (user: string) => {
        const login = await fetch(`${base}/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user }) });
        return login.headers
          .getSetCookie()
          .find((line) => line.startsWith("sessionId="))!
          .slice("sessionId=".length)
          .split(";")[0]!;
      };
      const cookie = await fastifyLogin("fastify-user");
      const whoami = async () =>
        ((await (await fetch(`${base}/whoami`, { headers: { cookie: `sessionId=${cookie}` } })).json()) as { user: string | null }).user;
      expect(await whoami()).toBe("fastify-user");

      const connection = await connectTo("ioredis", redis.url);
      const options = { connection, secret: OLD_SECRET.padEnd(32, "!"), userIdOf: (s: Record<string, unknown>) => s.user };
      const { created, conversion } = recordingConversion();
      expect(await expressSessionImport(options).convert(cookie, conversion), "express-session's format wants s:").toEqual({ status: "not_signed" });
      expect(await fastifySessionImport(options).convert(cookie, conversion)).toEqual({ status: "converted", created: 0 });
      expect(created[0]!.userId).toBe("fastify-user");
      expect(await whoami()).toBeNull();

      // The README's hook, in a tessera Fastify app: the next user's first request is signed in.
      const nextCookie = await fastifyLogin("hooked");
      const sessions = createSessionManager({ store: createRedisStore({ connection: await connectTo("ioredis", redis.url) }) });
      const tesseraApp = Fastify();
      await tesseraApp.register(tesseraSessions, { manager: sessions });
      tesseraApp.addHook("onRequest", fromFastifySession(sessions, fastifySessionImport(options)));
      tesseraApp.get("/me", async (request) => ({ user: (await request.sessions.session())?.userId ?? null }));
      await tesseraApp.listen({ port: 0, host: "127.0.0.1" });
      try {
        const me = (cookieHeader: string) =>
          fetch(`http://127.0.0.1:${(tesseraApp.server.address() as AddressInfo).port}/me`, { headers: { cookie: cookieHeader } });
        const first = await me(`sessionId=${nextCookie}`);
        expect(await first.json()).toEqual({ user: "hooked" });
        const setCookies = first.headers.getSetCookie();
        expect(
          setCookies.some((line) => /^sessionId=;/.test(line)),
          "@fastify/session's cookie is cleared",
        ).toBe(true);
        const tessera = setCookies.find((line) => line.startsWith("session_id="))!.split(";")[0]!;
        expect(await (await me(tessera)).json()).toEqual({ user: "hooked" });
      } finally {
        await tesseraApp.close();
      }
      await connection.close();
    } finally {
      await app.close();
      await client.quit();
    }
  });
});

describe("expressSessionImport options", () => {
  it("refuses a missing secret or userIdOf with an error that says what to pass", async () => {
    const connection = { description: "unused", send: async () => [], close: async () => undefined };
    expect(() => expressSessionImport({ connection, secret: "", userIdOf })).toThrow(/options\.secret must be express-session's secret/);
    expect(() => expressSessionImport({ connection, secret: [], userIdOf })).toThrow(/options\.secret/);
    expect(() => expressSessionImport({ connection, secret: "s" } as never)).toThrow(/options\.userIdOf is required/);
    expect(() => expressSessionImport({ connection, secret: "s", userIdOf, sessionIdPattern: "^[a-f]+$" as never })).toThrow(
      /options\.sessionIdPattern must be a RegExp/,
    );
    expect(() => expressSessionImport({ secret: "s", userIdOf } as never)).toThrow(/options\.connection is required: wrap the client connect-redis uses/);
  });
});
