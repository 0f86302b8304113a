/**
 * `node bench-dist/bench/lib/profile-target.js <target> [seconds] [read|login]`: a CPU profile of `GET /profile/` (or of logins)
 * on any loopback target (an adapter, a floor, the reference server), printed as self time per
 * owner and per function, in µs per request. For comparing a change before and after; the bench's
 * own profile section covers the reference server only.
 */
import { cpus } from "node:os";
import { startRedisServer } from "../../test/support/redis-server.js";
import { chooseLoadGenerator } from "./load.js";
import { profileRead, type ProfileBucket } from "./profile.js";
import { HAND_READ, LOOPBACK_TARGETS, REFERENCE_SERVER } from "./targets.js";

const [name = REFERENCE_SERVER.name, seconds = "5", scenario = "read"] = process.argv.slice(2);
if (scenario !== "read" && scenario !== "login") throw new Error(`scenario must be read or login, got ${scenario}`);
const target = [...LOOPBACK_TARGETS, HAND_READ].find((t) => t.name === name);
if (!target) {
  console.error(`unknown target ${name}; one of: ${[...LOOPBACK_TARGETS, HAND_READ].map((t) => t.name).join(", ")}`);
  process.exit(2);
}
const redis = await startRedisServer();
const row = (b: ProfileBucket) => `${b.microsecondsPerRequest.toFixed(2).padStart(8)} µs/req ${(b.share * 100).toFixed(1).padStart(5)}%  ${b.name}`;
try {
  const profile = await profileRead({
    redisUrl: redis.url,
    generator: chooseLoadGenerator(),
    serverCpu: 0,
    loadCpu: cpus().length > 1 ? 1 : 0,
    connections: 32,
    warmupSeconds: 2,
    durationSeconds: Number(seconds),
    log: () => {},
    target,
    topFunctionCount: 1000,
    scenario,
  });
  const busyUsPerRequest = (profile.busyMs * 1000) / profile.requests;
  console.log(
    `${target.name}: ${profile.requests} ${scenario}s, ${profile.requestsPerSecond.toFixed(0)} req/s, busy ${busyUsPerRequest.toFixed(1)} µs/req, tessera self ${(profile.tesseraShare * 100).toFixed(1)}% (charged ${(profile.tesseraChargedShare * 100).toFixed(1)}%; at lines holding no code in its files ${((profile.tesseraInlinedShare ?? Number.NaN) * 100).toFixed(1)} points), target's own script ${(profile.targetCodeShare * 100).toFixed(1)}% (no-code lines ${((profile.targetInlinedShare ?? Number.NaN) * 100).toFixed(1)} points)`,
  );
  console.log("by owner (self):");
  for (const b of profile.byOwner) console.log(row(b));
  console.log("top functions (self):");
  for (const b of profile.topFunctions.slice(0, 15)) console.log(row(b));
  console.log("tessera's functions (self):");
  for (const b of profile.topFunctions.filter((f) => f.name.includes("packages/tessera/") || f.name.includes("packages/server/"))) console.log(row(b));
} finally {
  await redis.dispose();
}
