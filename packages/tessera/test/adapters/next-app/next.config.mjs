import { fileURLToPath } from "node:url";

/** @type {import("next").NextConfig} */
const nextConfig = {
  // Each test run builds into a directory of its own under .next/ (git-ignored), so two runs never share one.
  distDir: process.env.TESSERA_NEXT_DIST_DIR ?? ".next/default",
  // The repository is the workspace: `tessera` and `ioredis` resolve from its node_modules.
  turbopack: { root: fileURLToPath(new URL("../../../../../", import.meta.url)) },
};

export default nextConfig;
