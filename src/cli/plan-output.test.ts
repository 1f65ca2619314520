import { describe, expect, it } from "vitest";
import type { Job } from "../fsm/structs.js";
import { planJob } from "../scheduler/job-plan.js";
import { mockGroup, mockJob, mockNode, mockTask } from "../scheduler/test-fixtures.js";
import { SchedulerHarness } from "../scheduler/test-harness.js";
import type { PlanAnswer } from "./http-client.js";
import { formatPlan, planExitCode } from "./plan-output.js";

const OPTIONS = { now: 2_000_000e9, seed: 7, evalId: "plan-eval", diff: true };

function job(env: Record<string, string>, driver = "exec"): Job {
  return mockJob("web", {
    TaskGroups: [mockGroup("web", { Count: 2, Tasks: [mockTask("web", { Env: env, Driver: driver })] })],
  });
}

function answer(h: SchedulerHarness, j: Job): PlanAnswer {
  const { Plan: _plan, ...rest } = planJob(h.snapshot(), j, OPTIONS);
  return { ...rest, NextPeriodicLaunch: null };
}

function cluster(): SchedulerHarness {
  const h = new SchedulerHarness();
  h.registerNodes(mockNode("n1"), mockNode("n2"));
  const stored = h.registerJob(job({ MODE: "a" }));
  h.process(h.evalFor(stored));
  return h;
}

describe("job plan output", () => {
  it("shows a new job's creates and exits 1", () => {
    const h = new SchedulerHarness();
    h.registerNodes(mockNode("n1"));
    const { text, exitCode } = formatPlan(answer(h, job({})), { jobType: "service", file: "web.hcl" });
    expect(exitCode).toBe(1);
    expect(text).toContain('+ Job: "web"');
    expect(text).toContain('+ Task Group: "web" (2 create)');
    expect(text).toContain('  + Task: "web" (forces create)');
    expect(text).toContain("- All tasks successfully allocated.");
    expect(text).toContain("Job Modify Index: 0");
    expect(text).toContain("drover job run -check-index 0 web.hcl");
  });

  it("shows an unchanged job as ignores and exits 0", () => {
    const h = cluster();
    const { text, exitCode } = formatPlan(answer(h, job({ MODE: "a" })), { jobType: "service", file: "w" });
    expect(exitCode).toBe(0);
    expect(text.split("\n").slice(0, 3)).toEqual([
      'Job: "web"',
      'Task Group: "web" (2 ignore)',
      '  Task: "web"',
    ]);
  });

  it("shows an env change as a ~ field under a +/- task with the destructive updates", () => {
    const h = cluster();
    const { text, exitCode } = formatPlan(answer(h, job({ MODE: "b" })), { jobType: "service", file: "w" });
    expect(exitCode).toBe(1);
    expect(text.split("\n").slice(0, 4)).toEqual([
      '~ Job: "web"',
      '+/- Task Group: "web" (2 create/destroy update)',
      '  +/- Task: "web" (forces create/destroy update)',
      '    ~ Env[MODE]: "a" => "b"',
    ]);
  });

  it("explains placement failures in words and exits 2", () => {
    const h = cluster();
    const { text, exitCode } = formatPlan(answer(h, job({ MODE: "a" }, "docker")), {
      jobType: "service",
      file: "w",
    });
    expect(exitCode).toBe(2);
    expect(text).toContain("- WARNING: Failed to place all allocations.");
    expect(text).toContain('  Task Group "web" (failed to place 2 allocations):');
    expect(text).toContain("    * 2 missing drivers");
  });

  it("hides the diff with diff: false", () => {
    const h = cluster();
    const { text } = formatPlan(answer(h, job({ MODE: "b" })), {
      jobType: "service",
      file: "w",
      diff: false,
    });
    expect(text.startsWith("Scheduler dry-run:")).toBe(true);
  });

  it("exits 0 when nothing changes even if the diff was not asked for", () => {
    const h = cluster();
    expect(planExitCode({ ...answer(h, job({ MODE: "a" })), Diff: null })).toBe(0);
  });
});
