// biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL interpolations are written as ${…} in plain strings.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../common/errors.js";
import { evaluate, evaluateString, parseExpression, type Scope } from "./hcl-expr.js";
import { parseJobHcl } from "./index.js";

const scope: Scope = {
  variable: (name) => ({ env: "prod", n: 3, list: ["a", "b"], m: { k: "v" } })[name],
  local: (name) => ({ prefix: "web" })[name],
};
const ev = (text: string) => evaluateString(text, scope);

describe("interpolation and functions", () => {
  it("substitutes var.* and local.*, keeps runtime interpolations as written", () => {
    expect(ev("${local.prefix}-${var.env}")).toBe("web-prod");
    expect(ev("${var.n}")).toBe(3);
    expect(ev("${attr.kernel.name}")).toBe("${attr.kernel.name}");
    expect(ev("${meta.rack}/${node.unique.name}/${NOMAD_ALLOC_ID}/${var.env}")).toBe(
      "${meta.rack}/${node.unique.name}/${NOMAD_ALLOC_ID}/prod",
    );
    expect(ev('${env["HOME"]}')).toBe('${env["HOME"]}');
    expect(ev("$${var.env} stays")).toBe("${var.env} stays");
  });

  it("implements the functions job files commonly use", () => {
    expect(ev('${upper("a-${var.env}")}')).toBe("A-PROD");
    expect(ev('${lower("ABC")}')).toBe("abc");
    expect(ev('${format("%s-%03d", var.env, var.n)}')).toBe("prod-003");
    expect(ev('${join(",", var.list)}')).toBe("a,b");
    expect(ev('${concat(var.list, ["c"])}')).toEqual(["a", "b", "c"]);
    expect(ev('${lookup(var.m, "k", "d")}')).toBe("v");
    expect(ev('${lookup(var.m, "x", "d")}')).toBe("d");
    expect(ev('${replace("a.b.c", ".", "/")}')).toBe("a/b/c");
    expect(ev('${replace("a1b22", "/[0-9]+/", "#")}')).toBe("a#b#");
    expect(ev('${trimspace("  x ")}')).toBe("x");
    expect(ev("${jsonencode(var.m)}")).toBe('{"k":"v"}');
    expect(ev("${tostring(var.n)}")).toBe("3");
    expect(ev('${tonumber("42")}')).toBe(42);
    expect(ev('${var.n > 2 ? "big" : "small"}')).toBe("big");
    expect(evaluate(parseExpression("var.list[1]"), scope)).toBe("b");
  });

  it("an unsupported function or a runtime value inside a function is a clear error", () => {
    expect(() => ev('${base64encode("x")}')).toThrow(/function "base64encode" is not supported/);
    expect(() => ev("${upper(attr.kernel.name)}")).toThrow(/attr\.kernel\.name is a runtime value/);
    expect(() => ev('${tonumber("x")}')).toThrow(/is not a number/);
  });
});

describe("variables in job files", () => {
  const file = `variable "dc" {
  type    = list(string)
  default = ["dc1"]
}
variable "count" {
  type    = number
  default = 1
}
variable "image" {
  type = string
}
locals {
  name = "svc-\${var.image}"
  full = "\${local.name}:latest"
}
job "svc" {
  datacenters = var.dc
  meta = {
    full = local.full
  }
  group "g" {
    count = var.count
    task "t" {
      driver = "docker"
      config {
        image = var.image
      }
    }
  }
}
`;

  it("-var values are converted to the declared type; var files (HCL and JSON) apply, -var wins", async () => {
    const dir = tmpdir();
    const hclFile = join(dir, `drover-vars-${process.pid}.hcl`);
    writeFileSync(hclFile, 'image = "from-file"\ncount = 4\n');
    const { job } = await parseJobHcl(file, "svc.hcl", {
      vars: { count: "2", dc: '["a", "b"]' },
      varFiles: [hclFile, { filename: "v.json", text: '{"image": "json"}' }],
    });
    expect(job.TaskGroups[0]?.Count).toBe(2);
    expect(job.Datacenters).toEqual(["a", "b"]);
    expect(job.TaskGroups[0]?.Tasks[0]?.Config).toEqual({ image: "json" });
    expect(job.Meta).toEqual({ full: "svc-json:latest" });
  });

  it("an undeclared -var, a wrongly typed value and an undefined local are located errors", async () => {
    const bad = file.replace('full = "${local.name}:latest"', 'full = "${local.nmae}:latest"');
    let error: ValidationError | undefined;
    try {
      await parseJobHcl(bad, "svc.hcl", { vars: ["imgae=x", "count=many", "image=i"] });
    } catch (e) {
      error = e as ValidationError;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error?.message).toContain(
      '-var imgae: no variable "imgae" is declared in svc.hcl (did you mean "image"?)',
    );
    expect(error?.message).toContain('-var count: variable "count": a number is required, got "many"');
    expect(error?.message).toContain(
      'svc.hcl:14,3: local "full": undefined local.nmae (did you mean "name"?)',
    );
  });
});
