import { configDefaults, defineConfig } from "vitest/config";

// Four projects: fast deterministic tests (unit, simulation, scenario), cluster tests that start
// real child processes, the web UI in a real Chromium, and chaos runs on real clusters under
// faults. `npm test` runs them all; `npm run test:unit` is the inner loop. The chaos group runs
// last and alone (sequence.groupOrder): its leader-stability check must not compete with other
// clusters for the machine's two cores.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
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
          sequence: { groupOrder: 0 },
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
          sequence: { groupOrder: 1 },
          include: ["test/ui/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "chaos",
          sequence: { groupOrder: 2 },
          include: ["test/chaos/**/*.test.ts"],
          // The checker's own tests start no process: they run in the unit project.
          exclude: [...configDefaults.exclude, "test/chaos/**/*.unit.test.ts"],
          // A chaos run is minutes of real processes under faults, then the checks.
          testTimeout: 420_000,
          // One run at a time: each owns its servers, namespaces and a share of two cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
