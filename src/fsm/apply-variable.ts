import { requireNamespace } from "./apply-namespace.js";
import type { VarDeleteCommand, VarDeleteResult, VarPutCommand, VarPutResult } from "./commands.js";
import { InvalidCommandError } from "./errors.js";
import type { StateTxn } from "./state-txn.js";
import type { Variable } from "./structs.js";

/**
 * Nomad variables with check-and-set on ModifyIndex: CAS null writes unconditionally, 0 only
 * when absent, n only when the stored ModifyIndex is n. A failed check writes nothing and answers
 * the current variable so the caller can retry or report a 409.
 */
export function applyVarPut(txn: StateTxn, command: VarPutCommand): VarPutResult {
  const { Namespace, Path, Items } = command.Var;
  if (typeof Namespace !== "string" || typeof Path !== "string" || Path === "") {
    throw new InvalidCommandError("variable: Namespace and Path must be strings, Path not empty");
  }
  if (typeof Items !== "object" || Items === null || Array.isArray(Items)) {
    throw new InvalidCommandError(`variable ${Path}: Items must be an object`);
  }
  for (const [key, value] of Object.entries(Items)) {
    if (typeof value !== "string")
      throw new InvalidCommandError(`variable ${Path}: item ${key} is not a string`);
  }
  requireNamespace(txn, Namespace);
  const current = txn.variable(Namespace, Path);
  if (!casHolds(command.CAS, current)) return { ok: false, Current: current ?? null };
  const stored: Variable = {
    Namespace,
    Path,
    Items: { ...Items },
    CreateIndex: current?.CreateIndex ?? txn.index,
    ModifyIndex: txn.index,
    CreateTime: current?.CreateTime ?? command.Now,
    ModifyTime: command.Now,
  };
  txn.putVariable(stored);
  return { ok: true, Var: stored };
}

export function applyVarDelete(txn: StateTxn, command: VarDeleteCommand): VarDeleteResult {
  const current = txn.variable(command.Namespace, command.Path);
  if (command.CAS !== null && command.CAS !== 0 && current?.ModifyIndex !== command.CAS) {
    return { ok: false, Current: current ?? null };
  }
  if (command.CAS === 0 && current !== undefined) return { ok: false, Current: current };
  txn.deleteVariable(command.Namespace, command.Path);
  return { ok: true, Index: txn.index };
}

function casHolds(cas: number | null, current: Variable | undefined): boolean {
  if (cas === null) return true;
  if (cas === 0) return current === undefined;
  return current !== undefined && current.ModifyIndex === cas;
}
