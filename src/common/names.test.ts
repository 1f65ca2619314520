import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.js";
import {
  MAX_NAME_LENGTH,
  pathComponentProblem,
  validatePathComponent,
  validateVariablePath,
  variablePathProblem,
} from "./names.js";

describe("pathComponentProblem", () => {
  it.each(["web", "web-1", "a.b", "my task", "127.0.0.1:4647", "x".repeat(MAX_NAME_LENGTH)])(
    "accepts %j",
    (name) => {
      expect(pathComponentProblem(name)).toBeUndefined();
    },
  );

  it.each([
    ["", /empty/],
    [".", /not allowed/],
    ["..", /not allowed/],
    ["../x", /\//],
    ["a/../../b", /\//],
    ["/etc/passwd", /\//],
    ["..\\x", /\\/],
    ["a\u0000b", /NUL/],
    ["a\nb", /control/],
    ["a\u007fb", /control/],
    ["x".repeat(MAX_NAME_LENGTH + 1), /at most 128/],
  ])("refuses %j", (name, why) => {
    expect(pathComponentProblem(name)).toMatch(why);
  });

  it("refuses what is not a string", () => {
    expect(pathComponentProblem(42)).toMatch(/string/);
  });

  it("names the field in the thrown error", () => {
    expect(() => validatePathComponent("..", "TaskGroups[0].Name")).toThrow(ValidationError);
    expect(() => validatePathComponent("..", "TaskGroups[0].Name")).toThrow(/^TaskGroups\[0\]\.Name: /);
  });
});

describe("variablePathProblem", () => {
  it.each(["app", "app/db", "nomad/jobs/web", "a-b_c~d/E9"])("accepts %j", (path) => {
    expect(variablePathProblem(path)).toBeUndefined();
  });

  it.each([
    ["", /empty/],
    ["a/../b", /\.\. segments/],
    ["../etc", /\.\. segments/],
    ["/abs", /relative/],
    ["a//b", /empty segment/],
    ["a/", /empty segment/],
    ["bad path", /may only contain/],
    ["a\u0000b", /may only contain/],
    ["x".repeat(129), /at most 128/],
  ])("refuses %j", (path, why) => {
    expect(variablePathProblem(path)).toMatch(why);
  });

  it("throws a ValidationError naming Path", () => {
    expect(() => validateVariablePath("a/../b")).toThrow(/^Path: /);
  });
});
