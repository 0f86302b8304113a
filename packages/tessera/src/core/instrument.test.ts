import { describe, expect, it } from "vitest";
import { microtaskTurnsUntilSettled, withTracedReads } from "../../../../test/support/store-reads.js";
import { nodeSha256 } from "../runtime/node.js";
import { createMemoryStore } from "../stores/memory/memory-store.js";
import { StoreUnavailableError } from "./errors.js";
import type { SessionEvent } from "./events.js";
import { instrumentStore, sessionEventLabels, type StoreOperation } from "./instrument.js";
import { createSessionManager } from "./session.js";
import type { SessionStore } from "./store.js";

type Call = [operation: StoreOperation, durationMs: number, errorCode?: string | undefined];

function recording(store: SessionStore, stepMs = 5) {
  const calls: Call[] = [];
  let clockMs = 0;
  const instrumented = instrumentStore(store, {
    nowMs: () => (clockMs += stepMs),
    onCall: (...call) => void calls.push(call),
  });
  return { store: instrumented, calls };
}

describe("instrumentStore", () => {
  it("reports every call a login, a read and a logout make, timed by the injected clock", async () => {
    const { store, calls } = recording(createMemoryStore());
    const sessions = createSessionManager({ store });
    const { token } = await sessions.login(new Request("http://x/"), { userId: "ada" });
    const cookie = { headers: { cookie: `session_id=${token}` } };
    expect((await sessions.authenticate(new Request("http://x/", cookie))).status).toBe("active");
    await sessions.logout(new Request("http://x/", cookie));
    expect(calls).toEqual([
      ["create", 5],
      ["readAndExtend", 5],
      ["destroy", 5],
    ]);
  });

  it("passes results and errors through, and names the error by its code only", async () => {
    const inner = createMemoryStore();
    const failing: SessionStore = {
      ...inner,
      description: inner.description,
      readAndExtend: () => Promise.reject(new StoreUnavailableError("STORE_TIMEOUT", "Redis did not answer within 1000 ms")),
      destroy: () => Promise.reject(new Error("something with a secret in it")),
    };
    const { store, calls } = recording(failing);
    await expect(store.readAndExtend("A".repeat(26), 1000)).rejects.toThrow("did not answer");
    await expect(store.destroy("A".repeat(26))).rejects.toThrow("secret");
    expect(await store.touch("A".repeat(26), { createdAtSeconds: 0, lastSeenAtSeconds: 0 })).toBe(false);
    expect(calls).toEqual([
      ["readAndExtend", 5, "STORE_TIMEOUT"],
      ["destroy", 5, "UNKNOWN"],
      ["touch", 5],
    ]);
    expect(store.description).toBe(inner.description);
  });

  it("a manager's read of an instrumented store is reported once, failed or not, through every way of reading", async () => {
    const inner = createMemoryStore();
    const { token } = await createSessionManager({ store: inner }).login(new Request("http://x/"), { userId: "ada" });
    const cookie = { headers: { cookie: `session_id=${token}` } };
    let failing = false;
    const flaky: SessionStore = {
      ...inner,
      description: inner.description,
      readAndExtend: (sessionId, ttlMs) =>
        failing ? Promise.reject(new StoreUnavailableError("STORE_TIMEOUT", "late")) : inner.readAndExtend(sessionId, ttlMs),
    };
    const { store, calls } = recording(flaky);
    const sessions = createSessionManager({ store });
    expect((await sessions.validateToken(token))?.userId).toBe("ada");
    expect((await sessions.authenticate(new Request("http://x/", cookie))).status).toBe("active");
    failing = true;
    await expect(sessions.validateToken(token)).rejects.toThrow("late");
    await expect(sessions.authenticate(new Request("http://x/", cookie))).rejects.toThrow("late");
    expect(calls).toEqual([
      ["readAndExtend", 5],
      ["readAndExtend", 5],
      ["readAndExtend", 5, "STORE_TIMEOUT"],
      ["readAndExtend", 5, "STORE_TIMEOUT"],
    ]);
  });

  it("adds no promise reaction to a manager's read: its reads take as many microtask turns as the bare store's", async () => {
    const inner = createMemoryStore();
    // A synchronous hash: a read's only waits are promise reactions.
    const { token } = await createSessionManager({ store: inner, sha256: nodeSha256 }).login(new Request("http://x/"), { userId: "ada" });
    const bare = createSessionManager({ store: inner, sha256: nodeSha256 });
    const instrumented = instrumentStore(inner, { onCall() {} });
    const timed = createSessionManager({ store: instrumented, sha256: nodeSha256 });
    // A copy with a readAndExtend of its own reads through the wrapper: the count sees that layer.
    const wrapped = createSessionManager({
      store: { ...instrumented, description: inner.description, readAndExtend: instrumented.readAndExtend.bind(instrumented) },
      sha256: nodeSha256,
    });
    const bareTurns = await microtaskTurnsUntilSettled(bare.validateToken(token));
    expect(await microtaskTurnsUntilSettled(timed.validateToken(token))).toBe(bareTurns);
    expect(await microtaskTurnsUntilSettled(wrapped.validateToken(token))).toBeGreaterThan(bareTurns);
  });

  it("a copy of an instrumented store with its own readAndExtend is read through that one", async () => {
    const { store, calls } = recording(createMemoryStore());
    const { store: traced, read } = withTracedReads(store);
    const sessions = createSessionManager({ store: traced });
    const { token, session } = await sessions.login(new Request("http://x/"), { userId: "ada" });
    expect((await sessions.validateToken(token))?.id).toBe(session.id);
    expect(read).toEqual([session.id]);
    expect(calls).toEqual([
      ["create", 5],
      ["readAndExtend", 5],
    ]);
  });

  it("a throwing observer does not fail the store call", async () => {
    const store = instrumentStore(createMemoryStore(), {
      onCall() {
        throw new Error("metrics backend down");
      },
    });
    expect(await store.readAndExtend("A".repeat(26), 1000)).toBeNull();
  });
});

describe("sessionEventLabels", () => {
  const userId = "alice@example.com";
  const sessionId = "Zz".padEnd(26, "q");
  const events: Array<[SessionEvent, ReturnType<typeof sessionEventLabels>]> = [
    [
      { type: "created", sessionId, userId },
      { event: "login", reason: "" },
    ],
    [
      { type: "rotated", sessionId, previousSessionId: sessionId, userId },
      { event: "rotation", reason: "" },
    ],
    [
      { type: "revoked", sessionId, userId, reason: "logout" },
      { event: "logout", reason: "" },
    ],
    [
      { type: "revoked", sessionId, userId, reason: "revoke" },
      { event: "revocation", reason: "revoke" },
    ],
    [
      { type: "revoked", sessionId, userId, reason: "evicted" },
      { event: "revocation", reason: "evicted" },
    ],
    [
      { type: "expired", sessionId, userId, reason: "idle" },
      { event: "expiration", reason: "idle" },
    ],
    [
      { type: "expired", sessionId, userId, reason: "absolute" },
      { event: "expiration", reason: "absolute" },
    ],
  ];

  it.each(events)("%j → %j, with no user id or session id", (event, labels) => {
    const result = sessionEventLabels(event);
    expect(result).toEqual(labels);
    expect(JSON.stringify(result)).not.toContain(userId);
    expect(JSON.stringify(result)).not.toContain(sessionId.slice(0, 10));
  });
});
