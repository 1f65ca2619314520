// biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL interpolations are written as ${…} in plain strings.
import fc from "fast-check";
import { describe, it } from "vitest";
import { ValidationError } from "../common/errors.js";
import { jobFromApiInput, parseJobHcl } from "./index.js";

/** Throws unless `run` either succeeds or fails with a ValidationError that has a message. */
async function onlyValidationErrors(run: () => unknown): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof ValidationError) || error.message === "") throw error;
  }
}

const validJob = {
  ID: "fuzz",
  TaskGroups: [{ Name: "g", Count: 1, Tasks: [{ Name: "t", Driver: "raw_exec", Config: { command: "x" } }] }],
};

/** The valid job with one field anywhere in it replaced by an arbitrary value. */
function mutate(value: unknown, path: readonly string[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  if (typeof value !== "object" || value === null) return value;
  const [head, ...rest] = path as [string, ...string[]];
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...value };
  copy[head] = mutate(copy[head], rest, replacement);
  return copy;
}

const PATHS = [
  [],
  ["ID"],
  ["Type"],
  ["Update"],
  ["Periodic"],
  ["TaskGroups"],
  ["TaskGroups", "0"],
  ["TaskGroups", "0", "Count"],
  ["TaskGroups", "0", "Networks"],
  ["TaskGroups", "0", "Tasks", "0"],
  ["TaskGroups", "0", "Tasks", "0", "Resources"],
  ["TaskGroups", "0", "Tasks", "0", "Lifecycle"],
  ["TaskGroups", "0", "RestartPolicy"],
];

const HCL_PIECES = [
  'job "x" {',
  "}",
  'group "g" {',
  'task "t" {',
  'driver = "raw_exec"',
  "count = -1",
  'count = "${var.n}"',
  'variable "n" { default = 2 }',
  "network {",
  'port "http" {}',
  'kill_timeout = "3x"',
  "config {",
  'args = ["${upper(\\"a\\")}", "${attr.x}"]',
  'lifecycle { hook = "prestart" }',
  "locals { a = local.a }",
  'x = "${foo(1)}"',
  'periodic { crons = ["* * *"] }',
  '"',
  "${",
  "=",
  "<<EOT",
  "EOT",
];

describe("fuzz: any input is a Job or a ValidationError", () => {
  it("jobFromApiInput with arbitrary values", async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything({ withNullPrototype: true, withObjectString: true }), async (input) => {
        await onlyValidationErrors(() => jobFromApiInput(input, 0));
      }),
      { numRuns: 500 },
    );
  });

  it("jobFromApiInput with one field of a valid job replaced", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), fc.anything(), async (path, replacement) => {
        await onlyValidationErrors(() => jobFromApiInput(mutate(validJob, path, replacement), 0));
      }),
      { numRuns: 500 },
    );
  });

  it("parseJobHcl with random and malformed text", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.array(fc.constantFrom(...HCL_PIECES), { maxLength: 25 }).map((parts) => parts.join("\n")),
        ),
        async (text) => {
          await onlyValidationErrors(() => parseJobHcl(text, "fuzz.hcl"));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("parseJobHcl on valid files with a line removed", async () => {
    const lines = `job "x" {
  group "g" {
    count = 2
    network {
      port "http" {
        to = 80
      }
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
      }
      resources {
        cpu = 100
        memory = 64
      }
    }
  }
}`.split("\n");
    await fc.assert(
      fc.asyncProperty(fc.nat(lines.length - 1), fc.string(), async (index, replacement) => {
        const text = lines.map((l, i) => (i === index ? replacement : l)).join("\n");
        await onlyValidationErrors(() => parseJobHcl(text, "fuzz.hcl"));
      }),
      { numRuns: 200 },
    );
  });
});
