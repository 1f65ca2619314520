import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { WRAPPER_BODY } from "./process-task.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the task wrapper (as the fork server does) around `sh -c script`; `before` runs first. */
function wrap(script: string, before = "") {
  const dir = mkdtempSync(join(tmpdir(), "drover-wrapper-"));
  dirs.push(dir);
  const exitFile = join(dir, ".drover-exit");
  // A function replacement: in a replacement string, "$$" would mean "$".
  const body = WRAPPER_BODY.replace('if [ -n "$sig" ]', (at) => `${before}\n${at}`);
  const run = spawnSync(
    "/bin/sh",
    ["-c", body, "drover-task", exitFile, "1", `DIR=${dir}`, "sh", "-c", script],
    {
      encoding: "utf8",
    },
  );
  return { status: run.status, recorded: readFileSync(exitFile, "utf8").trim(), dir };
}

describe("the process task wrapper", () => {
  it("runs the command with the task's variables and records its exit status", () => {
    const run = wrap('echo ran > "$DIR/ran"; exit 7');
    expect(run).toMatchObject({ status: 7, recorded: "7" });
    expect(readFileSync(join(run.dir, "ran"), "utf8")).toBe("ran\n");
  });

  it("never starts the command when a stop arrived while it set up, and records the signal", () => {
    // The stop lands after the traps are set and before the command would start: that signal
    // would reach no command, so the wrapper must not start one that nobody will stop.
    const run = wrap('echo ran > "$DIR/ran"; sleep 300', "kill -TERM $$");
    expect(run).toMatchObject({ status: 143, recorded: "143" });
    expect(existsSync(join(run.dir, "ran"))).toBe(false);
  });
});
