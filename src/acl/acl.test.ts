import { describe, expect, it } from "vitest";
import type { AclPolicy, AclToken } from "../fsm/index.js";
import { Acl, globMatch } from "./acl.js";
import { parsePolicy } from "./policy-parse.js";
import { checkRequirement, coarse, MANAGEMENT, ns, TOKEN, variable } from "./requirement.js";
import { hashSecret, resolveToken } from "./resolve.js";

async function acl(...policies: string[]): Promise<Acl> {
  return Acl.fromRules(await Promise.all(policies.map((p) => parsePolicy(p))), "a");
}

describe("globMatch", () => {
  it("matches * over any run of characters, slashes included", () => {
    expect(globMatch("*", "anything")).toBe(true);
    expect(globMatch("prod-*", "prod-eu")).toBe(true);
    expect(globMatch("prod-*", "dev")).toBe(false);
    expect(globMatch("app/*/db", "app/a/b/db")).toBe(true);
    expect(globMatch("a*b*c", "abc")).toBe(true);
    expect(globMatch("a*b*c", "acb")).toBe(false);
    expect(globMatch("exact", "exact")).toBe(true);
    expect(globMatch("ab*ba", "aba")).toBe(false);
  });
});

describe("capability resolution", () => {
  it("expands coarse namespace policies and adds explicit capabilities", async () => {
    const a = await acl('namespace "default" {\n policy = "read"\n capabilities = ["dispatch-job"]\n}');
    expect(a.allowNamespaceOp("default", "list-jobs")).toBe(true);
    expect(a.allowNamespaceOp("default", "read-job")).toBe(true);
    expect(a.allowNamespaceOp("default", "dispatch-job")).toBe(true);
    expect(a.allowNamespaceOp("default", "submit-job")).toBe(false);
    expect(a.allowNamespaceOp("other", "read-job")).toBe(false);
    const w = await acl('namespace "default" { policy = "write" }');
    expect(w.allowNamespaceOp("default", "submit-job")).toBe(true);
    expect(w.allowNamespaceOp("default", "read-logs")).toBe(true);
    const s = await acl('namespace "default" { policy = "scale" }');
    expect(s.allowNamespaceOp("default", "scale-job")).toBe(true);
    expect(s.allowNamespaceOp("default", "submit-job")).toBe(false);
  });

  it("takes the closest namespace match: exact, else the glob with the most literal characters", async () => {
    const a = await acl(
      'namespace "*" { policy = "read" }',
      'namespace "prod-*" { policy = "deny" }',
      'namespace "prod-web" { policy = "write" }',
    );
    expect(a.allowNamespaceOp("dev", "read-job")).toBe(true);
    expect(a.allowNamespaceOp("prod-db", "read-job")).toBe(false);
    expect(a.allowNamespaceOp("prod-web", "submit-job")).toBe(true);
    expect(a.allowNamespaceOpAnywhere("submit-job")).toBe(true);
    expect(a.allowNamespaceOpAnywhere("alloc-node-exec")).toBe(false);
  });

  it("lets deny win over grants of other policies for the same namespace", async () => {
    const a = await acl(
      'namespace "default" { policy = "write" }',
      'namespace "default" { policy = "deny" }',
    );
    expect(a.allowNamespaceOp("default", "read-job")).toBe(false);
    expect(a.allowVariableOp("default", "x", "read")).toBe(false);
  });

  it("checks variable paths: closest path wins, deny wins, the namespace policy covers unmatched paths", async () => {
    const a = await acl(
      [
        'namespace "default" {',
        '  policy = "read"',
        "  variables {",
        '    path "app/*" { capabilities = ["write", "read", "list"] }',
        '    path "app/secret" { capabilities = ["deny"] }',
        "  }",
        "}",
      ].join("\n"),
    );
    expect(a.allowVariableOp("default", "app/db", "write")).toBe(true);
    expect(a.allowVariableOp("default", "app/db", "destroy")).toBe(false);
    expect(a.allowVariableOp("default", "app/secret", "read")).toBe(false);
    expect(a.allowVariableOp("default", "other", "read")).toBe(true);
    expect(a.allowVariableOp("default", "other", "write")).toBe(false);
    expect(a.allowVariableOp("prod", "app/db", "read")).toBe(false);
  });

  it("merges node, agent, operator and quota levels: deny over write over read", async () => {
    const a = await acl(
      'node { policy = "read" }',
      'node { policy = "write" }',
      'operator { policy = "read" }',
    );
    expect(a.allowCoarse("node", "write")).toBe(true);
    expect(a.allowCoarse("operator", "read")).toBe(true);
    expect(a.allowCoarse("operator", "write")).toBe(false);
    expect(a.allowCoarse("agent", "read")).toBe(false);
    const d = await acl('node { policy = "write" }', 'node { policy = "deny" }');
    expect(d.allowCoarse("node", "read")).toBe(false);
  });

  it("lets a management token do everything", () => {
    const m = Acl.management("m");
    expect(m.allowNamespaceOp("any", "alloc-exec")).toBe(true);
    expect(m.allowVariableOp("any", "x", "destroy")).toBe(true);
    expect(m.allowCoarse("operator", "write")).toBe(true);
  });
});

