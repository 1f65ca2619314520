// biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL interpolations are written as ${…} in plain strings.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../common/errors.js";
import { MAX_JOB_FILE_BYTES } from "../common/limits.js";
import { type JobSpecError, jobFromApiInput, jobFromInput, parseJobHcl } from "./index.js";

const TESTDATA = join(import.meta.dirname, "testdata");
const FIXTURES = ["web", "batch", "system", "periodic", "parameterized", "lifecycle"];

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<JobSpecError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as JobSpecError;
  }
  throw new Error("expected a ValidationError");
}

describe("HCL fixtures → canonical Job", () => {
  for (const name of FIXTURES) {
    it(`${name}.hcl matches ${name}.json, and survives a round trip through the JSON API form`, async () => {
      const text = readFileSync(join(TESTDATA, `${name}.hcl`), "utf8");
      const parsed = await parseJobHcl(text, `${name}.hcl`);
      const expectedPath = join(TESTDATA, `${name}.json`);
      if (process.env["UPDATE_GOLDEN"] === "1" || !existsSync(expectedPath)) {
        writeFileSync(expectedPath, `${JSON.stringify(parsed, null, 2)}\n`);
      }
      expect(JSON.parse(JSON.stringify(parsed))).toEqual(JSON.parse(readFileSync(expectedPath, "utf8")));

      // HCL → Job → JSON (as the HTTP API carries it) → Job: nothing lost, nothing changed.
      const wire = JSON.parse(JSON.stringify(parsed.job));
      const again = jobFromApiInput(wire, parsed.job.SubmitTime);
      expect(again.job).toEqual(parsed.job);
      expect(again.warnings).toEqual([]);
      // And canonicalization is idempotent (the server runs it again on forwarded jobs).
      expect(jobFromInput(again.job, parsed.job.SubmitTime)).toEqual(parsed.job);
    });
  }

  it("keeps groups and tasks in file order (hcl2json sorts labels)", async () => {
    const { job } = await parseJobHcl(
      `job "o" {
  group "zeta" {
    task "b" { driver = "raw_exec" }
    task "a" { driver = "raw_exec" }
  }
  group "alpha" {
    task "x" { driver = "raw_exec" }
  }
}`,
      "o.hcl",
    );
    expect(job.TaskGroups.map((g) => g.Name)).toEqual(["zeta", "alpha"]);
    expect(job.TaskGroups[0]?.Tasks.map((t) => t.Name)).toEqual(["b", "a"]);
  });

  it("the example from the brief", async () => {
    const { job } = await parseJobHcl(
      `job "x" {
  group "g" {
    count = 2
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo hi"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}`,
      "x.hcl",
    );
    expect(job.ID).toBe("x");
    expect(job.TaskGroups[0]?.Count).toBe(2);
    const task = job.TaskGroups[0]?.Tasks[0];
    expect(task?.Config).toEqual({ command: "/bin/sh", args: ["-c", "echo hi"] });
    expect(task?.Resources.CPU).toBe(100);
    expect(task?.Resources.MemoryMB).toBe(64);
  });

  it("group update is merged field by field over the job's; batch jobs get batch defaults", async () => {
    const web = await parseJobHcl(readFileSync(join(TESTDATA, "web.hcl"), "utf8"), "web.hcl");
    const update = web.job.TaskGroups[0]?.Update;
    expect(update?.Canary).toBe(1); // the group's
    expect(update?.MinHealthyTime).toBe(15e9); // the job's
    expect(update?.ProgressDeadline).toBe(600e9); // Nomad's default
    const batch = await parseJobHcl(readFileSync(join(TESTDATA, "batch.hcl"), "utf8"), "batch.hcl");
    expect(batch.job.TaskGroups[0]?.RestartPolicy).toEqual({
      Attempts: 3,
      Interval: 86400e9,
      Delay: 15e9,
      Mode: "fail",
    });
  });

  it("keeps blocks Drover does not act on yet, with a warning", async () => {
    const { warnings, extras } = await parseJobHcl(
      readFileSync(join(TESTDATA, "web.hcl"), "utf8"),
      "web.hcl",
    );
    expect(warnings).toContain(
      'web.hcl:63,5: group "frontend": service blocks are kept but not acted on yet',
    );
    expect(extras['group "frontend" service']).toEqual([{ name: "web", port: "http" }]);
  });
});

describe("dispatch_payload", () => {
  const spec = (file: string) =>
    `job "p" {\n  type = "batch"\n  parameterized {}\n  group "g" {\n    task "t" {\n      driver = "exec"\n      dispatch_payload {\n        file = "${file}"\n      }\n    }\n  }\n}\n`;

  it("names the file the payload is written to, without a warning", async () => {
    const { job, warnings } = await parseJobHcl(spec("in/input.txt"), "p.hcl");
    expect(job.TaskGroups[0]?.Tasks[0]?.DispatchPayload).toEqual({ File: "in/input.txt" });
    expect(warnings).toEqual([]);
  });

  it.each(["../escape", "/etc/passwd", "a/../../b"])("refuses %j, which leaves local/", async (file) => {
    const error = await rejection(parseJobHcl(spec(file), "p.hcl"));
    expect(error.message).toContain("must be a relative path inside the task's local/ directory");
  });
});

