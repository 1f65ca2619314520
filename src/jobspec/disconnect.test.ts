import { describe, expect, it } from "vitest";
import { ValidationError } from "../common/errors.js";
import { type JobSpecError, jobFromApiInput, parseJobHcl } from "./index.js";

async function rejection(promise: Promise<unknown>): Promise<JobSpecError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as JobSpecError;
  }
  throw new Error("expected a ValidationError");
}

const job = (group: string, type = "service") => `job "d" {
  type = "${type}"
  group "g" {
${group}
    task "t" { driver = "raw_exec" }
  }
}`;

describe("disconnect block and the older group fields", () => {
  it("reads the disconnect block, with Nomad's defaults for what is left out", async () => {
    const { job: full } = await parseJobHcl(
      job(`    disconnect {
      lost_after = "6h"
      replace    = false
      reconcile  = "keep_original"
    }`),
      "d.hcl",
    );
    expect(full.TaskGroups[0]?.Disconnect).toEqual({
      LostAfter: 6 * 3600e9,
      Replace: false,
      Reconcile: "keep_original",
      StopOnClientAfter: null,
    });
    const { job: minimal } = await parseJobHcl(
      job(`    disconnect { stop_on_client_after = "90s" }`),
      "d.hcl",
    );
    expect(minimal.TaskGroups[0]?.Disconnect).toEqual({
      LostAfter: 0,
      Replace: true,
      Reconcile: "best_score",
      StopOnClientAfter: 90e9,
    });
  });

  it("canonicalizes max_client_disconnect and stop_after_client_disconnect to the same struct", async () => {
    const { job: lost } = await parseJobHcl(job(`    max_client_disconnect = "1h"`), "d.hcl");
    expect(lost.TaskGroups[0]?.Disconnect).toEqual({
      LostAfter: 3600e9,
      Replace: true,
      Reconcile: "best_score",
      StopOnClientAfter: null,
    });
    const { job: stop } = await parseJobHcl(job(`    stop_after_client_disconnect = "30s"`), "d.hcl");
    expect(stop.TaskGroups[0]?.Disconnect?.StopOnClientAfter).toBe(30e9);
    expect(stop.TaskGroups[0]?.Disconnect?.LostAfter).toBe(0);
  });

  it("takes the JSON API form (ns durations), both the block and the old fields, and round-trips", async () => {
    const base = { ID: "d", TaskGroups: [{ Name: "g", Tasks: [{ Name: "t", Driver: "raw_exec" }] }] };
    const withBlock = structuredClone(base) as Record<string, unknown> & typeof base;
    (withBlock.TaskGroups[0] as Record<string, unknown>)["Disconnect"] = {
      LostAfter: 60e9,
      Reconcile: "longest_running",
    };
    const parsed = jobFromApiInput(withBlock, 1).job;
    expect(parsed.TaskGroups[0]?.Disconnect).toEqual({
      LostAfter: 60e9,
      Replace: true,
      Reconcile: "longest_running",
      StopOnClientAfter: null,
    });
    expect(jobFromApiInput(JSON.parse(JSON.stringify(parsed)), 1).job).toEqual(parsed);
    const old = structuredClone(base);
    (old.TaskGroups[0] as Record<string, unknown>)["MaxClientDisconnect"] = 120e9;
    expect(jobFromApiInput(old, 1).job.TaskGroups[0]?.Disconnect?.LostAfter).toBe(120e9);
  });

  it("rejects the old and the new form together, at the old field", async () => {
    const error = await rejection(
      parseJobHcl(
        job(`    max_client_disconnect = "1h"
    disconnect { lost_after = "2h" }`),
        "d.hcl",
      ),
    );
    expect(error.message).toBe(
      'd.hcl:4,5: group "g": max_client_disconnect cannot be used together with a disconnect block (use disconnect.lost_after instead)',
    );
    const stop = await rejection(
      parseJobHcl(
        job(`    stop_after_client_disconnect = "1h"
    disconnect { replace = false }`),
        "d.hcl",
      ),
    );
    expect(stop.message).toMatch(/^d\.hcl:4,5: .*stop_after_client_disconnect cannot be used together/);
  });

  it("rejects bad values where they are written", async () => {
    const reconcile = await rejection(parseJobHcl(job(`    disconnect { reconcile = "newest" }`), "d.hcl"));
    expect(reconcile.message).toBe(
      'd.hcl:4,18: group "g": disconnect.reconcile must be one of best_score, keep_original, keep_replacement, longest_running, got "newest"',
    );
    const both = await rejection(
      parseJobHcl(
        job(`    disconnect {
      lost_after           = "1h"
      stop_on_client_after = "1m"
    }`),
        "d.hcl",
      ),
    );
    expect(both.message).toMatch(
      /^d\.hcl:6,7: .*stop_on_client_after cannot be used together with lost_after/,
    );
    const negative = await rejection(
      Promise.resolve().then(() =>
        jobFromApiInput(
          {
            ID: "d",
            TaskGroups: [
              { Name: "g", Disconnect: { LostAfter: -1 }, Tasks: [{ Name: "t", Driver: "raw_exec" }] },
            ],
          },
          1,
        ),
      ),
    );
    expect(negative.issues.map((i) => `${i.where}: ${i.message}`)).toContain(
      "Job.TaskGroups[0].Disconnect.LostAfter: must not be a negative duration",
    );
    const system = await rejection(
      parseJobHcl(job(`    stop_after_client_disconnect = "1m"`, "system"), "d.hcl"),
    );
    expect(system.message).toMatch(/stop_after_client_disconnect can only be set in service and batch jobs/);
    const notBool = await rejection(parseJobHcl(job(`    disconnect { replace = "maybe" }`), "d.hcl"));
    expect(notBool.message).toMatch(/disconnect\.replace/);
  });
});
