#!/usr/bin/env node
// `npm test`: makes sure the real servers the tests need are on the machine, then type-checks,
// builds and runs every test. On a fresh Debian machine run as root it installs what is missing
// with apt-get; otherwise it stops at once and prints the exact command to run.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const run = (command, args, options = {}) => spawnSync(command, args, { stdio: "inherit", ...options });
const quiet = (command, args) => spawnSync(command, args, { stdio: "ignore" }).status === 0;
const onPath = (name) => quiet("sh", ["-c", `command -v ${name}`]);

/** Each requirement: how to tell it is there, and the Debian package that provides it. */
const requirements = [
  { what: "redis-server (integration tests start real Redis servers)", present: () => onPath("redis-server") && onPath("redis-cli"), debian: "redis-server" },
  // A package of its own on Debian, not part of redis-server.
  { what: "redis-sentinel (the Sentinel failover test starts real sentinels)", present: () => onPath("redis-sentinel"), debian: "redis-sentinel" },
  {
    what: "Chromium (browser tests drive Debian's /usr/bin/chromium; never a downloaded browser)",
    present: () => existsSync(process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"),
    debian: "chromium",
  },
  {
    what: "Python 3 with `requests` (the tutorial's own test_script.py runs unmodified)",
    present: () => quiet("python3", ["-c", "import requests"]),
    debian: "python3-requests",
  },
];

const missing = requirements.filter((requirement) => !requirement.present());
if (missing.length > 0) {
  const packages = missing.map((requirement) => requirement.debian);
  const command = `apt-get update && apt-get install -y ${packages.join(" ")}`;
  const asUser = `sudo apt-get update && sudo apt-get install -y ${packages.join(" ")}`;
  console.error(`npm test: missing ${missing.map((requirement) => requirement.what).join("; ")}`);
  const canInstall = process.getuid?.() === 0 && onPath("apt-get") && process.env.TESSERA_NO_INSTALL !== "1";
  if (!canInstall) {
    console.error(`\nInstall them, then run npm test again:\n\n  ${asUser}\n`);
    process.exit(1);
  }
  console.error(`npm test: installing with: ${command}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (run("apt-get", ["update", "-qq"], { env }).status !== 0 || run("apt-get", ["install", "-y", "-qq", ...packages], { env }).status !== 0) {
    console.error(`npm test: the install failed; run it yourself:\n\n  ${asUser}\n`);
    process.exit(1);
  }
  const stillMissing = requirements.filter((requirement) => !requirement.present());
  if (stillMissing.length > 0) {
    console.error(`npm test: still missing after the install: ${stillMissing.map((requirement) => requirement.debian).join(", ")}`);
    process.exit(1);
  }
}

for (const [script, args] of [
  ["lint", []],
  ["typecheck", []],
  ["build", []],
]) {
  const result = run("npm", ["run", script, "--silent", ...args]);
  if (result.status !== 0) process.exit(result.status ?? 1);
}
const vitest = run("npx", ["vitest", "run", ...process.argv.slice(2)]);
process.exit(vitest.status ?? 1);