describe("located errors", () => {
  it("refuses a job file above the size limit before parsing it", async () => {
    const text = `job "big" {\n${"# padding\n".repeat(MAX_JOB_FILE_BYTES / 10 + 1)}}\n`;
    await expect(parseJobHcl(text, "big.hcl")).rejects.toThrow(/^big\.hcl: job file is \d+ bytes, at most/);
  });

  it("broken HCL: the parser's own diagnostic, at file:line,col", async () => {
    const error = await rejection(
      parseJobHcl('job "x" {\n  group "g" {\n    count = \n  }\n}\n', "broken.hcl"),
    );
    expect(error.message).toMatch(/^broken\.hcl:3,13: Invalid expression/);
    expect(error.where).toBe("broken.hcl:3,13");
  });

  it("an unknown attribute names the nearest valid one", async () => {
    const error = await rejection(
      parseJobHcl(
        'job "x" {\n  group "g" {\n    cuont = 2\n    task "t" { driver = "raw_exec" }\n  }\n}\n',
        "typo.hcl",
      ),
    );
    expect(error.message).toBe('typo.hcl:3,5: group "g": unknown attribute "cuont" (did you mean "count"?)');
  });

  it("an unknown block names the nearest valid one", async () => {
    const error = await rejection(
      parseJobHcl(
        'job "x" {\n  group "g" {\n    task "t" {\n      driver = "raw_exec"\n      resorces {\n        cpu = 1\n      }\n    }\n  }\n}\n',
        "typo.hcl",
      ),
    );
    expect(error.message).toBe(
      'typo.hcl:5,7: group "g" task "t": unknown block "resorces" (did you mean "resources"?)',
    );
  });

  it("a negative count", async () => {
    const error = await rejection(
      parseJobHcl(
        'job "web" {\n  group "api" {\n    count = -1\n    task "t" { driver = "raw_exec" }\n  }\n}\n',
        "web.hcl",
      ),
    );
    expect(error.message).toBe('web.hcl:3,5: group "api": count must be >= 0, got -1');
  });

  it("a bad duration", async () => {
    const error = await rejection(
      parseJobHcl(
        'job "web" {\n  group "api" {\n    task "t" {\n      driver = "raw_exec"\n      kill_timeout = "30 seconds"\n    }\n  }\n}\n',
        "web.hcl",
      ),
    );
    expect(error.message).toBe(
      'web.hcl:5,7: group "api" task "t": kill_timeout: invalid duration "30 seconds" (expected e.g. "30s", "1m30s", "1h")',
    );
  });

  it("a missing variable, at its declaration", async () => {
    const text =
      'variable "image" {\n  type = string\n}\n\njob "web" {\n  group "api" {\n    task "t" {\n      driver = "docker"\n      config { image = var.image }\n    }\n  }\n}\n';
    const error = await rejection(parseJobHcl(text, "web.hcl"));
    expect(error.message).toBe(
      'web.hcl:1,1: variable "image": a value is required (give it with -var image=… or in a var file)',
    );
    const ok = await parseJobHcl(text, "web.hcl", { vars: ["image=redis:7"] });
    expect(ok.job.TaskGroups[0]?.Tasks[0]?.Config).toEqual({ image: "redis:7" });
  });

  it("reports every problem at once", async () => {
    const error = await rejection(
      parseJobHcl(
        `job "web" {
  priority = 500
  group "api" {
    count = -2
    restart {
      mode = "sometimes"
    }
    task "t" {
      driver = "raw_exec"
      resources {
        memory = 1
      }
    }
    task "t2" {
      lifecycle {
        hook = "prestrat"
      }
    }
  }
}
`,
        "many.hcl",
      ),
    );
    expect(error.issues.map((i) => `${i.where}: ${i.message}`)).toEqual([
      'many.hcl:2,3: job "web": priority must be between 1 and 100, got 500',
      'many.hcl:4,5: group "api": count must be >= 0, got -2',
      'many.hcl:6,7: group "api": restart.mode "sometimes" must be one of "fail", "delay"',
      'many.hcl:11,9: group "api" task "t": resources.memory must be >= 10 MB, got 1',
      'many.hcl:14,5: group "api" task "t2": Driver is required',
      'many.hcl:16,9: group "api" task "t2": lifecycle.hook "prestrat" must be one of "prestart", "poststart", "poststop"',
    ]);
    expect(error.message.split("\n")).toHaveLength(7);
  });

  it("a value of the wrong kind, and an unknown function", async () => {
    const error = await rejection(
      parseJobHcl(
        'job "web" {\n  group "api" {\n    count = "two"\n    task "t" {\n      driver = uper("raw_exec")\n    }\n  }\n}\n',
        "web.hcl",
      ),
    );
    expect(error.issues.map((i) => `${i.where}: ${i.message}`)).toEqual([
      'web.hcl:3,5: group "api": count must be a number, got "two"',
      expect.stringMatching(
        /^web\.hcl:5,7: group "api" task "t": driver: function "uper" is not supported \(did you mean "upper"\?\)/,
      ),
    ]);
  });
});

