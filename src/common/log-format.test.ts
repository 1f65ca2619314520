import { describe, expect, it } from "vitest";
import { createLogger } from "./log.js";
import { formatLogLine } from "./log-format.js";
import { outsideRequest, withRequestId } from "./request-context.js";

/** A destination that keeps what the logger wrote, line by line. */
function capture(): { lines: string[]; write(line: string): void } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

describe("formatLogLine (the readable format)", () => {
  it("writes time, level, agent, component and message, then the fields as key=value", () => {
    const line = formatLogLine(
      `${JSON.stringify({
        level: 40,
        time: Date.UTC(2026, 11, 3, 13, 2, 38, 123),
        pid: 7,
        hostname: "h",
        name: "s1",
        agent: "s1",
        component: "http",
        requestId: "abc-1",
        method: "GET",
        path: "/v1/jobs",
        attempt: 2,
        stale: false,
        msg: "request failed",
      })}\n`,
    );
    expect(line).toBe(
      "2026-12-03T13:02:38.123Z WARN  s1 http: request failed requestId=abc-1 method=GET path=/v1/jobs attempt=2 stale=false\n",
    );
  });

  it("quotes strings with spaces or equals signs, shows objects as JSON and errors by type and message", () => {
    const line = formatLogLine(
      JSON.stringify({
        level: 50,
        time: 0,
        msg: "boom",
        reason: "disk full = bad",
        servers: ["a", "b"],
        err: { type: "RpcError", message: "no leader", stack: "RpcError: no leader\n    at x" },
      }),
    );
    expect(line).toBe(
      '1970-01-01T00:00:00.000Z ERROR boom reason="disk full = bad" servers=["a","b"] err="RpcError: no leader"\n',
    );
  });

  it("passes through a line that is not a JSON object", () => {
    expect(formatLogLine("plain text\n")).toBe("plain text\n");
    expect(formatLogLine("[1,2]")).toBe("[1,2]");
  });
});

describe("createLogger", () => {
  it("writes one JSON object per line by default, with the request ID of the request it runs for", () => {
    const out = capture();
    const logger = createLogger("s1", { level: "info", destination: out }).child({ component: "rpc" });
    logger.info({ attempt: 1 }, "outside");
    logger.info("again");
    withRequestId("req-42", () => {
      logger.info({ method: "JobRegister" }, "inside");
      outsideRequest(() => logger.info("shared work"));
    });
    const entries = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // Fields of one line never leak into the next (pino merges them into the mixin's object).
    expect(entries[1]?.["attempt"]).toBeUndefined();
    expect(entries.map((e) => [e["msg"], e["requestId"], e["component"], e["agent"]])).toEqual([
      ["outside", undefined, "rpc", "s1"],
      ["again", undefined, "rpc", "s1"],
      ["inside", "req-42", "rpc", "s1"],
      ["shared work", undefined, "rpc", "s1"],
    ]);
  });

  it("writes readable lines when asked", () => {
    const out = capture();
    const logger = createLogger("c1", { level: "info", format: "text", destination: out });
    withRequestId("r-1", () => logger.child({ component: "client" }).info({ allocs: 3 }, "restored"));
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}c1 client: restored requestId=r-1 allocs=3\n$/,
    );
  });
});
