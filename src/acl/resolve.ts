import { createHash, timingSafeEqual } from "node:crypto";
import { PermissionDeniedError } from "../common/errors.js";
import { withToken } from "../common/request-context.js";
import type { AclPolicy, AclRules, AclToken } from "../fsm/index.js";
import { Acl, type AclResolution } from "./acl.js";

/** The policy that applies to requests without a token (Nomad's anonymous token's policy). */
export const ANONYMOUS_POLICY = "anonymous";

/** What resolution reads of the replicated state (a StateReader fits). */
export interface AclStateView {
  aclTokenBySecretHash(secretHash: string): AclToken | undefined;
  aclPolicy(name: string): AclPolicy | undefined;
}

/** The stored form of a secret: hex SHA-256. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/**
 * The token whose secret is `secret`, if any. The lookup goes through the hash (a secret is never
 * compared as text), and the stored hash is compared with timingSafeEqual, so that the time an
 * answer takes says nothing about how much of a guess was right.
 */
export function tokenBySecret(state: AclStateView, secret: string): AclToken | undefined {
  const hash = hashSecret(secret);
  const token = state.aclTokenBySecretHash(hash);
  if (token === undefined) return undefined;
  const a = Buffer.from(hash, "hex");
  const b = Buffer.from(token.SecretHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b) ? token : undefined;
}

/** The rules of the token's policies that exist (a deleted policy grants nothing). */
function rulesOf(state: AclStateView, names: readonly string[]): AclRules[] {
  const out: AclRules[] = [];
  for (const name of names) {
    const policy = state.aclPolicy(name);
    if (policy !== undefined) out.push(policy.Parsed);
  }
  return out;
}

/**
 * Resolves a request's token to what it may do. No token (undefined or empty): the `anonymous`
 * policy when it exists, else nothing. An unknown or expired token is refused outright (403), as
 * Nomad does, rather than treated as anonymous: a typo must not silently downgrade a request.
 */
export function resolveToken(state: AclStateView, secret: string | undefined, nowNs: number): Acl {
  if (secret === undefined || secret === "") {
    return Acl.fromRules(rulesOf(state, [ANONYMOUS_POLICY]), "anonymous");
  }
  return resolveTokenFound(state, tokenBySecret(state, secret), nowNs);
}

/**
 * resolveToken, except that a token given but not in `state` answers undefined instead of being
 * refused: a server may not have applied a token created a moment ago, and then asks the leader
 * (the HTTP guard, the gRPC admission and the ACL resolve endpoint all do). The secret is hashed
 * once either way.
 */
export function resolveKnownToken(
  state: AclStateView,
  secret: string | undefined,
  nowNs: number,
): Acl | undefined {
  if (secret === undefined || secret === "") return resolveToken(state, secret, nowNs);
  const token = tokenBySecret(state, secret);
  return token === undefined ? undefined : resolveTokenFound(state, token, nowNs);
}

/**
 * The ACL of `secret` as another agent resolves it: a server asks its leader, a client agent its
 * servers (`resolver.aclResolve`, with the secret as the call's token). An unknown or expired token
 * is refused there with PermissionDeniedError.
 */
export async function resolveElsewhere(
  resolver: { aclResolve(): Promise<AclResolution> },
  secret: string | undefined,
): Promise<Acl> {
  return Acl.fromResolution(await withToken(secret, () => resolver.aclResolve()));
}

function resolveTokenFound(state: AclStateView, token: AclToken | undefined, nowNs: number): Acl {
  if (token === undefined) throw new PermissionDeniedError("Permission denied: ACL token not found");
  if (token.ExpirationTime > 0 && token.ExpirationTime <= nowNs) {
    throw new PermissionDeniedError("Permission denied: ACL token expired");
  }
  if (token.Type === "management") return Acl.management(token.AccessorID);
  return Acl.fromRules(rulesOf(state, token.Policies), token.AccessorID);
}