describe("the JSON API form", () => {
  it("fills Nomad's defaults and warns about fields it ignores", () => {
    const { job, warnings } = jobFromApiInput(
      {
        ID: "api",
        Periodic: { Spec: "0 * * * *" },
        Type: "batch",
        TaskGroups: [
          { Name: "g", Cuont: 3, Services: [{}], Tasks: [{ Name: "t", Driver: "raw_exec", Config: null }] },
        ],
      },
      7,
    );
    expect(job.Periodic).toEqual({
      Enabled: true,
      Spec: "0 * * * *",
      SpecType: "cron",
      ProhibitOverlap: false,
      TimeZone: "UTC",
    });
    expect(job.Datacenters).toEqual(["*"]);
    expect(job.SubmitTime).toBe(7);
    expect(job.TaskGroups[0]?.Count).toBe(1);
    expect(job.TaskGroups[0]?.ReschedulePolicy?.DelayFunction).toBe("constant");
    expect(job.TaskGroups[0]?.Tasks[0]?.Config).toEqual({});
    expect(warnings).toEqual([
      'Job.TaskGroups[0].Cuont: unknown field; ignored (did you mean "Count"?)',
      "Job.TaskGroups[0].Services: is not supported by Drover yet; ignored",
    ]);
  });

  it("reports every problem at once, each at its JSON path", () => {
    let error: JobSpecError | undefined;
    try {
      jobFromInput(
        {
          ID: "bad id",
          TaskGroups: [
            { Name: "g", Count: -1, Tasks: [] },
            { Name: "g", Count: "x" },
          ],
        },
        0,
      );
    } catch (e) {
      error = e as JobSpecError;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error?.issues.map((i) => `${i.where}: ${i.message}`)).toEqual([
      'Job.TaskGroups[1].Count: must be an integer, got "x"',
      'Job.ID: "bad id" must match ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$',
      "Job.TaskGroups[0].Count: must be >= 0, got -1",
      "Job.TaskGroups[0].Tasks: must hold at least one task",
      'Job.TaskGroups[1].Name: "g" is used by another group',
      "Job.TaskGroups[1].Tasks: must hold at least one task",
    ]);
  });

  it("refuses job, group and task names that would leave a directory, naming each field", () => {
    let error: JobSpecError | undefined;
    try {
      jobFromInput(
        {
          ID: "../x",
          TaskGroups: [
            {
              Name: "..",
              Tasks: [
                { Name: "a/../../b", Driver: "raw_exec" },
                { Name: "c\u0000d", Driver: "raw_exec" },
                { Name: "e\nf", Driver: "raw_exec" },
              ],
            },
            { Name: "x".repeat(129), Tasks: [{ Name: "/etc/passwd", Driver: "raw_exec" }] },
          ],
        },
        0,
      );
    } catch (e) {
      error = e as JobSpecError;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const where = error?.issues.map((i) => i.where) ?? [];
    expect(where).toEqual(
      expect.arrayContaining([
        "Job.ID",
        "Job.TaskGroups[0].Name",
        "Job.TaskGroups[0].Tasks[0].Name",
        "Job.TaskGroups[0].Tasks[1].Name",
        "Job.TaskGroups[0].Tasks[2].Name",
        "Job.TaskGroups[1].Name",
        "Job.TaskGroups[1].Tasks[0].Name",
      ]),
    );
    expect(error?.message).toMatch(/NUL or control characters/);
    expect(error?.message).toMatch(/at most 128 allowed/);
  });

  it("a job-level reschedule and migrate are merged into every group", () => {
    const { job } = jobFromApiInput(
      {
        ID: "j",
        Reschedule: { Attempts: 4, Unlimited: false },
        Migrate: { MaxParallel: 3 },
        TaskGroups: [
          { Name: "a", Tasks: [{ Name: "t", Driver: "d" }] },
          { Name: "b", ReschedulePolicy: { Attempts: 9 }, Tasks: [{ Name: "t", Driver: "d" }] },
        ],
      },
      0,
    );
    expect(job.TaskGroups[0]?.ReschedulePolicy).toMatchObject({ Attempts: 4, Unlimited: false, Delay: 30e9 });
    expect(job.TaskGroups[1]?.ReschedulePolicy).toMatchObject({ Attempts: 9, Unlimited: false });
    expect(job.TaskGroups[0]?.Migrate).toMatchObject({ MaxParallel: 3, HealthCheck: "checks" });
  });
});
