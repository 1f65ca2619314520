import { defineConfig } from "vitest/config";

// Two projects: fast deterministic tests (unit, simulation, scenario) and cluster tests that start
// real child processes. `npm test` runs both; `npm run test:unit` is the inner loop.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "test/unit/**/*.test.ts", "test/sim/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "cluster",
          include: ["test/cluster/**/*.test.ts", "test/containers/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          // Cluster tests start real processes and bind ports: one file at a time keeps them honest
          // on a 2-core machine.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "chaos",
          include: ["test/chaos/**/*.test.ts"],
          // A chaos run is minutes of real processes under faults, then the checks.
          testTimeout: 420_000,
          // One run at a time: each owns its servers, namespaces and a share of two cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
