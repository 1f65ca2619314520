import { spawn } from "node:child_process";
import { join } from "node:path";

/** bin/drover.js of this checkout (the built CLI). */
export const DROVER_BIN = join(import.meta.dirname, "..", "..", "bin", "drover.js");

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The built `drover` CLI as a child process against the agent at `addr` (stdout a pipe, so not a
 * TTY: plain lines, no progress bars). Rejects when it has not exited within `timeoutMs`.
 */
export function drover(addr: string, args: readonly string[], timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DROVER_BIN, ...args], {
      env: { ...process.env, DROVER_ADDR: addr, DROVER_TOKEN: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`drover ${args.join(" ")}: no exit within ${timeoutMs} ms; stdout ${stdout}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
