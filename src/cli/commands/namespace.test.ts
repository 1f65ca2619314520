import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatNamespace, loadNamespaceSpec, namespacesTable } from "./namespace.js";

describe("namespace specification files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "drover-ns-spec-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  it("reads Nomad's HCL form into the API's field names, keeping meta keys as written", async () => {
    const path = await file(
      "prod.hcl",
      `name        = "prod"
description = "Production"
meta {
  owner_team = "ops"
}
capabilities {
  enabled_task_drivers = ["docker", "exec"]
}
`,
    );
    expect(await loadNamespaceSpec(path)).toEqual({
      Name: "prod",
      Description: "Production",
      Meta: { owner_team: "ops" },
      Capabilities: { EnabledTaskDrivers: ["docker", "exec"] },
    });
  });

  it("reads the JSON form as it is, with empty defaults", async () => {
    const path = await file("qa.json", JSON.stringify({ Name: "qa" }));
    expect(await loadNamespaceSpec(path)).toEqual({ Name: "qa", Description: "", Meta: {} });
  });

  it("says what is wrong and where", async () => {
    await expect(loadNamespaceSpec(await file("a.hcl", 'name = "a"\nowner = "x"\n'))).rejects.toThrow(
      /a\.hcl: unknown attribute or block "owner"/,
    );
    await expect(loadNamespaceSpec(await file("b.hcl", 'description = "no name"\n'))).rejects.toThrow(
      /b\.hcl: the namespace specification has no name/,
    );
    await expect(loadNamespaceSpec(await file("c.hcl", 'name = "c"\nmeta {\n'))).rejects.toThrow(/c\.hcl:2,/);
    await expect(loadNamespaceSpec(await file("d.json", "[1]"))).rejects.toThrow(/expected a JSON object/);
    await expect(loadNamespaceSpec(join(dir, "missing.hcl"))).rejects.toThrow(/Error reading namespace/);
  });
});

describe("namespace output", () => {
  const prod = {
    Name: "prod",
    Description: "Production",
    Meta: { team: "ops" },
    CreateIndex: 3,
    ModifyIndex: 4,
  };

  it("lists names and descriptions in name order", () => {
    const def = {
      Name: "default",
      Description: "Default shared namespace",
      Meta: {},
      CreateIndex: 0,
      ModifyIndex: 0,
    };
    expect(namespacesTable([prod, def]).split("\n")).toEqual([
      "Name     Description",
      "default  Default shared namespace",
      "prod     Production",
    ]);
  });

  it("shows one namespace with its metadata", () => {
    expect(formatNamespace(prod)).toBe(
      [
        "Name        = prod",
        "Description = Production",
        "Quota       = <none>",
        "",
        "Metadata",
        "team = ops",
      ].join("\n"),
    );
  });
});
