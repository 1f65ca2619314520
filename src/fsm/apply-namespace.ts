import type { IndexResult, NamespaceDeleteCommand, NamespaceUpsertCommand } from "./commands.js";
import { InvalidCommandError } from "./errors.js";
import { namespaceProblem, sameNamespace, storedNamespace } from "./namespace.js";
import type { StateReader } from "./state-reader.js";
import type { StateTxn } from "./state-txn.js";
import { DEFAULT_NAMESPACE, type Job, type Namespace, type Variable } from "./structs.js";

/** What the delete rule reads: a transaction in apply, or a reader (readerContents) on the leader. */
export interface NamespaceContents {
  /** The stored namespace (the implicit `default` is never stored). */
  storedNamespace(name: string): Namespace | undefined;
  findJobInNamespace(namespace: string, test: (job: Job) => boolean): Job | undefined;
  findVariableInNamespace(namespace: string): Variable | undefined;
}

/** A state view as the delete rule reads it, for the leader's check before it proposes. */
export function readerContents(state: StateReader): NamespaceContents {
  return {
    storedNamespace: (name) => (name === DEFAULT_NAMESPACE ? undefined : state.namespaceByName(name)),
    findJobInNamespace: (namespace, test) => {
      for (const job of state.jobs()) if (job.Namespace === namespace && test(job)) return job;
      return undefined;
    },
    findVariableInNamespace: (namespace) => {
      for (const variable of state.variablesByPrefix(namespace, "")) return variable;
      return undefined;
    },
  };
}

/** Whether objects may be written into `name`: it is stored, or it is `default` (always there). */
export function namespaceExists(txn: StateTxn, name: string): boolean {
  return name === DEFAULT_NAMESPACE || txn.storedNamespace(name) !== undefined;
}

/** Refuses a write into a namespace that does not exist (the message the API answers with). */
export function requireNamespace(txn: StateTxn, name: string): void {
  if (!namespaceExists(txn, name))
    throw new InvalidCommandError(`namespace ${JSON.stringify(name)} does not exist`);
}

/**
 * Nomad's upsertNamespaceImpl for a batch: every spec is validated first, so one bad spec writes
 * nothing; a namespace that would not change is not rewritten (its ModifyIndex stays).
 */
export function applyNamespaceUpsert(txn: StateTxn, command: NamespaceUpsertCommand): IndexResult {
  const seen = new Set<string>();
  for (const spec of command.Namespaces) {
    const problem = namespaceProblem(spec);
    if (problem !== undefined) throw new InvalidCommandError(`namespace: ${problem}`);
    if (seen.has(spec.Name))
      throw new InvalidCommandError(`namespace ${JSON.stringify(spec.Name)} given twice`);
    seen.add(spec.Name);
  }
  for (const spec of command.Namespaces) {
    const current = txn.storedNamespace(spec.Name);
    const next = storedNamespace(spec, current?.CreateIndex ?? txn.index, txn.index);
    if (current !== undefined && sameNamespace(current, next)) continue;
    txn.putNamespace(next);
  }
  return { Index: txn.index };
}

/**
 * Nomad's deleteNamespaceImpl: `default` is never deleted, and a namespace that still holds a
 * job that is not dead, or any variable, is refused (every name of the batch is checked before
 * anything is deleted, so a refusal leaves the state as it was).
 */
export function applyNamespaceDelete(txn: StateTxn, command: NamespaceDeleteCommand): IndexResult {
  for (const name of command.Names) {
    const why = namespaceDeleteProblem(txn, name);
    if (why !== undefined) throw new InvalidCommandError(why);
  }
  for (const name of command.Names) txn.deleteNamespace(name);
  return { Index: txn.index };
}

/** Why `name` cannot be deleted now, or undefined. The endpoint asks the same before proposing. */
export function namespaceDeleteProblem(txn: NamespaceContents, name: unknown): string | undefined {
  if (typeof name !== "string") return "namespace names must be strings";
  if (name === DEFAULT_NAMESPACE) return `namespace "${DEFAULT_NAMESPACE}" can not be deleted`;
  if (txn.storedNamespace(name) === undefined) return `namespace ${JSON.stringify(name)} does not exist`;
  const job = txn.findJobInNamespace(name, (j) => j.Status !== "dead");
  if (job !== undefined) {
    return (
      `namespace ${JSON.stringify(name)} contains at least one non-terminal job ${JSON.stringify(job.ID)}; ` +
      "all jobs must be terminal (stopped) before the namespace can be deleted"
    );
  }
  const variable = txn.findVariableInNamespace(name);
  if (variable !== undefined) {
    return (
      `namespace ${JSON.stringify(name)} contains at least one variable ${JSON.stringify(variable.Path)}; ` +
      "all variables must be deleted before the namespace can be deleted"
    );
  }
  return undefined;
}
