/**
 * `node bench-dist/bench/lib/core-hot-path.js [read|lookup|login] [iterations]`: the core's own
 * work per request, without a network or a framework. `read` is `manager.authenticate`, `lookup`
 * the adapters' path (`RequestSessions.lookup()` on a fresh per-request object). The store answers from memory the way the Redis
 * store does after its round trip (it decodes a stored value), so what is measured is tessera's
 * code: cookie → token check → SHA-256 → decode → session (read), or the login's checks, hashes,
 * encoding and cookie (login). Prints CPU µs per operation and SHA-256 calls per operation.
 *
 * Wall-clock figures are noisy on a shared machine; for repeatable figures run it under
 * `valgrind --tool=callgrind` at two iteration counts and divide the difference of the totals.
 */
import { createSessionManager, decodeSessionRecord, encodeSessionRecord, RequestSessions, type SessionRecord, type SessionStore } from "tessera";
import { nodeSha256 } from "tessera/node";

const [mode = "read", iterationsArg = "200000"] = process.argv.slice(2);
const iterations = Number(iterationsArg);

let sha256Calls = 0;
const countingSha256 = (input: string) => {
  sha256Calls++;
  return nodeSha256(input);
};

const values = new Map<string, string>();
/** Answers as the Redis store does: reads an encoded value and decodes it; writes encode. */
const store: SessionStore = {
  description: "in-process (bench)",
  readAndExtend: async (sessionId) => {
    const value = values.get(sessionId);
    return value === undefined ? null : decodeSessionRecord(value);
  },
  create: async (sessionId, record: SessionRecord) => {
    values.set(sessionId, encodeSessionRecord(record));
    return { replaced: false, evictedSessionIds: [], expired: [] };
  },
  touch: async () => true,
  patch: async () => ({ status: "missing" }),
  destroy: async () => null,
  listForUser: async () => ({ sessions: [], expired: [] }),
  destroyForUser: async () => [],
  close: async () => {},
};

const manager = createSessionManager({ store, sha256: countingSha256, idleTimeoutSeconds: 900 });
const request = new Request("http://127.0.0.1/login/", { method: "POST", headers: { "user-agent": "wrk" } });
const { token } = await manager.login(request, { userId: "abdullah" });
const readRequest = new Request("http://127.0.0.1/profile/", { headers: { cookie: `session_id=${token}` } });

/** The smallest adapter: one of these per request, as every adapter makes. */
class BenchRequestSessions extends RequestSessions {
  protected override writeCookie(): void {}
}

async function once(i: number): Promise<void> {
  if (mode === "lookup") {
    const lookup = await new BenchRequestSessions(manager, readRequest).lookup();
    if (lookup.status !== "active") throw new Error(`lookup failed: ${lookup.status}`);
  } else if (mode === "read") {
    const lookup = await manager.authenticate(readRequest);
    if (lookup.status !== "active") throw new Error(`read failed: ${lookup.status}`);
  } else {
    await manager.login(request, { userId: `user${i % 1000}` });
  }
}

for (let i = 0; i < Math.min(iterations, 20_000); i++) await once(i);
sha256Calls = 0;
const before = process.cpuUsage();
for (let i = 0; i < iterations; i++) await once(i);
const used = process.cpuUsage(before);
console.log(
  `${mode}: ${iterations} ops, ${((used.user + used.system) / iterations).toFixed(3)} CPU µs/op, ${(sha256Calls / iterations).toFixed(2)} SHA-256/op`,
);
