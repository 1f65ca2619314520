/**
 * `npm run sim -- [--seeds N] [--first S] [--steps K]`: runs many random simulation seeds outside
 * vitest, in one process, and prints the first failures with their replay commands.
 * Exit code 0 when every seed passed, 1 otherwise.
 */
import { runSeed, SimulationFailure } from "./random-run.js";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(
    "usage: npm run sim -- [--seeds N (10000)] [--first S (1)] [--steps K (2000)]\n" +
      "Runs seeds S..S+N-1 of the random Raft simulation (faults, crashes, lost unsynced leader\n" +
      "writes, membership changes), checking the invariants after every step.\n",
  );
  process.exit(0);
}

function flag(name: string, fallback: number): number {
  const argv = process.argv.slice(2);
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return fallback;
  const a = argv[i] as string;
  const v = Number(a.includes("=") ? a.split("=")[1] : argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`sim: --${name} needs a non-negative integer\n`);
    process.exit(1);
  }
  return v;
}

const seeds = flag("seeds", 10_000);
const first = flag("first", 1);
const steps = flag("steps", 2000);
const started = process.hrtime.bigint();
let failures = 0;
let committed = 0;
let unsyncedTailsLost = 0;
for (let seed = first; seed < first + seeds; seed++) {
  try {
    const result = runSeed(seed, { steps });
    committed += result.committed;
    unsyncedTailsLost += result.unsyncedTailsLost;
  } catch (error) {
    if (!(error instanceof SimulationFailure)) throw error;
    failures++;
    if (failures <= 10) process.stdout.write(`${error.message}\n`);
  }
  if ((seed - first + 1) % 5000 === 0) process.stdout.write(`  ${seed - first + 1} seeds…\n`);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(
  `${seeds} seeds (${first}..${first + seeds - 1}, ${steps} steps each) in ${seconds.toFixed(1)} s: ` +
    `${failures} failed, ${committed} entries committed in total, ` +
    `${unsyncedTailsLost} leader crashes lost an unsynced tail\n`,
);
process.exit(failures === 0 ? 0 : 1);
