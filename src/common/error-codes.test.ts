import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, errorCode, INTERNAL_ERROR } from "./error-codes.js";
import {
  ConflictError,
  NotFoundError,
  NotLeaderError,
  PreconditionError,
  ServerStoppingError,
  StaleEvalTokenError,
  StalePlanError,
  TaskConfigError,
  TaskStartError,
  TimeoutError,
  ValidationError,
} from "./errors.js";

describe("error codes", () => {
  // The answers callers depend on, restated so that changing one is a deliberate act.
  it.each([
    ["NotLeaderError", new NotLeaderError("s1", "10.0.0.1:4647"), "not-leader", 503, status.UNAVAILABLE],
    ["ServerStoppingError", new ServerStoppingError(), "not-leader", 503, status.UNAVAILABLE],
    ["TimeoutError", new TimeoutError("deadline"), "timeout", 503, status.DEADLINE_EXCEEDED],
    ["ValidationError", new ValidationError("bad", "Job"), "validation", 400, status.INVALID_ARGUMENT],
    ["NotFoundError", new NotFoundError("no such job"), "not-found", 404, status.NOT_FOUND],
    ["ConflictError", new ConflictError("stale index"), "conflict", 409, status.ABORTED],
    [
      "PreconditionError",
      new PreconditionError("wrong SecretID"),
      "precondition",
      412,
      status.FAILED_PRECONDITION,
    ],
    [
      "StaleEvalTokenError",
      new StaleEvalTokenError("e1", "gone"),
      "stale-token",
      409,
      status.FAILED_PRECONDITION,
    ],
    ["StalePlanError", new StalePlanError("e1"), "stale-token", 409, status.FAILED_PRECONDITION],
    ["TaskStartError", new TaskStartError("no such file", false), "internal", 500, status.INTERNAL],
  ])("answers %s", (_name, error, kind, http, grpc) => {
    expect(errorCode(error)).toEqual({ kind, http, grpc });
  });

  it("answers a subclass as its nearest listed ancestor (TaskConfigError, JobSpecError are validation)", () => {
    expect(errorCode(new TaskConfigError("must be a string", "command")).kind).toBe("validation");
    class DeepValidation extends TaskConfigError {}
    expect(errorCode(new DeepValidation("x", "y")).http).toBe(400);
  });

  it("answers anything else as an internal fault", () => {
    expect(errorCode(new Error("disk on fire"))).toBe(INTERNAL_ERROR);
    expect(errorCode(new TypeError("x is undefined"))).toBe(INTERNAL_ERROR);
    expect(errorCode("a string")).toBe(INTERNAL_ERROR);
    expect(errorCode(undefined)).toBe(INTERNAL_ERROR);
    expect(errorCode(null)).toBe(INTERNAL_ERROR);
    expect(errorCode(Object.create(null))).toBe(INTERNAL_ERROR);
    expect(INTERNAL_ERROR).toEqual({ kind: "internal", http: 500, grpc: status.INTERNAL });
  });

  it("lists every class once, and every answer but internal as a client or availability error", () => {
    const classes = ERROR_CODES.map(([cls]) => cls);
    expect(new Set(classes).size).toBe(classes.length);
    for (const [, code] of ERROR_CODES) {
      if (code.kind === "internal") continue;
      expect(code.http === 503 || (code.http >= 400 && code.http < 500)).toBe(true);
      expect([status.OK, status.INTERNAL, status.UNKNOWN]).not.toContain(code.grpc);
    }
  });
});
