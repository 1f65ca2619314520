import type { BenchResult } from "./harness.js";

/** Checks the runner itself: `npm run bench -- noop`. */
export async function run(): Promise<BenchResult> {
  const start = process.hrtime.bigint();
  let x = 0;
  for (let i = 0; i < 1_000_000; i++) x += i;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { metrics: { loop_ms: ms, checksum: x } };
}
