import type { Nanos } from "./structs.js";

/**
 * ACL policies and tokens as the FSM stores them (Nomad's ACLPolicy and ACLToken). The policy
 * language is parsed before a policy is proposed (src/acl/policy-parse.ts): the entry carries
 * both the text the user wrote (`Rules`, what the API answers) and its parsed form (`Parsed`),
 * so that every server resolves tokens without parsing, and apply stays a pure function of the
 * entry.
 */

/** Nomad's coarse policies; `deny` wins over everything else that applies to the same object. */
export type AclPolicyLevel = "deny" | "read" | "list" | "write" | "scale";

/** One `path "…" { capabilities = [...] }` block of a namespace's `variables`. */
export interface AclVariableRule {
  /** A glob: `*` matches any run of characters, slashes included (Nomad's variable paths). */
  Path: string;
  Capabilities: string[];
}

/** One `namespace "…" { … }` block. */
export interface AclNamespaceRule {
  /** A glob over namespace names (`*`, `prod-*`). */
  Name: string;
  /** The coarse policy, "" when the block gives only capabilities. */
  Policy: string;
  Capabilities: string[];
  Variables: AclVariableRule[];
}

/** A policy's rules, parsed and checked: what token resolution reads. */
export interface AclRules {
  Namespaces: AclNamespaceRule[];
  /** `node`, `agent`, `operator`, `quota` and `host_volume`-style blocks' policy, "" when absent. */
  Node: string;
  Agent: string;
  Operator: string;
  Quota: string;
}

export interface AclPolicy {
  Name: string;
  Description: string;
  /** The policy's text, as the user wrote it. */
  Rules: string;
  Parsed: AclRules;
  CreateIndex: number;
  ModifyIndex: number;
}

/** What a writer submits: the policy without its indexes. */
export type AclPolicySpec = Pick<AclPolicy, "Name" | "Description" | "Rules" | "Parsed">;

export type AclTokenType = "management" | "client";

/**
 * A token. The secret itself is never stored: `SecretHash` is the hex SHA-256 of the SecretID,
 * so that a leaked snapshot, Raft log or LevelDB directory holds no usable bearer secret.
 */
export interface AclToken {
  AccessorID: string;
  SecretHash: string;
  Name: string;
  Type: AclTokenType;
  /** Policy names (client tokens); a management token has none. */
  Policies: string[];
  Global: boolean;
  CreateTime: Nanos;
  /** Nanoseconds since the epoch after which the token no longer resolves; 0 for never. */
  ExpirationTime: Nanos;
  CreateIndex: number;
  ModifyIndex: number;
}

export type AclTokenSpec = Omit<AclToken, "CreateIndex" | "ModifyIndex">;

/** The one record of the acl_bootstrap table: the bootstrap happened, at this index. */
export interface AclBootstrapRecord {
  BootstrapIndex: number;
  AccessorID: string;
}

/** The one key of the acl_bootstrap table. */
export const ACL_BOOTSTRAP_KEY = "bootstrap";

/** Nomad's validPolicyName. */
export const ACL_POLICY_NAME_RE = /^[a-zA-Z0-9-]{1,128}$/;
/** Nomad's maxPolicyDescriptionLength. */
export const ACL_POLICY_DESCRIPTION_MAX = 256;
/** Nomad's maxTokenNameLength. */
export const ACL_TOKEN_NAME_MAX = 256;
const HEX_SHA256 = /^[0-9a-f]{64}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

/** Why `rules` is not a parsed policy (a shape check: the parser made it, a log entry carries it). */
function aclRulesProblem(rules: unknown): string | undefined {
  if (typeof rules !== "object" || rules === null) return "Parsed: must be an object";
  const r = rules as Record<string, unknown>;
  for (const field of ["Node", "Agent", "Operator", "Quota"]) {
    if (typeof r[field] !== "string") return `Parsed.${field}: must be a string`;
  }
  if (!Array.isArray(r["Namespaces"])) return "Parsed.Namespaces: must be an array";
  for (const ns of r["Namespaces"] as unknown[]) {
    const n = ns as Record<string, unknown> | null;
    if (
      typeof n !== "object" ||
      n === null ||
      typeof n["Name"] !== "string" ||
      typeof n["Policy"] !== "string" ||
      !isStringArray(n["Capabilities"]) ||
      !Array.isArray(n["Variables"])
    ) {
      return "Parsed.Namespaces: malformed namespace rule";
    }
    for (const v of n["Variables"] as unknown[]) {
      const p = v as Record<string, unknown> | null;
      if (
        typeof p !== "object" ||
        p === null ||
        typeof p["Path"] !== "string" ||
        !isStringArray(p["Capabilities"])
      )
        return "Parsed.Namespaces: malformed variables rule";
    }
  }
  return undefined;
}

/** Why `spec` is not a policy one may store, or undefined. */
export function aclPolicyProblem(spec: unknown): string | undefined {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) return "policy must be an object";
  const s = spec as Record<string, unknown>;
  if (typeof s["Name"] !== "string" || !ACL_POLICY_NAME_RE.test(s["Name"])) {
    return `Name: invalid policy name ${JSON.stringify(s["Name"])}, must match ${ACL_POLICY_NAME_RE.source}`;
  }
  if (typeof s["Description"] !== "string") return "Description: must be a string";
  if (s["Description"].length > ACL_POLICY_DESCRIPTION_MAX)
    return `Description: longer than ${ACL_POLICY_DESCRIPTION_MAX} characters`;
  if (typeof s["Rules"] !== "string") return "Rules: must be a string";
  return aclRulesProblem(s["Parsed"]);
}

/** Why `spec` is not a token one may store, or undefined. */
export function aclTokenProblem(spec: unknown): string | undefined {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) return "token must be an object";
  const s = spec as Record<string, unknown>;
  if (typeof s["AccessorID"] !== "string" || !UUID_RE.test(s["AccessorID"]))
    return "AccessorID: must be a UUID";
  if (typeof s["SecretHash"] !== "string" || !HEX_SHA256.test(s["SecretHash"]))
    return "SecretHash: must be a hex SHA-256";
  if (typeof s["Name"] !== "string" || s["Name"].length > ACL_TOKEN_NAME_MAX)
    return `Name: must be a string of at most ${ACL_TOKEN_NAME_MAX} characters`;
  if (s["Type"] !== "management" && s["Type"] !== "client") return 'Type: must be "management" or "client"';
  if (!isStringArray(s["Policies"])) return "Policies: must be an array of policy names";
  if (s["Type"] === "management" && s["Policies"].length > 0)
    return "Policies: a management token takes no policies";
  if (s["Type"] === "client" && s["Policies"].length === 0) return "Policies: a client token needs a policy";
  if (typeof s["Global"] !== "boolean") return "Global: must be a boolean";
  if (typeof s["CreateTime"] !== "number") return "CreateTime: must be a number";
  if (typeof s["ExpirationTime"] !== "number") return "ExpirationTime: must be a number";
  return undefined;
}
