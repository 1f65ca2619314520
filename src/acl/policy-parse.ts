import { ValidationError } from "../common/errors.js";
import type { AclNamespaceRule, AclRules, AclVariableRule } from "../fsm/index.js";
import { parseHcl } from "../jobspec/index.js";

/** Nomad's namespace capabilities (acl/policy.go), `deny` included. */
export const NAMESPACE_CAPABILITIES: ReadonlySet<string> = new Set([
  "deny",
  "list-jobs",
  "parse-job",
  "read-job",
  "submit-job",
  "dispatch-job",
  "read-logs",
  "read-fs",
  "alloc-exec",
  "alloc-node-exec",
  "alloc-lifecycle",
  "csi-register-plugin",
  "csi-write-volume",
  "csi-read-volume",
  "csi-list-volume",
  "csi-mount-volume",
  "list-scaling-policies",
  "read-scaling-policy",
  "read-job-scaling",
  "scale-job",
  "submit-recommendation",
  "sentinel-override",
  "host-volume-create",
  "host-volume-register",
  "host-volume-read",
  "host-volume-write",
  "host-volume-delete",
]);

export const NAMESPACE_POLICIES: ReadonlySet<string> = new Set(["deny", "read", "write", "scale"]);
export const VARIABLE_CAPABILITIES: ReadonlySet<string> = new Set([
  "read",
  "write",
  "list",
  "destroy",
  "deny",
]);
/** `node`, `agent`, `operator` and `quota` take one of these. */
export const COARSE_POLICIES: ReadonlySet<string> = new Set(["deny", "read", "write"]);

const COARSE_BLOCKS = [
  ["node", "Node"],
  ["agent", "Agent"],
  ["operator", "Operator"],
  ["quota", "Quota"],
] as const;
/** Blocks of Nomad's policy language that Drover accepts and has nothing to apply to yet. */
const IGNORED_BLOCKS = new Set(["plugin", "host_volume", "node_pool"]);

/** The line of the first occurrence of `needle` in `text` (1-based), for located errors. */
function lineOf(text: string, needle: RegExp): number | undefined {
  const match = needle.exec(text);
  if (match === null) return undefined;
  return text.slice(0, match.index).split("\n").length;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** HCL blocks come out of hcl2json as arrays of bodies; attributes as values. */
function bodies(value: unknown, where: string): Record<string, unknown>[] {
  const list = Array.isArray(value) ? value : [value];
  for (const body of list) {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new ValidationError(`${where} must be a block`, where);
    }
  }
  return list as Record<string, unknown>[];
}

function stringList(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new ValidationError(`${where} must be a list of strings`, where);
  }
  return value as string[];
}

class PolicyParser {
  constructor(
    private readonly text: string,
    private readonly filename: string,
  ) {}

  /** A ValidationError located at the first line that mentions `anchor`, if it can be found. */
  fail(message: string, anchor: RegExp): never {
    const line = lineOf(this.text, anchor);
    throw new ValidationError(message, line === undefined ? this.filename : `${this.filename}:${line}`);
  }

  rules(body: Record<string, unknown>): AclRules {
    const rules: AclRules = { Namespaces: [], Node: "", Agent: "", Operator: "", Quota: "" };
    for (const [key, value] of Object.entries(body)) {
      if (key === "namespace") {
        rules.Namespaces.push(...this.namespaces(value));
        continue;
      }
      const coarse = COARSE_BLOCKS.find(([block]) => block === key);
      if (coarse !== undefined) {
        rules[coarse[1]] = this.coarse(key, value);
        continue;
      }
      if (IGNORED_BLOCKS.has(key)) continue;
      this.fail(
        `unknown block ${JSON.stringify(key)} (expected namespace, node, agent, operator or quota)`,
        new RegExp(`^\\s*${escapeRe(key)}\\b`, "m"),
      );
    }
    return rules;
  }

  private coarse(block: string, value: unknown): string {
    let policy = "";
    for (const body of bodies(value, block)) {
      const p = body["policy"];
      if (typeof p !== "string" || !COARSE_POLICIES.has(p)) {
        this.fail(
          `${block}: policy must be one of "deny", "read", "write" (got ${JSON.stringify(p)})`,
          new RegExp(`^\\s*${block}\\b`, "m"),
        );
      }
      policy = p;
    }
    return policy;
  }

