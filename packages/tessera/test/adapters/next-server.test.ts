import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { classifyKey } from "tessera/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendRaw, type SuiteResponse } from "./raw-http.js";
import { freePort, sleep } from "../../../../test/support/ports.js";
import { type RedisServer, startRedisServer } from "../../../../test/support/redis-server.js";

/**
 * tessera/next in a real Next.js server: the app in ./next-app (route handlers wrapped by
 * `route()`, a proxy, a Server Component and Server Actions reading through `cookies()`), built
 * with `next build` against the library's dist/ and run with `next start` as a child process,
 * driven over loopback HTTP.
 *
 * Sessions live in a real redis-server, reached through ioredis from Next's process (REDIS_URL).
 * Not the memory store of examples/next-sessions.ts: under `next start` the proxy and a page load
 * their own copies of lib/sessions.js, so a memory store is not shared (tried: a session the route
 * handler logged in was unknown to /profile, and the proxy redirected and cleared its cookie).
 */
const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const APP_DIR = fileURLToPath(new URL("./next-app/", import.meta.url));
const NEXT_BIN = join(REPO, "node_modules/next/dist/bin/next");
/** Inside the app (Next refuses a distDir outside it or its workspace), git-ignored, one per run. */
const DIST_DIR = `.next/run-${process.pid}`;
const COOKIE = "session_id";
const FOREIGN_ORIGIN = "https://evil.example";
const REFUSAL = { detail: expect.stringContaining("Cross-site request refused") };

let redis: RedisServer;
let build: ChildProcess | undefined;
let next: ChildProcess | undefined;
/** Set by afterAll: a setup still running (its hook timed out) must not start anything more. */
let tornDown = false;
let nextOutput = "";
let port: number;
let ownOrigin: string;

type Reply = SuiteResponse;

/** One request over `node:http` (not `fetch`, which rewrites `Host`), one connection per request. */
function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return sendRaw(port, { method, path, headers, ...(body === undefined ? {} : { body }) });
}

/** The library as a user's app loads it: through its package exports, i.e. dist/. */
function assertLibraryBuilt(): void {
  const newestMs = (dir: string) =>
    readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile() && !entry.name.endsWith(".test.ts"))
      .reduce((newest, entry) => Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs), 0);
  const dist = join(REPO, "packages/tessera/dist");
  if (!existsSync(dist)) throw new Error("packages/tessera/dist is missing: run `npm run build` before the Next.js server test");
  if (newestMs(join(REPO, "packages/tessera/src")) > newestMs(dist)) {
    throw new Error("packages/tessera/dist is older than its sources: run `npm run build` before the Next.js server test");
  }
}

