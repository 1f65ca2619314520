import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// deploy/healthcheck.mjs is the container image's HEALTHCHECK: Docker reads only its exit code.
// A stand-in agent answers /v1/agent/health the way the real one does (200 with a known leader,
// 500 without); the script must exit 0 for the first and 1 for the second.
const script = join(import.meta.dirname, "..", "..", "deploy", "healthcheck.mjs");

let leaderKnown = true;
let server: Server;
let base = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url !== "/v1/agent/health") {
      res.writeHead(404).end();
      return;
    }
    const body = leaderKnown
      ? { server: { ok: true, message: "ok" } }
      : { server: { ok: false, message: "no known leader" } };
    res.writeHead(leaderKnown ? 200 : 500, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function runCheck(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script],
      { env: { PATH: process.env["PATH"] ?? "", ...env }, timeout: 30_000 },
      (error, _stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stderr });
      },
    );
  });
}

describe("deploy/healthcheck.mjs", () => {
  it("exits 0 when the agent at DROVER_ADDR knows a leader", async () => {
    leaderKnown = true;
    const res = await runCheck({ DROVER_ADDR: base });
    expect(res).toEqual({ code: 0, stderr: "" });
  });

  it("exits 1 and says why when the agent knows no leader", async () => {
    leaderKnown = false;
    const res = await runCheck({ DROVER_ADDR: base });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("unhealthy");
    expect(res.stderr).toContain("HTTP 500");
    expect(res.stderr).toContain("no known leader");
  });

  it("accepts DROVER_ADDR with a trailing slash", async () => {
    leaderKnown = true;
    const res = await runCheck({ DROVER_ADDR: `${base}/` });
    expect(res.code).toBe(0);
  });
});
