import { parseArgs } from "node:util";
import { type ChaosOptions, formatSummary, replayCommand, runChaos } from "./chaos-run.js";
import { FAULT_KINDS, type FaultKind } from "./nemesis.js";

/**
 * `npm run chaos -- --minutes 30 --seed N [--faults kill,pause,partition,loss] [--servers 3|5]`:
 * one long chaos run on real processes; prints the summary, exits 1 on any anomaly or violation
 * with the seed and the command that replays it.
 */
function usage(message: string): never {
  process.stderr.write(
    `chaos: ${message}\nusage: npm run chaos -- [--minutes N] [--seed N] [--faults ${FAULT_KINDS.join(",")}] [--servers 3|5] [--clients N]\n`,
  );
  process.exit(2);
}

function parse(): ChaosOptions {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      options: {
        minutes: { type: "string" },
        seed: { type: "string" },
        faults: { type: "string" },
        servers: { type: "string" },
        clients: { type: "string" },
      },
      strict: true,
    }).values as Record<string, string | undefined>;
  } catch (error) {
    usage((error as Error).message);
  }
  const minutes = Number(values["minutes"] ?? "5");
  if (!Number.isFinite(minutes) || minutes <= 0)
    usage(`--minutes must be a positive number, got ${values["minutes"]}`);
  const seed = values["seed"] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values["seed"]);
  if (!Number.isInteger(seed) || seed < 0)
    usage(`--seed must be a non-negative integer, got ${values["seed"]}`);
  const faults = (values["faults"] ?? FAULT_KINDS.join(","))
    .split(",")
    .map((f) => f.trim())
    .filter((f) => f !== "");
  for (const f of faults) {
    if (!(FAULT_KINDS as readonly string[]).includes(f))
      usage(`unknown fault "${f}" in --faults (known: ${FAULT_KINDS.join(", ")})`);
  }
  const servers = Number(values["servers"] ?? "3");
  if (servers !== 3 && servers !== 5) usage(`--servers must be 3 or 5, got ${values["servers"]}`);
  const clients = Number(values["clients"] ?? "2");
  if (!Number.isInteger(clients) || clients < 1 || clients > 5)
    usage(`--clients must be 1 to 5, got ${values["clients"]}`);
  return { seed, durationMs: minutes * 60_000, faults: faults as FaultKind[], servers, clients };
}

const options = parse();
process.stdout.write(`chaos: seed ${options.seed} (replay: ${replayCommand(options)})\n`);
// Ctrl-C: end through process.exit so that every exit handler (processes, namespaces) runs.
process.once("SIGINT", () => process.exit(130));
process.once("SIGTERM", () => process.exit(143));
try {
  const summary = await runChaos({ ...options, log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`${formatSummary(summary, options)}\n`);
  const failed =
    summary.violations.length > 0 ||
    summary.linearizability.anomalies.length > 0 ||
    summary.linearizability.timedOut.length > 0;
  process.exit(failed ? 1 : 0);
} catch (error) {
  process.stderr.write(
    `chaos: run failed: ${(error as Error).message}\nseed ${options.seed}; replay with: ${replayCommand(options)}\n`,
  );
  process.exit(1);
}
