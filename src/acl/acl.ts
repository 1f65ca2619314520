import type { AclNamespaceRule, AclRules } from "../fsm/index.js";

/** What `policy = "…"` in a namespace block grants (Nomad's expandNamespacePolicy). */
const READ_CAPS = [
  "list-jobs",
  "parse-job",
  "read-job",
  "csi-list-volume",
  "csi-read-volume",
  "read-job-scaling",
  "list-scaling-policies",
  "read-scaling-policy",
  "host-volume-read",
];
const POLICY_CAPS: Readonly<Record<string, readonly string[]>> = {
  deny: ["deny"],
  read: READ_CAPS,
  write: [
    ...READ_CAPS,
    "scale-job",
    "submit-job",
    "dispatch-job",
    "read-logs",
    "read-fs",
    "alloc-exec",
    "alloc-lifecycle",
    "csi-mount-volume",
    "csi-write-volume",
    "submit-recommendation",
    "host-volume-create",
    "host-volume-register",
    "host-volume-write",
    "host-volume-delete",
  ],
  scale: ["list-scaling-policies", "read-scaling-policy", "read-job-scaling", "scale-job"],
};
/** What a namespace policy grants on every variable path of the namespace (Nomad 1.4+). */
const POLICY_VARIABLE_CAPS: Readonly<Record<string, readonly string[]>> = {
  deny: ["deny"],
  read: ["read", "list"],
  write: ["read", "list", "write", "destroy"],
  scale: [],
};

export type CoarseLevel = "read" | "write";
export type CoarseArea = "node" | "agent" | "operator" | "quota";

