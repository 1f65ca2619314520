/**
 * Process settings for agent processes this code starts (the local cluster, benchmarks, cluster
 * tests); deploy/ sets the same for systemd and the container image.
 *
 * glibc malloc settings.
 *
 * Why: glibc raises its mmap threshold each time a large mmapped block is freed, after which
 * blocks of that size come from the brk heap, which can only shrink from its top. A server passes
 * many short-lived buffers of hundreds of KB to a few MB (Raft entries, snapshot chunks, gRPC
 * messages), and with the moving threshold (up to 32 MiB) a leader's brk heap held 1.6 GB of
 * freed memory at half a million allocations (its followers', 0.4 GB). A fixed threshold caps
 * that: blocks above it are mapped for themselves and unmapped when freed.
 *
 * Where the cap sits is a trade between memory and CPU. Every block above the threshold costs an
 * mmap, page faults on first touch and an munmap, and a server makes such blocks for nearly
 * every large entry (LevelDB copies each value it is given, Buffers above Node's pool size are
 * allocations of their own). At 128 KiB that was about a tenth of the servers' CPU in bench c1m;
 * at 1 MiB most of those blocks come from the heaps again, which then hold a few hundred MB more
 * on a leader. The trim threshold keeps 4 MiB of a heap's free top instead of returning and
 * faulting it back in between writes; two arenas bound the per-thread heaps of the Raft thread
 * and libuv's pool.
 *
 * A value already in the environment wins.
 */
export const AGENT_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: "2",
  MALLOC_MMAP_THRESHOLD_: "1048576",
  MALLOC_TRIM_THRESHOLD_: "4194304",
};

/**
 * V8's young generation. A server keeps nearly everything it allocates while it places work
 * (allocation records, the persistent maps' new paths), and each scavenge of the default 16 MiB
 * semi-space copied those survivors while dropping little: scavenges were most of its garbage
 * collection time. With 64 MiB, short-lived garbage dies between scavenges and there are a
 * quarter as many (bench c1m at 300 × 1,000: 11-16% less server CPU, ~170 MB more RSS). Only the
 * maximum may go in NODE_OPTIONS; V8 grows the space up to it when survival is high.
 */
export const AGENT_NODE_OPTIONS = "--max-semi-space-size=64";

/**
 * Set to `1` for agents that a harness stops itself (the local cluster): the agent then ignores
 * SIGINT and stops on SIGTERM only (run-agent.ts).
 */
export const IGNORE_SIGINT_ENV = "DROVER_IGNORE_SIGINT";

/** `env` with the agent settings it does not set itself (its own NODE_OPTIONS flag wins). */
export function withAgentEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = env["NODE_OPTIONS"] ?? "";
  const nodeOptions = own.includes("--max-semi-space-size") ? own : `${AGENT_NODE_OPTIONS} ${own}`.trim();
  return { ...AGENT_MALLOC_ENV, ...env, NODE_OPTIONS: nodeOptions };
}
