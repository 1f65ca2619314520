import type { SchedulerConfigCommand, SchedulerConfigResult } from "./commands.js";
import { InvalidCommandError } from "./errors.js";
import type { StateTxn } from "./state-txn.js";

/** Sets the scheduler configuration, optionally only if its ModifyIndex is still `CAS`. */
export function applySchedulerConfig(txn: StateTxn, command: SchedulerConfigCommand): SchedulerConfigResult {
  const current = txn.schedulerConfig();
  if (command.CAS !== null && current.ModifyIndex !== command.CAS)
    return { Updated: false, Index: current.ModifyIndex };
  const algorithm = command.Config.SchedulerAlgorithm;
  if (algorithm !== "binpack" && algorithm !== "spread") {
    throw new InvalidCommandError(`scheduler config: unknown SchedulerAlgorithm ${String(algorithm)}`);
  }
  txn.putSchedulerConfig({
    ...command.Config,
    CreateIndex: current.CreateIndex === 0 ? txn.index : current.CreateIndex,
    ModifyIndex: txn.index,
  });
  return { Updated: true, Index: txn.index };
}
