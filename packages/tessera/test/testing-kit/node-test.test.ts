import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * `tessera/testing` outside vitest: node:test runs the contract from the built package against the
 * memory store. It must pass as is, and fail when the store is broken on purpose, so the kit's own
 * assertions are shown to bite.
 */
const FIXTURE = fileURLToPath(new URL("./memory-under-node-test.mjs", import.meta.url));

function runNodeTest(env: Record<string, string>) {
  if (!existsSync(fileURLToPath(new URL("../../dist/testing/index.js", import.meta.url)))) throw new Error("run `npm run build` first (npm test does)");
  const result = spawnSync(process.execPath, ["--test", "--test-reporter=tap", FIXTURE], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  const count = (name: string) => Number(result.stdout.match(new RegExp(`^# ${name} (\\d+)$`, "m"))?.[1] ?? Number.NaN);
  return { status: result.status, pass: count("pass"), fail: count("fail"), output: result.stdout + result.stderr };
}

describe("tessera/testing under node:test", () => {
  it("passes on the memory store", () => {
    const run = runNodeTest({});
    expect(run.fail, run.output.slice(-2000)).toBe(0);
    expect(run.pass).toBeGreaterThan(20);
    expect(run.status).toBe(0);
  }, 120_000);

  it("fails on a store whose destroy does not delete", () => {
    const run = runNodeTest({ BREAK_STORE: "1" });
    expect(run.fail).toBeGreaterThan(0);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain("ContractAssertionError");
  }, 120_000);
});
