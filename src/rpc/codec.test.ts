import { describe, expect, it } from "vitest";
import { ValidationError } from "../common/errors.js";
import { packValue, unpackOptional, unpackValue } from "./codec.js";

describe("codec", () => {
  it("round-trips a struct through a bytes field", () => {
    const value = { ID: "web", Count: 3, Tags: ["a"] };
    expect(unpackValue(packValue(value))).toEqual(value);
    expect(unpackOptional(new Uint8Array())).toBeUndefined();
  });

  // Found by test/cluster/grpc-fuzz.test.ts: an empty or garbled required field reached the
  // caller as INTERNAL "Unexpected end of MessagePack data".
  it("refuses bytes that are not MessagePack with a ValidationError", () => {
    expect(() => unpackValue(new Uint8Array())).toThrow(ValidationError);
    expect(() => unpackValue(Uint8Array.from([0xdc, 0xff]))).toThrow(
      /does not decode as MessagePack \(2 bytes\)/,
    );
  });
});
