import { describe, expect, it } from "vitest";
import { parsePolicy } from "./policy-parse.js";

describe("parsePolicy (Nomad's policy language)", () => {
  it("reads namespaces with policies, capabilities and variable paths, and the coarse blocks", async () => {
    const rules = await parsePolicy(
      [
        'namespace "default" {',
        '  policy       = "read"',
        '  capabilities = ["submit-job"]',
        "  variables {",
        '    path "app/*" { capabilities = ["read", "list"] }',
        '    path "app/secret" { capabilities = ["deny"] }',
        "  }",
        "}",
        'namespace "prod-*" { policy = "write" }',
        'node { policy = "read" }',
        'agent { policy = "write" }',
        'operator { policy = "deny" }',
        'quota { policy = "read" }',
      ].join("\n"),
    );
    expect(rules).toEqual({
      Namespaces: [
        {
          Name: "default",
          Policy: "read",
          Capabilities: ["submit-job"],
          Variables: [
            { Path: "app/*", Capabilities: ["read", "list"] },
            { Path: "app/secret", Capabilities: ["deny"] },
          ],
        },
        { Name: "prod-*", Policy: "write", Capabilities: [], Variables: [] },
      ],
      Node: "read",
      Agent: "write",
      Operator: "deny",
      Quota: "read",
    });
  });

  it("says what is wrong and on which line", async () => {
    await expect(
      parsePolicy('node { policy = "read" }\nnamespace "x" {\n  policy = "reed"\n}\n'),
    ).rejects.toThrow(
      /^policy\.hcl:2: namespace "x": policy must be one of "deny", "read", "write", "scale" \(got "reed"\)$/,
    );
    await expect(parsePolicy('namespace "x" {\n  capabilities = ["fly"]\n}')).rejects.toThrow(
      /policy\.hcl:1: namespace "x": unknown capability "fly"/,
    );
    await expect(
      parsePolicy('namespace "x" {\n  variables {\n    path "a" { capabilities = ["exec"] }\n  }\n}'),
    ).rejects.toThrow(/policy\.hcl:3: .*unknown capability "exec"/);
    await expect(parsePolicy('nodes { policy = "read" }')).rejects.toThrow(
      /policy\.hcl:1: unknown block "nodes"/,
    );
    await expect(parsePolicy('node { policy = "list" }')).rejects.toThrow(/node: policy must be one of/);
    await expect(parsePolicy('namespace "x" {\n  policy =\n}')).rejects.toThrow(/policy\.hcl:2,/);
    await expect(parsePolicy("   ")).rejects.toThrow(/policy rules are empty/);
    await expect(parsePolicy('namespace "x" {}')).rejects.toThrow(/give a policy, capabilities or variables/);
  });
});
