/**
 * Vitest setup for property tests: every fast-check run starts from one fixed seed, so `npm test`
 * checks the same cases every time (a property test that passes by luck would hide a bug one run
 * in ten and fail the next). A failure prints fast-check's counterexample, its seed and path, and
 * the command that replays it:
 *
 *   FC_SEED=<seed> npx vitest run <file> -t "<test name>"
 *
 * Another FC_SEED explores other cases (CI keeps the default).
 */
import fc from "fast-check";
import { expect } from "vitest";

const DEFAULT_SEED = 0x5eed;

function seedFromEnv(): number {
  const raw = process.env["FC_SEED"];
  if (raw === undefined || raw === "") return DEFAULT_SEED;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${JSON.stringify(raw)}`);
  return seed;
}

fc.configureGlobal({
  seed: seedFromEnv(),
  reporter(details) {
    if (!details.failed) return;
    const { testPath, currentTestName } = expect.getState();
    const file = testPath === undefined ? "<test file>" : testPath.replace(`${process.cwd()}/`, "");
    const name = (currentTestName ?? "").split(" > ").pop() ?? "";
    const cause =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(
      `${fc.defaultReportMessage(details)}\n` +
        `  error: ${cause}\n` +
        `  replay: FC_SEED=${details.seed} npx vitest run ${file} -t ${JSON.stringify(name)}`,
    );
  },
});