describe("checkRequirement", () => {
  it("names the missing capability", async () => {
    const a = await acl('namespace "default" { policy = "read" }');
    expect(() => checkRequirement(a, ns("submit-job"), { namespace: "default" })).toThrow(
      "Permission denied: missing capability submit-job on namespace default",
    );
    expect(() => checkRequirement(a, variable("write"), { namespace: "default", path: "a/b" })).toThrow(
      "Permission denied: missing variable capability write on path a/b in namespace default",
    );
    expect(() => checkRequirement(a, coarse("node", "write"), { namespace: "default" })).toThrow(
      "Permission denied: missing node policy write",
    );
    expect(() => checkRequirement(a, MANAGEMENT, { namespace: "default" })).toThrow(
      /missing management token/,
    );
    checkRequirement(a, ns("read-job"), { namespace: "default" });
    checkRequirement(a, TOKEN, { namespace: "default" });
  });
});

describe("resolveToken", () => {
  const policy = async (name: string, text: string): Promise<AclPolicy> => ({
    Name: name,
    Description: "",
    Rules: text,
    Parsed: await parsePolicy(text),
    CreateIndex: 1,
    ModifyIndex: 1,
  });
  const token = (secret: string, overrides: Partial<AclToken> = {}): AclToken => ({
    AccessorID: `acc-${secret}`,
    SecretHash: hashSecret(secret),
    Name: secret,
    Type: "client",
    Policies: ["ro"],
    Global: false,
    CreateTime: 0,
    ExpirationTime: 0,
    CreateIndex: 1,
    ModifyIndex: 1,
    ...overrides,
  });

  it("resolves tokens by their hashed secret, anonymous requests by the anonymous policy", async () => {
    const policies = new Map([
      ["ro", await policy("ro", 'namespace "default" { policy = "read" }')],
      ["anonymous", await policy("anonymous", 'namespace "public" { policy = "read" }')],
    ]);
    const tokens = [
      token("s1"),
      token("s2", { ExpirationTime: 100 }),
      token("m", { Type: "management", Policies: [] }),
    ];
    const state = {
      aclPolicy: (n: string) => policies.get(n),
      aclTokenBySecretHash: (h: string) => tokens.find((t) => t.SecretHash === h),
    };
    expect(resolveToken(state, "s1", 50).allowNamespaceOp("default", "read-job")).toBe(true);
    expect(resolveToken(state, "m", 50).management).toBe(true);
    expect(() => resolveToken(state, "nope", 50)).toThrow("Permission denied: ACL token not found");
    expect(resolveToken(state, "s2", 99).accessorId).toBe("acc-s2");
    expect(() => resolveToken(state, "s2", 100)).toThrow("Permission denied: ACL token expired");
    const anon = resolveToken(state, undefined, 50);
    expect(anon.allowNamespaceOp("public", "read-job")).toBe(true);
    expect(anon.allowNamespaceOp("default", "read-job")).toBe(false);
    policies.delete("anonymous");
    expect(resolveToken(state, "", 50).allowNamespaceOp("public", "read-job")).toBe(false);
  });
});