/** Runs the Next CLI in the app's directory, its output kept (the last 20 kB) for error messages. */
function spawnNext(args: string[]): ChildProcess {
  const env = {
    ...process.env,
    // vitest sets NODE_ENV=test; this is a production build and server.
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    REDIS_URL: redis.url,
    TESSERA_NEXT_DIST_DIR: DIST_DIR,
  };
  // Its own process group, so stopping it takes every process it started, and nothing else.
  const child = spawn(process.execPath, [NEXT_BIN, ...args], { cwd: APP_DIR, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const keep = (chunk: Buffer) => (nextOutput = (nextOutput + chunk.toString("utf8")).slice(-20_000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

async function stopNext(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const done = exited(child);
  killGroup(child.pid, "SIGTERM");
  const stopped = await Promise.race([done.then(() => true), sleep(5000).then(() => false)]);
  if (!stopped) killGroup(child.pid, "SIGKILL");
  await done;
}

/** Signals a process group we started; one that has already exited (ESRCH) is fine. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/** The id Next gave a Server Action of app/actions.js, from the build's manifest. */
function actionId(exportedName: string): string {
  const manifest = JSON.parse(readFileSync(join(APP_DIR, DIST_DIR, "server/server-reference-manifest.json"), "utf8")) as {
    node: Record<string, { exportedName: string }>;
  };
  const found = Object.entries(manifest.node).find(([, action]) => action.exportedName === exportedName);
  if (!found) throw new Error(`no Server Action ${exportedName} in the build`);
  return found[0];
}

/** Calls a Server Action as Next's client does: POST to its page, its id in `Next-Action`, arguments as a JSON array. */
function callAction(name: string, args: unknown[], cookie: string): Promise<Reply> {
  const headers = { "next-action": actionId(name), "content-type": "text/plain;charset=UTF-8", accept: "text/x-component", origin: ownOrigin, cookie };
  return send("POST", "/profile", headers, JSON.stringify(args));
}

/** What the Server Component at /profile says about the visitor. */
async function profileSays(cookie: string): Promise<string> {
  const page = await send("GET", "/profile", { cookie });
  expect(page.status, page.text.slice(0, 500)).toBe(200);
  return /<p id="who">([^<]*)<\/p>/.exec(page.text)?.[1] ?? `no #who in ${page.text.slice(0, 300)}`;
}

async function login(user: string): Promise<{ cookie: string; reply: Reply }> {
  const reply = await send("POST", "/api/session", { "x-user": user, origin: ownOrigin, "sec-fetch-site": "same-origin" });
  expect(reply.status, reply.text).toBe(200);
  const line = reply.setCookies.find((value) => value.startsWith(`${COOKIE}=`));
  expect(line, JSON.stringify(reply.setCookies)).toBeDefined();
  return { cookie: line!.split(";")[0]!, reply };
}

const clearsCookie = (reply: Reply) => reply.setCookies.some((line) => line.startsWith(`${COOKIE}=;`) && /Max-Age=0/i.test(line));
const sessionCookies = (reply: Reply) => reply.setCookies.filter((line) => line.toLowerCase().startsWith(`${COOKIE}=`));

/** Session keys in Redis (the per-user index keys left out). */
async function sessionKeys(): Promise<Set<string>> {
  const lines = (await redis.command("KEYS", "*")).split("\r\n");
  return new Set(lines.filter((line, index) => lines[index - 1]?.startsWith("$") && classifyKey("ts:", line) === "session"));
}

/** What Next handed its route handler for these headers: printed with a failed guard assertion. */
async function seenByNext(headers: Record<string, string>): Promise<string> {
  return `Next handed the route: ${(await send("GET", "/api/request", headers)).text}`;
}

beforeAll(async () => {
  assertLibraryBuilt();
  redis = await startRedisServer();
  build = spawnNext(["build"]);
  const code = await exited(build);
  if (tornDown) return;
  if (code !== 0) throw new Error(`next build failed (exit ${code}):\n${nextOutput}`);
  port = await freePort();
  ownOrigin = `http://127.0.0.1:${port}`;
  if (tornDown) return;
  next = spawnNext(["start", "--port", String(port), "--hostname", "127.0.0.1"]);
  for (let attempt = 0; !tornDown; attempt++) {
    if (next.exitCode !== null) throw new Error(`next start exited (${next.exitCode}):\n${nextOutput}`);
    const up = await send("GET", "/api/request").then(
      (reply) => reply.status === 200,
      () => false,
    );
    if (up) break;
    if (attempt === 300) throw new Error(`next start did not answer within 30 s:\n${nextOutput}`);
    await sleep(100);
  }
}, 180_000);

afterAll(async () => {
  tornDown = true;
  try {
    for (const child of [build, next]) if (child) await stopNext(child);
  } finally {
    await redis?.dispose();
    rmSync(join(APP_DIR, DIST_DIR), { recursive: true, force: true });
  }
});

describe("tessera/next in a real Next.js server (next build, next start)", () => {
  it("login sets an HttpOnly, SameSite=Lax, Path=/ cookie (no Secure over http) with no-store; reads see it; logout clears it and ends it in Redis", async () => {
    const before = await sessionKeys();
    const { cookie, reply } = await login("ada");
    expect(sessionCookies(reply)).toHaveLength(1);
    const [line] = sessionCookies(reply);
    expect(line).toMatch(new RegExp(`^${COOKIE}=[A-Za-z0-9_-]{40,}; `));
    expect(line).toMatch(/; HttpOnly(;|$)/);
    expect(line).toMatch(/; SameSite=Lax(;|$)/);
    expect(line).toMatch(/; Path=\/(;|$)/);
    expect(line).not.toMatch(/Secure|Domain=/i);
    expect(reply.headers["cache-control"]).toBe("no-store");
    const created = [...(await sessionKeys())].filter((key) => !before.has(key));
    expect(created).toHaveLength(1);

    const me = await send("GET", "/api/session", { cookie });
    expect(me.status).toBe(200);
    expect(JSON.parse(me.text)).toEqual({ user: "ada", theme: "dark" });
    expect(me.setCookies).toEqual([]);
    expect(await profileSays(cookie)).toBe("Signed in as ada (theme dark)");

    const out = await send("DELETE", "/api/session", { cookie, origin: ownOrigin });
    expect(out.status, out.text).toBe(204);
    expect(clearsCookie(out)).toBe(true);
    expect(out.headers["cache-control"]).toBe("no-store");
    expect(await redis.command("EXISTS", created[0]!)).toBe(":0\r\n");
    const after = await send("GET", "/api/session", { cookie });
    expect(after.status).toBe(401);
    expect(clearsCookie(after)).toBe(true);
  });

  it("the same-origin guard refuses a foreign Origin with 403 and the JSON detail, and lets the browser's own origin through, as it addressed the server", async () => {
    const refused = await send("POST", "/api/session", { origin: FOREIGN_ORIGIN });
    expect(refused.status).toBe(403);
    expect(refused.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(refused.text)).toEqual(REFUSAL);
    expect(refused.setCookies).toEqual([]);
    expect((await send("POST", "/api/session", { "sec-fetch-site": "cross-site" })).status).toBe(403);

    // A forced logout from another site leaves the session alone.
    const { cookie } = await login("grace");
    expect((await send("DELETE", "/api/session", { cookie, origin: FOREIGN_ORIGIN })).status).toBe(403);
    expect((await send("GET", "/api/session", { cookie })).status).toBe(200);

    // What a browser on the page sends: its own origin, exactly as it addressed the server.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, "app.example.com"]) {
      // No Sec-Fetch-Site: a browser's `same-origin` would pass before Origin is compared with Host.
      const headers = { host, origin: `http://${host}` };
      const same = await send("POST", "/api/session", headers);
      expect(same.status, `Host ${host}: ${same.text}; ${await seenByNext(headers)}`).toBe(200);
    }
    // A page of another origin is refused whatever Next's own listening address is.
    const headers = { host: "app.example.com", origin: `http://localhost:${port}` };
    const other = await send("POST", "/api/session", headers);
    expect(other.status, `${other.text}; ${await seenByNext(headers)}`).toBe(403);
    // curl and server-to-server calls (neither Origin nor Sec-Fetch-Site) pass.
    expect((await send("POST", "/api/session")).status).toBe(200);
  });

  it("behind a proxy: without Sec-Fetch-Site the guard compares Origin with Host and the scheme Next takes from X-Forwarded-Proto; X-Forwarded-Host needs allowedOrigins", async () => {
    // A proxy that passes Host through and says TLS: the browser's https origin passes, and the
    // cookie is Secure. No Sec-Fetch-Site: a browser's `same-origin` would decide on its own.
    const tls = { host: "app.example.com", "x-forwarded-proto": "https" };
    const viaProxy = await send("POST", "/api/session", { ...tls, origin: "https://app.example.com" });
    expect(viaProxy.status, `${viaProxy.text}; ${await seenByNext(tls)}`).toBe(200);
    expect(sessionCookies(viaProxy)[0]).toMatch(/; Secure(;|$)/);
    expect((await send("POST", "/api/session", { ...tls, origin: "http://app.example.com" })).status).toBe(403);

    // A proxy that rewrites Host to the app's address: X-Forwarded-Host is not trusted by default
    // (anyone can send it), so the browser's origin is refused unless the route lists it in
    // allowedOrigins (or sets trustProxy, run by the adapter suite in next.test.ts).
    const rewritten = { "x-forwarded-host": "app.example.com", "x-forwarded-proto": "https", origin: "https://app.example.com" };
    const refused = await send("POST", "/api/session", rewritten);
    expect(refused.status, `${refused.text}; ${await seenByNext(rewritten)}`).toBe(403);
    expect((await send("POST", "/api/proxied-session", rewritten)).status).toBe(200);
    // A current browser labels its request: same-origin passes whatever the proxy did to Host.
    expect((await send("POST", "/api/session", { ...rewritten, "sec-fetch-site": "same-origin" })).status).toBe(200);
    const forged = { "x-forwarded-host": "evil.example", origin: "http://evil.example" };
    expect((await send("POST", "/api/session", forged)).status).toBe(403);
    expect((await send("POST", "/api/proxied-session", forged)).status).toBe(403);
  });

  it("hostile cookies get the documented answers: garbage is cleared with 401, a live one among duplicates wins, none is a 500", async () => {
    const { cookie } = await login("linus");
    const live = cookie.slice(COOKIE.length + 1);
    for (const value of ["not-a-token", "%E0%A4%A", "A".repeat(45), "A".repeat(8000)]) {
      const me = await send("GET", "/api/session", { cookie: `${COOKIE}=${value}` });
      expect(me.status, `${value.slice(0, 20)}: ${me.text.slice(0, 200)}`).toBe(401);
      expect(JSON.parse(me.text)).toEqual({ detail: "Not logged in" });
      expect(clearsCookie(me)).toBe(true);
      expect(me.headers["cache-control"]).toBe("no-store");
      expect(await profileSays(`${COOKIE}=${value}`)).toBe("Not signed in");
      const account = await send("GET", "/account", { cookie: `${COOKIE}=${value}` });
      expect(account.status).toBe(307);
      expect(clearsCookie(account)).toBe(true);
    }
    // Past Node's header limit (16 KiB): Node answers 431 itself, before Next or tessera.
    const huge = await send("GET", "/api/session", { cookie: `${COOKIE}=${"A".repeat(20_000)}` });
    expect(huge.status).toBe(431);
    expect(huge.text).not.toMatch(/<html/i);

    // The session cookie sent twice (another path's, a sibling subdomain's): the live one wins, in
    // either order, and nothing is cleared, in route handlers, a Server Component and a Server Action.
    for (const pair of [`${COOKIE}=${live}; ${COOKIE}=not-a-token`, `${COOKIE}=not-a-token; ${COOKIE}=${live}`]) {
      const me = await send("GET", "/api/session", { cookie: pair });
      expect(me.status, pair).toBe(200);
      expect(me.setCookies).toEqual([]);
      expect(await profileSays(pair), pair).toMatch(/^Signed in as linus /);
      const saved = await callAction("saveTheme", ["sepia"], pair);
      expect(saved.status, saved.text.slice(0, 300)).toBe(200);
      expect(saved.text, pair).toMatch(/^1:true$/m);
      expect(sessionCookies(saved), pair).toEqual([]);
    }
    expect(JSON.parse((await send("GET", "/api/session", { cookie })).text)).toEqual({ user: "linus", theme: "sepia" });
  });

  it("Server Actions through cookies(): saveTheme patches the session; logOut clears the cookie through cookies().set and ends the session", async () => {
    const before = await sessionKeys();
    const { cookie } = await login("barbara");
    const [created] = [...(await sessionKeys())].filter((key) => !before.has(key));
    const saved = await callAction("saveTheme", ["light"], cookie);
    expect(saved.status, saved.text.slice(0, 300)).toBe(200);
    expect(saved.text).toMatch(/^1:true$/m);
    expect(JSON.parse((await send("GET", "/api/session", { cookie })).text)).toEqual({ user: "barbara", theme: "light" });

    const out = await callAction("logOut", [], cookie);
    expect(out.status, out.text.slice(0, 300)).toBe(200);
    expect(sessionCookies(out)).toHaveLength(1);
    expect(sessionCookies(out)[0]).toMatch(new RegExp(`^${COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=lax$`, "i"));
    expect(await redis.command("EXISTS", created!)).toBe(":0\r\n");
    expect(await profileSays(cookie)).toBe("Not signed in");
  });

  it("the proxy sends visitors without a live session to /login, clearing a dead cookie on the redirect", async () => {
    const anonymous = await send("GET", "/account");
    expect(anonymous.status).toBe(307);
    expect(anonymous.headers.location).toBe("/login");
    expect(anonymous.setCookies).toEqual([]);
    const { cookie } = await login("edsger");
    const inside = await send("GET", "/account", { cookie });
    expect(inside.status).toBe(200);
    expect(inside.text).toContain('<p id="account">Account</p>');
    await send("DELETE", "/api/session", { cookie });
    const dead = await send("GET", "/account", { cookie });
    expect(dead.status).toBe(307);
    expect(clearsCookie(dead)).toBe(true);
    expect(dead.headers["cache-control"]).toBe("no-store");
  });

  // Last: it stops Redis.
  it("Redis down: route handlers and the proxy answer 503 JSON with Retry-After, nobody's cookie is cleared, Next stays up, and the session is back with Redis", async () => {
    const { cookie } = await login("ken");
    await redis.stop();
    for (const [method, path] of [
      ["GET", "/api/session"],
      ["POST", "/api/session"],
      ["DELETE", "/api/session"],
      ["GET", "/account"],
    ] as const) {
      const down = await send(method, path, { cookie, origin: ownOrigin });
      expect(down.status, `${method} ${path}: ${down.text.slice(0, 300)}`).toBe(503);
      expect(down.headers["content-type"]).toMatch(/^application\/json/);
      expect(JSON.parse(down.text)).toEqual({ detail: "Session store unavailable, please retry shortly" });
      expect(Number(down.headers["retry-after"])).toBeGreaterThan(0);
      expect(down.headers["cache-control"]).toBe("no-store");
      expect(sessionCookies(down)).toEqual([]);
    }
    // Outside route(), as the README says, Next answers a store failure itself with 500; still no
    // cookie is cleared.
    const page = await send("GET", "/profile", { cookie });
    expect(page.status).toBe(500);
    expect(sessionCookies(page)).toEqual([]);
    const action = await callAction("saveTheme", ["dusk"], cookie);
    expect(action.status).toBe(500);
    expect(sessionCookies(action)).toEqual([]);

    expect(next?.exitCode).toBeNull();
    expect((await send("GET", "/api/request")).status).toBe(200);

    await redis.start();
    // ioredis reconnects in the background (backoff capped at 1 s): bounded polling, no timing asserted.
    let me = await send("GET", "/api/session", { cookie });
    for (let attempt = 0; attempt < 100 && me.status === 503; attempt++) {
      await sleep(100);
      me = await send("GET", "/api/session", { cookie });
    }
    expect(me.status, me.text).toBe(200);
    expect(JSON.parse(me.text)).toEqual({ user: "ken", theme: "dark" });
  });
});
