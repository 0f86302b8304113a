import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          // Each file starts its own redis-server (and sometimes the server process).
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          // Headless Chromium against the server process; screenshots go to test-artifacts/browser.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
