import { Metadata, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { errorCode } from "../common/error-codes.js";
import {
  ConflictError,
  NotFoundError,
  NotLeaderError,
  PreconditionError,
  StaleEvalTokenError,
  StalePlanError,
  TaskConfigError,
  TaskStartError,
  TimeoutError,
  ValidationError,
} from "../common/errors.js";
import { fromGrpcError, RpcError, toGrpcError } from "./rpc-status.js";

/** Encodes as the server does and decodes as the caller does. */
function roundTrip(error: unknown): Error {
  const encoded = toGrpcError(error);
  return fromGrpcError({
    code: encoded.code ?? status.UNKNOWN,
    details: encoded.details ?? "",
    metadata: encoded.metadata ?? new Metadata(),
  });
}

describe("rpc status", () => {
  it.each([
    [new NotLeaderError("s1", "10.0.0.1:4647"), NotLeaderError],
    [new TimeoutError("deadline"), TimeoutError],
    [new ValidationError("bad", "Job"), ValidationError],
    [new TaskConfigError("must be a string", "command"), ValidationError],
    [new NotFoundError("no such job"), NotFoundError],
    [new ConflictError("job j: enforce index 0 does not match the current JobModifyIndex 7"), ConflictError],
    [new PreconditionError("wrong SecretID"), PreconditionError],
    [new StaleEvalTokenError("e1", "token does not match"), StaleEvalTokenError],
    [new StalePlanError("e1"), StaleEvalTokenError],
  ])("sends %s with the table's code and brings it back typed", (error, expected) => {
    const encoded = toGrpcError(error);
    expect(encoded.code).toBe(errorCode(error).grpc);
    expect(encoded.metadata?.get("drover-error")).toEqual([errorCode(error).kind]);
    const back = roundTrip(error);
    expect(back).toBeInstanceOf(expected);
    // (A stale token's message gains a second "eval <id>: " prefix on the way: as before the table.)
    expect(back.message).toContain(error.message);
  });

  it("carries the leader hint and the eval id", () => {
    const notLeader = roundTrip(new NotLeaderError("s1", "10.0.0.1:4647")) as NotLeaderError;
    expect([notLeader.leaderId, notLeader.leaderAddress]).toEqual(["s1", "10.0.0.1:4647"]);
    const stale = roundTrip(new StaleEvalTokenError("e9", "not outstanding")) as StaleEvalTokenError;
    expect(stale.evalId).toBe("e9");
  });

  it("sends a fault as INTERNAL and brings it back as an RpcError", () => {
    for (const fault of [new Error("disk on fire"), new TaskStartError("no such file", false), "boom"]) {
      const encoded = toGrpcError(fault);
      expect(encoded.code).toBe(status.INTERNAL);
      const back = roundTrip(fault);
      expect(back).toBeInstanceOf(RpcError);
      expect((back as RpcError).code).toBe(status.INTERNAL);
    }
  });
});
