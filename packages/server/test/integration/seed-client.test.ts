import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashLocal, type UpstashLocalServer } from "@tessera/upstash-local";
import { commandsDuring } from "../../../../test/support/redis-harness.js";
import { startRedisServer, type RedisServer } from "../../../../test/support/redis-server.js";
import { startServerProcess } from "../support/server-process.js";

/**
 * The seed's own client, `test_script.py` copied verbatim from the tutorial, against the server on
 * the seed's port 8000. The runs share that port, so they live in this one file and run in turn.
 */
const SCRIPT = new URL("../fixtures/seed_test_script.py", import.meta.url).pathname;
const EXPECTED = readFileSync(new URL("../fixtures/seed_expected_output.txt", import.meta.url), "utf8");
const execFileAsync = promisify(execFile);
const SEED_EXAMPLE_ID = "68223c50-ede4-48eb-9d26-4a4dd735c10d";

function pythonWithRequests(): string {
  for (const candidate of ["python3", "/usr/bin/python3", "python"]) {
    if (spawnSync(candidate, ["-c", "import requests"]).status === 0) return candidate;
  }
  throw new Error("no Python with the `requests` module found: install it (`apt-get install -y python3-requests`; .ci/run does)");
}

/**
 * Runs the script and checks its output is the seed's, with the seed's example id replaced by ours.
 * Asynchronously: the Upstash REST server lives in this process and must keep answering meanwhile.
 */
async function runSeedScript(): Promise<void> {
  const { stdout, stderr } = await execFileAsync(pythonWithRequests(), [SCRIPT], { encoding: "utf8", timeout: 20_000 });
  expect(stderr).toBe("");
  const token = /'session_id': '([^']+)'/.exec(stdout)?.[1];
  expect(token, stdout).toMatch(/^[A-Za-z0-9_-]{45}$/);
  expect(stdout).toBe(EXPECTED.replaceAll(SEED_EXAMPLE_ID, token!));
}

describe("the seed's test_script.py, unmodified, on port 8000", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it("prints the seed's expected output on the embedded store", async () => {
    const server = await startServerProcess({ PORT: "8000" });
    try {
      expect(server.lines[0]).toMatch(/session store: memory/);
      await runSeedScript();
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("prints the seed's expected output on Redis, one command per profile read", async () => {
    const server = await startServerProcess({ PORT: "8000", REDIS_URL: redis.url });
    try {
      const stats = await commandsDuring(redis, runSeedScript);
      // Two profile reads: one GETEX each. Login: the create script's SET (and index upkeep);
      // logout: GETDEL + HDEL.
      expect(stats.get("getex")).toBe(2);
      expect(stats.get("set")).toBe(1);
      expect(stats.get("getdel")).toBe(1);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  describe("on Upstash, configured by a .env file as in the seed", () => {
    let rest: UpstashLocalServer;
    let dir: string;
    beforeAll(async () => {
      rest = await startUpstashLocal({ redisUrl: redis.url, token: "seed-dotenv-token", port: 0 });
      dir = mkdtempSync(join(tmpdir(), "tessera-dotenv-"));
      writeFileSync(join(dir, ".env"), `UPSTASH_REDIS_REST_URL=${rest.url}\nUPSTASH_REDIS_REST_TOKEN=seed-dotenv-token\n`);
    });
    afterAll(async () => {
      await rest?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("prints the seed's expected output in one HTTP request per request", async () => {
      const server = await startServerProcess({ PORT: "8000" }, { cwd: dir });
      try {
        expect(server.lines[0]).toBe(`tessera: session store: upstash at ${rest.url} (REST)`);
        rest.resetStats();
        await runSeedScript();
        // login: the create script; profile: GETEX; logout: the logout script; profile: GETEX — 1 command received each.
        expect(rest.stats).toEqual({ httpRequests: 4, commands: 4 });
        expect(server.lines.join("\n")).not.toContain("seed-dotenv-token");
      } finally {
        expect(await server.stop()).toBe(0);
      }
    });
  });
});
