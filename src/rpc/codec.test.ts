import { describe, expect, it } from "vitest";
import { ValidationError } from "../common/errors.js";
import { mockAlloc, mockJob } from "../fsm/mock.js";
import { packPackedArray, packValue, unpackOptional, unpackValue } from "./codec.js";

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

  it("reads an array of separately packed elements as the array packed at once", () => {
    // Elements of different shapes reuse record slots with different definitions.
    const job = mockJob({ ID: "web" });
    const other = { ...mockJob({ ID: "api" }), Meta: { team: "x" }, Extra: [1, { a: 2 }] };
    const alloc = mockAlloc();
    for (const n of [0, 1, 3, 15, 16, 70_000]) {
      const values = Array.from({ length: n }, (_, i) => [job, other, alloc, { i }][i % 4]);
      const packed = packPackedArray(values.map((v) => packValue(v)));
      expect(unpackValue(packed)).toEqual(unpackValue(packValue(values)));
    }
  });
});
