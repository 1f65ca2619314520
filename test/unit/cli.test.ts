import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const bin = join(import.meta.dirname, "..", "..", "bin", "drover.js");

describe("drover CLI", () => {
  it("prints its version", () => {
    const out = execFileSync(process.execPath, [bin, "version"], { encoding: "utf8" });
    expect(out).toMatch(/^Drover v\d+\.\d+\.\d+/);
  });

  it("prints help listing its commands", () => {
    const out = execFileSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
    expect(out).toContain("Usage: drover");
    expect(out).toContain("version");
  });

  it("exits non-zero with a message on an unknown command", () => {
    let status = 0;
    let stderr = "";
    try {
      execFileSync(process.execPath, [bin, "no-such-command"], { encoding: "utf8", stdio: "pipe" });
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = (error as { stderr: string }).stderr;
    }
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/unknown command/);
  });

  it("refuses a variable path with .. before contacting any agent", () => {
    let status = 0;
    let stderr = "";
    try {
      // Port 1 is never an agent: reaching it would fail differently ("unreachable").
      execFileSync(
        process.execPath,
        [bin, "var", "put", "--address", "http://127.0.0.1:1", "a/../b", "k=v"],
        {
          encoding: "utf8",
          stdio: "pipe",
        },
      );
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = (error as { stderr: string }).stderr;
    }
    expect(status).toBe(1);
    expect(stderr.trim()).toMatch(/^Error: variable path: "a\/\.\.\/b" must not contain \.\. segments/);
  });
});
