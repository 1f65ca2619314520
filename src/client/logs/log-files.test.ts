import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../common/errors.js";
import { logFilePath } from "./log-files.js";

describe("logFilePath", () => {
  it("names a file directly in the log dir", () => {
    expect(logFilePath("/data/alloc/a1/alloc/logs", "web", "stdout", 0)).toBe(
      join("/data/alloc/a1/alloc/logs", "web.stdout.0"),
    );
  });

  it.each(["../../../../etc/passwd", "../x", "sub/web", "/etc/passwd"])(
    "refuses the task name %j, which would leave the log dir",
    (task) => {
      expect(() => logFilePath("/data/alloc/a1/alloc/logs", task, "stdout", 0)).toThrow(ValidationError);
    },
  );
});
