/**
 * glibc malloc settings for agent processes this code starts (the local cluster, benchmarks,
 * cluster tests); deploy/ sets the same for systemd and the container image.
 *
 * Why: glibc raises its mmap threshold each time a large mmapped block is freed, after which
 * blocks of that size come from the brk heap, which can only shrink from its top. A server passes
 * many short-lived buffers of hundreds of KB to a few MB (Raft entries, snapshot chunks, gRPC
 * messages), and with the moving threshold a leader's brk heap held 1.6 GB of freed memory at
 * half a million allocations (its followers', 0.4 GB). A fixed threshold of 128 KiB sends those
 * buffers to mmap, which returns them on free; a fixed trim threshold gives back the heap's free
 * top; two arenas bound the per-thread heaps of the Raft thread and libuv's pool.
 *
 * A value already in the environment wins.
 */
export const AGENT_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: "2",
  MALLOC_MMAP_THRESHOLD_: "131072",
  MALLOC_TRIM_THRESHOLD_: "131072",
};

/** `env` with the agent malloc settings it does not set itself. */
export function withAgentMallocEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...AGENT_MALLOC_ENV, ...env };
}
