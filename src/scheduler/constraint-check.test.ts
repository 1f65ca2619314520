// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation targets are plain strings
import { describe, expect, it } from "vitest";
import type { Constraint } from "../fsm/structs.js";
import { checkOperand, nodeMeetsConstraint } from "./constraint-check.js";
import { datacenterMatches } from "./datacenter-match.js";
import { JobFeasibility } from "./feasibility.js";
import { isUniqueTarget, resolveTarget } from "./node-target.js";
import { mockGroup, mockJob, mockNode } from "./test-fixtures.js";
import { versionSatisfies } from "./version-constraint.js";

const node = mockNode("n1", {
  Name: "web-01",
  Datacenter: "us-east-1",
  NodeClass: "large",
  NodePool: "prod",
  Attributes: {
    "kernel.name": "linux",
    "cpu.numcores": "8",
    "os.version": "22.04",
    "nomad.version": "1.7.2",
    tags: "ssd,gpu,fast",
    "unique.hostname": "host-1",
  },
  Meta: { rack: "r7", zone: "b" },
});

describe("resolveTarget", () => {
  it.each([
    ["${node.unique.id}", "n1"],
    ["${node.unique.name}", "web-01"],
    ["${node.datacenter}", "us-east-1"],
    ["${node.class}", "large"],
    ["${node.pool}", "prod"],
    ["${attr.kernel.name}", "linux"],
    ["${meta.rack}", "r7"],
    ["${attr.driver.exec}", "1"],
    ["literal", "literal"],
  ])("%s → %s", (target, value) => {
    expect(resolveTarget(target, node)).toEqual({ value, found: true });
  });
  it.each(["${attr.nope}", "${meta.nope}", "${node.nope}", "${attr.driver.docker}"])(
    "%s is missing",
    (target) => {
      expect(resolveTarget(target, node).found).toBe(false);
    },
  );
  it("knows which targets are unique to a node", () => {
    expect(isUniqueTarget("${node.unique.id}")).toBe(true);
    expect(isUniqueTarget("${attr.unique.hostname}")).toBe(true);
    expect(isUniqueTarget("${meta.rack}")).toBe(false);
  });
});

describe("constraint operators", () => {
  const c = (LTarget: string, Operand: string, RTarget: string): Constraint => ({
    LTarget,
    Operand,
    RTarget,
  });
  it.each([
    [c("${attr.kernel.name}", "=", "linux"), true],
    [c("${attr.kernel.name}", "==", "linux"), true],
    [c("${attr.kernel.name}", "is", "windows"), false],
    [c("${attr.kernel.name}", "!=", "windows"), true],
    [c("${attr.kernel.name}", "not", "linux"), false],
    [c("${attr.missing}", "!=", "linux"), true],
    [c("${attr.missing}", "=", "linux"), false],
    [c("${attr.cpu.numcores}", ">", "4"), true],
    [c("${attr.cpu.numcores}", ">=", "8"), true],
    [c("${attr.cpu.numcores}", "<", "10"), true], // numeric, not lexical ("8" > "10" lexically)
    [c("${attr.cpu.numcores}", "<=", "7"), false],
    [c("${meta.rack}", "<", "r8"), true], // lexical when not numbers
    [c("${attr.missing}", "<", "10"), false],
    [c("${attr.kernel.name}", "regexp", "^lin"), true],
    [c("${attr.kernel.name}", "regexp", "^win"), false],
    [c("${attr.kernel.name}", "regexp", "(["), false],
    [c("${attr.nomad.version}", "version", ">= 1.6, < 1.8"), true],
    [c("${attr.nomad.version}", "version", "~> 1.6.0"), false],
    [c("${attr.nomad.version}", "version", "~> 1.7"), true],
    [c("${attr.os.version}", "version", "> 20"), true],
    [c("${attr.nomad.version}", "semver", ">= 1.7.0"), true],
    [c("${attr.os.version}", "semver", ">= 1.0.0"), false], // not strict semver
    [c("${attr.tags}", "set_contains", "ssd,gpu"), true],
    [c("${attr.tags}", "set_contains_all", "ssd,nvme"), false],
    [c("${attr.tags}", "set_contains_any", "nvme,gpu"), true],
    [c("${attr.tags}", "set_contains_any", "nvme"), false],
    [c("${attr.kernel.name}", "is_set", ""), true],
    [c("${attr.missing}", "is_set", ""), false],
    [c("${attr.missing}", "is_not_set", ""), true],
    [c("${meta.zone}", "is_not_set", ""), false],
    [c("", "distinct_hosts", "true"), true],
    [c("${meta.rack}", "distinct_property", "1"), true],
    [c("${attr.kernel.name}", "bogus", "linux"), false],
  ])("%o → %s", (constraint, expected) => {
    expect(nodeMeetsConstraint(node, constraint)).toBe(expected);
  });

  it("orders prereleases before releases", () => {
    expect(versionSatisfies("1.7.0-beta.1", "< 1.7.0", false)).toBe(true);
    expect(versionSatisfies("1.7.0-beta.2", "> 1.7.0-beta.1", true)).toBe(true);
    expect(versionSatisfies("v1.2", "= 1.2.0", false)).toBe(true);
    expect(checkOperand("version", "garbage", true, ">= 1", true)).toBe(false);
  });
});

describe("datacenter globs", () => {
  it.each([
    ["dc1", ["dc1"], true],
    ["dc1", ["dc2"], false],
    ["dc1", ["*"], true],
    ["us-east-1", ["us-*"], true],
    ["eu-west-1", ["us-*", "*-west-*"], true],
    ["dc.1", ["dc?1"], false],
  ])("%s in %o → %s", (dc, patterns, expected) => {
    expect(datacenterMatches(dc, patterns)).toBe(expected);
  });
});

describe("JobFeasibility", () => {
  it("evaluates a constraint once per computed class and per node when it escapes", () => {
    const job = mockJob("j", {
      Constraints: [
        { LTarget: "${meta.rack}", RTarget: "r1", Operand: "=" },
        { LTarget: "${node.unique.name}", RTarget: "node-b", Operand: "!=" },
      ],
    });
    const feasibility = new JobFeasibility(job);
    const nodes = ["a", "b", "c"].map((id) => mockNode(id, { Meta: { rack: "r1" } }));
    const other = mockNode("d", { Meta: { rack: "r2" } });
    expect(nodes.map((n) => feasibility.check(n, "web"))).toEqual([
      null,
      "${node.unique.name} != node-b",
      null,
    ]);
    expect(feasibility.check(other, "web")).toBe("${meta.rack} = r1");
    expect(feasibility.escaped).toBe(true);
    const classes = feasibility.classEligibility();
    expect(classes[nodes[0]!.ComputedClass]).toBe(true);
    expect(classes[other.ComputedClass]).toBe(false);
  });

  it("checks drivers of every task in the group", () => {
    const job = mockJob("j", {
      TaskGroups: [mockGroup("web", { Tasks: [{ ...mockGroup().Tasks[0]!, Driver: "java" }] })],
    });
    expect(new JobFeasibility(job).check(mockNode("x"), "web")).toBe("missing drivers");
  });
});