/** Nomad's glob: `*` matches any run of characters (including none and slashes). */
export function globMatch(pattern: string, value: string): boolean {
  const parts = pattern.split("*");
  if (parts.length === 1) return pattern === value;
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (!value.startsWith(first) || value.length < first.length + last.length || !value.endsWith(last))
    return false;
  let at = first.length;
  const end = value.length - last.length;
  for (const part of parts.slice(1, -1)) {
    const found = value.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

/** How specific a matching glob is: its literal characters (an exact name beats every glob). */
function specificity(pattern: string): number {
  return pattern.includes("*") ? pattern.replaceAll("*", "").length : Number.MAX_SAFE_INTEGER;
}

/** The rules that apply to `value` out of `items`: every exact match, else the closest globs. */
function closest<T>(items: readonly T[], key: (item: T) => string, value: string): T[] {
  let best = -1;
  let out: T[] = [];
  for (const item of items) {
    const pattern = key(item);
    if (!globMatch(pattern, value)) continue;
    const s = specificity(pattern);
    if (s > best) {
      best = s;
      out = [item];
    } else if (s === best) out.push(item);
  }
  return out;
}

/** A server's answer to an ACL resolve call: the shape of src/rpc's ResolvedAcl, its wire type. */
export interface AclResolution {
  readonly accessorId: string;
  readonly management: boolean;
  readonly rules: readonly AclRules[];
  /** When the token expires (ns since the epoch; 0 or absent: never). */
  readonly expirationTime?: number;
}

/**
 * What a resolved token may do: a management token everything; a client token the union of its
 * policies, where `deny` wins over everything else that applies to the same object, and for a
 * namespace (or a variable path) the rules of the closest match apply: an exact name, else the
 * glob with the most literal characters (Nomad's rule).
 */
export class Acl {
  private readonly namespaces: AclNamespaceRule[];
  private readonly coarse: Record<CoarseArea, string>;

  private constructor(
    readonly management: boolean,
    rules: readonly AclRules[],
    /** The token's AccessorID ("anonymous" for requests without one), for logs and errors. */
    readonly accessorId: string,
    /**
     * When the token expires (ns since the epoch; 0: never), kept only for an ACL another server
     * resolved, so that whoever reuses it stops at the expiry. Local resolution checks it itself.
     */
    readonly expirationTime = 0,
  ) {
    this.namespaces = rules.flatMap((r) => r.Namespaces);
    const merge = (pick: (r: AclRules) => string): string => {
      const levels = rules.map(pick);
      if (levels.includes("deny")) return "deny";
      if (levels.includes("write")) return "write";
      return levels.includes("read") ? "read" : "";
    };
    this.coarse = {
      node: merge((r) => r.Node),
      agent: merge((r) => r.Agent),
      operator: merge((r) => r.Operator),
      quota: merge((r) => r.Quota),
    };
  }

  static management(accessorId: string): Acl {
    return new Acl(true, [], accessorId);
  }

  static fromRules(rules: readonly AclRules[], accessorId: string): Acl {
    return new Acl(false, rules, accessorId);
  }

  /** The ACL of a token as another server resolved it (its answer to an ACL resolve call). */
  static fromResolution(resolved: AclResolution): Acl {
    const expires = resolved.expirationTime ?? 0;
    return resolved.management
      ? new Acl(true, [], resolved.accessorId, expires)
      : new Acl(false, resolved.rules, resolved.accessorId, expires);
  }

  /** The capabilities the token holds on namespace `namespace`. */
  namespaceCapabilities(namespace: string): Set<string> {
    const caps = new Set<string>();
    for (const rule of closest(this.namespaces, (r) => r.Name, namespace)) {
      for (const cap of POLICY_CAPS[rule.Policy] ?? []) caps.add(cap);
      for (const cap of rule.Capabilities) caps.add(cap);
    }
    if (caps.has("deny")) return new Set(["deny"]);
    return caps;
  }

  allowNamespaceOp(namespace: string, capability: string): boolean {
    if (this.management) return true;
    return this.namespaceCapabilities(namespace).has(capability);
  }

  /**
   * For requests over every namespace (`?namespace=*`): may the token do `capability` in some
   * namespace? The answer is then filtered per namespace (allowNamespaceOp).
   */
  allowNamespaceOpAnywhere(capability: string): boolean {
    if (this.management) return true;
    return this.namespaces.some((rule) => {
      if (!rule.Name.includes("*")) return this.allowNamespaceOp(rule.Name, capability);
      const caps = new Set([...(POLICY_CAPS[rule.Policy] ?? []), ...rule.Capabilities]);
      return caps.has(capability) && !caps.has("deny");
    });
  }

  /** Variable capabilities: `read`, `write`, `list`, `destroy` on one path of a namespace. */
  allowVariableOp(namespace: string, path: string, capability: string): boolean {
    if (this.management) return true;
    const rules = closest(this.namespaces, (r) => r.Name, namespace);
    const caps = new Set<string>();
    const paths = rules.flatMap((r) => r.Variables);
    const matched = closest(paths, (p) => p.Path, path);
    if (matched.length > 0) {
      for (const p of matched) for (const cap of p.Capabilities) caps.add(cap);
    } else {
      // No path block matches: the namespace's coarse policy speaks for every path.
      for (const rule of rules) for (const cap of POLICY_VARIABLE_CAPS[rule.Policy] ?? []) caps.add(cap);
    }
    if (rules.some((r) => r.Policy === "deny")) return false;
    return caps.has(capability) && !caps.has("deny");
  }

  /** May the token `capability` some variable of the namespace (a list, filtered per path)? */
  allowVariableOpAnywhere(namespace: string, capability: string): boolean {
    if (this.management) return true;
    const rules = namespace === "*" ? this.namespaces : closest(this.namespaces, (r) => r.Name, namespace);
    if (rules.some((r) => r.Policy === "deny" && r.Name === namespace)) return false;
    return rules.some(
      (r) =>
        (POLICY_VARIABLE_CAPS[r.Policy] ?? []).includes(capability) ||
        r.Variables.some((p) => p.Capabilities.includes(capability)),
    );
  }

  allowCoarse(area: CoarseArea, level: CoarseLevel): boolean {
    if (this.management) return true;
    const have = this.coarse[area];
    if (have === "write") return true;
    return have === "read" && level === "read";
  }
}