  private namespaces(value: unknown): AclNamespaceRule[] {
    const out: AclNamespaceRule[] = [];
    // namespace "name" { ... } is { name: [body] } (one entry per label).
    for (const labelled of bodies(value, "namespace")) {
      for (const [name, inner] of Object.entries(labelled)) {
        const anchor = new RegExp(`namespace\\s+"${escapeRe(name)}"`);
        for (const body of bodies(inner, `namespace "${name}"`)) out.push(this.namespace(name, body, anchor));
      }
    }
    return out;
  }

  private namespace(name: string, body: Record<string, unknown>, anchor: RegExp): AclNamespaceRule {
    const where = `namespace ${JSON.stringify(name)}`;
    if (name === "") this.fail("namespace: the label must not be empty", anchor);
    const policy = body["policy"] ?? "";
    if (typeof policy !== "string" || (policy !== "" && !NAMESPACE_POLICIES.has(policy))) {
      this.fail(
        `${where}: policy must be one of "deny", "read", "write", "scale" (got ${JSON.stringify(policy)})`,
        anchor,
      );
    }
    let capabilities: string[];
    try {
      capabilities = stringList(body["capabilities"], `${where}: capabilities`);
    } catch (error) {
      this.fail((error as Error).message, anchor);
    }
    for (const cap of capabilities) {
      if (!NAMESPACE_CAPABILITIES.has(cap))
        this.fail(`${where}: unknown capability ${JSON.stringify(cap)}`, anchor);
    }
    const variables: AclVariableRule[] = [];
    for (const [key, value] of Object.entries(body)) {
      if (key === "policy" || key === "capabilities") continue;
      if (key !== "variables") this.fail(`${where}: unknown field ${JSON.stringify(key)}`, anchor);
      for (const vars of bodies(value, `${where}: variables`)) {
        for (const [vkey, pathBlocks] of Object.entries(vars)) {
          if (vkey !== "path")
            this.fail(`${where}: variables: unknown field ${JSON.stringify(vkey)}`, anchor);
          for (const labelled of bodies(pathBlocks, `${where}: variables path`)) {
            for (const [path, pathBody] of Object.entries(labelled)) {
              variables.push(this.variablePath(where, path, pathBody));
            }
          }
        }
      }
    }
    if (policy === "" && capabilities.length === 0 && variables.length === 0) {
      this.fail(`${where}: give a policy, capabilities or variables`, anchor);
    }
    return { Name: name, Policy: policy, Capabilities: capabilities, Variables: variables };
  }

  private variablePath(where: string, path: string, value: unknown): AclVariableRule {
    const anchor = new RegExp(`path\\s+"${escapeRe(path)}"`);
    if (path === "") this.fail(`${where}: variables: a path label must not be empty`, anchor);
    const caps: string[] = [];
    for (const body of bodies(value, `${where}: variables path "${path}"`)) {
      let list: string[];
      try {
        list = stringList(body["capabilities"], `${where}: variables path "${path}": capabilities`);
      } catch (error) {
        this.fail((error as Error).message, anchor);
      }
      for (const cap of list) {
        if (!VARIABLE_CAPABILITIES.has(cap)) {
          this.fail(
            `${where}: variables path ${JSON.stringify(path)}: unknown capability ${JSON.stringify(cap)} (expected read, write, list, destroy or deny)`,
            anchor,
          );
        }
      }
      caps.push(...list);
    }
    return { Path: path, Capabilities: caps };
  }
}

/**
 * Parses a policy in Nomad's policy language (HCL, or the same structure in JSON) into checked
 * rules. Errors are ValidationErrors that say what, located at `policy.hcl:LINE` where the line
 * can be found (the HCL parser's own errors carry line and column).
 */
export async function parsePolicy(text: string, filename = "policy.hcl"): Promise<AclRules> {
  if (text.trim() === "") throw new ValidationError("policy rules are empty", filename);
  const body = await parseHcl(text, filename);
  return new PolicyParser(text, filename).rules(body);
}
