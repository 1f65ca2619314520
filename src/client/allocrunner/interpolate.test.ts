// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation references are plain strings
import { describe, expect, it } from "vitest";
import { mockNode } from "../../fsm/index.js";
import { type InterpolationContext, interpolateDeep, interpolateString } from "./interpolate.js";

const ctx: InterpolationContext = {
  env: { NOMAD_ALLOC_ID: "a-1", NOMAD_PORT_http: "8080", FOO: "bar", "WITH.DOT": "dot" },
  node: mockNode({
    ID: "node-id",
    Name: "node-name",
    Datacenter: "dc9",
    NodeClass: "gpu",
    NodePool: "pool-a",
    Attributes: { "kernel.name": "linux", "unique.network.ip-address": "10.0.0.7" },
    Meta: { rack: "r42" },
  }),
  region: "eu",
};

describe("interpolateString", () => {
  it.each([
    ["plain text", "plain text"],
    ["${NOMAD_ALLOC_ID}", "a-1"],
    ["port=${NOMAD_PORT_http}!", "port=8080!"],
    ['${env["FOO"]}', "bar"],
    ["${ FOO }", "bar"],
    ["${WITH.DOT}", "dot"],
    ["${attr.kernel.name}", "linux"],
    ["${attr.unique.network.ip-address}:${NOMAD_PORT_http}", "10.0.0.7:8080"],
    ["${meta.rack}", "r42"],
    ["${node.unique.id}", "node-id"],
    ["${node.unique.name}", "node-name"],
    ["${node.datacenter}", "dc9"],
    ["${node.region}", "eu"],
    ["${node.class}", "gpu"],
    ["${node.pool}", "pool-a"],
    // Unknown references stay as written.
    ["${NOPE}", "${NOPE}"],
    ["${attr.missing}", "${attr.missing}"],
    ["${meta.missing}", "${meta.missing}"],
    ["${node.other}", "${node.other}"],
    ['${env["NOPE"]}', '${env["NOPE"]}'],
    ["${constructor}", "${constructor}"],
    ["${unterminated", "${unterminated"],
    ["$FOO and ${FOO}", "$FOO and bar"],
  ])("%s → %s", (input, output) => {
    expect(interpolateString(input, ctx)).toBe(output);
  });
});

describe("interpolateDeep", () => {
  it("interpolates strings at any depth through objects and arrays, keeping other values", () => {
    const config = {
      command: "/bin/${FOO}",
      args: ["-p", "${NOMAD_PORT_http}", 3, true, null],
      nested: { deeper: [{ x: "${meta.rack}" }], n: 1 },
      "${FOO}": "keys stay",
    };
    expect(interpolateDeep(config, ctx)).toEqual({
      command: "/bin/bar",
      args: ["-p", "8080", 3, true, null],
      nested: { deeper: [{ x: "r42" }], n: 1 },
      "${FOO}": "keys stay",
    });
    expect(config.command).toBe("/bin/${FOO}");
  });
});
