import { aclPolicyProblem, aclTokenProblem } from "./acl.js";
import type {
  AclBootstrapCommand,
  AclPolicyDeleteCommand,
  AclPolicyUpsertCommand,
  AclTokenDeleteCommand,
  AclTokenUpsertCommand,
  IndexResult,
} from "./commands.js";
import { InvalidCommandError } from "./errors.js";
import type { StateTxn } from "./state-txn.js";

/** Every policy is checked before any is written: one bad policy writes nothing. */
export function applyAclPolicyUpsert(txn: StateTxn, command: AclPolicyUpsertCommand): IndexResult {
  const seen = new Set<string>();
  for (const spec of command.Policies) {
    const problem = aclPolicyProblem(spec);
    if (problem !== undefined) throw new InvalidCommandError(`acl policy: ${problem}`);
    if (seen.has(spec.Name))
      throw new InvalidCommandError(`acl policy ${JSON.stringify(spec.Name)} given twice`);
    seen.add(spec.Name);
  }
  for (const spec of command.Policies) {
    const current = txn.aclPolicy(spec.Name);
    txn.putAclPolicy({
      Name: spec.Name,
      Description: spec.Description,
      Rules: spec.Rules,
      Parsed: spec.Parsed,
      CreateIndex: current?.CreateIndex ?? txn.index,
      ModifyIndex: txn.index,
    });
  }
  return { Index: txn.index };
}

/** Deleting a policy that does not exist is refused (Nomad answers "policy not found"). */
export function applyAclPolicyDelete(txn: StateTxn, command: AclPolicyDeleteCommand): IndexResult {
  for (const name of command.Names) {
    if (typeof name !== "string" || txn.aclPolicy(name) === undefined)
      throw new InvalidCommandError(`acl policy ${JSON.stringify(name)} does not exist`);
  }
  for (const name of command.Names) txn.deleteAclPolicy(name);
  return { Index: txn.index };
}

/**
 * Creates or updates tokens. An update keeps the token's secret and CreateIndex: a token's
 * secret never changes (a new secret is a new token), and a second token may not reuse a
 * secret already in use.
 */
export function applyAclTokenUpsert(txn: StateTxn, command: AclTokenUpsertCommand): IndexResult {
  const seen = new Set<string>();
  for (const spec of command.Tokens) {
    const problem = aclTokenProblem(spec);
    if (problem !== undefined) throw new InvalidCommandError(`acl token: ${problem}`);
    if (seen.has(spec.AccessorID)) throw new InvalidCommandError(`acl token ${spec.AccessorID} given twice`);
    seen.add(spec.AccessorID);
    const current = txn.aclToken(spec.AccessorID);
    if (current !== undefined && current.SecretHash !== spec.SecretHash)
      throw new InvalidCommandError(`acl token ${spec.AccessorID}: its secret cannot change`);
    const owner = txn.aclTokenAccessorBySecret(spec.SecretHash);
    if (owner !== undefined && owner !== spec.AccessorID)
      throw new InvalidCommandError(`acl token ${spec.AccessorID}: its secret is another token's`);
  }
  for (const spec of command.Tokens) {
    const current = txn.aclToken(spec.AccessorID);
    txn.putAclToken({
      ...spec,
      Policies: [...spec.Policies],
      CreateTime: current?.CreateTime ?? spec.CreateTime,
      CreateIndex: current?.CreateIndex ?? txn.index,
      ModifyIndex: txn.index,
    });
  }
  return { Index: txn.index };
}

export function applyAclTokenDelete(txn: StateTxn, command: AclTokenDeleteCommand): IndexResult {
  for (const id of command.AccessorIDs) {
    if (typeof id !== "string" || txn.aclToken(id) === undefined)
      throw new InvalidCommandError(`acl token ${JSON.stringify(id)} does not exist`);
  }
  for (const id of command.AccessorIDs) txn.deleteAclToken(id);
  return { Index: txn.index };
}

/**
 * The bootstrap is decided here, in log order: the first bootstrap entry stores its management
 * token and the record; every later one is rejected, whichever server proposed it and however
 * close together they came.
 */
export function applyAclBootstrap(txn: StateTxn, command: AclBootstrapCommand): IndexResult {
  const done = txn.aclBootstrapRecord();
  if (done !== undefined) {
    throw new InvalidCommandError(`ACL bootstrap already done (at index ${done.BootstrapIndex})`);
  }
  const problem = aclTokenProblem(command.Token);
  if (problem !== undefined) throw new InvalidCommandError(`acl bootstrap token: ${problem}`);
  if (command.Token.Type !== "management")
    throw new InvalidCommandError("acl bootstrap token: must be a management token");
  applyAclTokenUpsert(txn, { type: "acl-token-upsert", Tokens: [command.Token] });
  txn.putAclBootstrap({ BootstrapIndex: txn.index, AccessorID: command.Token.AccessorID });
  return { Index: txn.index };
}
