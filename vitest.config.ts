import { defineConfig } from "vitest/config";

// Two projects: fast deterministic tests (unit, simulation, scenario) and cluster tests that start
// real child processes. `npm test` runs both; `npm run test:unit` is the inner loop.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "src/**/*.test.ts",
            "test/unit/**/*.test.ts",
            "test/sim/**/*.test.ts",
            // Chaos tests that start no process (the history checker); the cluster runs stay apart.
            "test/chaos/**/*.unit.test.ts",
          ],
          // Property tests start from a fixed seed and print a replay command on failure.
          setupFiles: ["test/setup/fast-check.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "cluster",
          include: ["test/cluster/**/*.test.ts", "test/containers/**/*.test.ts"],
          setupFiles: ["test/setup/fast-check.ts"],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          // Cluster tests start real processes and bind ports: one file at a time keeps them honest
          // on a 2-core machine.
          fileParallelism: false,
        },
      },
      {
        test: {
          // The web UI in headless Chromium against a real cluster (needs `npm run build`).
          name: "ui",
          include: ["test/ui/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
