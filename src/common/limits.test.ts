import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.js";
import { checkDepth, decodeBounded } from "./limits.js";

/** `[[[…]]]` nested `depth` levels, built without recursion. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe("checkDepth", () => {
  it("accepts input up to the limit", () => {
    expect(() => checkDepth(nested(10), "body", 10)).not.toThrow();
    expect(() => checkDepth({ a: { b: [1, { c: "x" }] } }, "body", 4)).not.toThrow();
  });

  it("refuses deeper input with the place it came from", () => {
    expect(() => checkDepth(nested(11), "request body", 10)).toThrow(ValidationError);
    expect(() => checkDepth({ a: { b: { c: {} } } }, "request body", 3)).toThrow(
      /^request body: nested deeper than 3 levels/,
    );
  });

  it("does not overflow the stack on a million levels", () => {
    expect(() => checkDepth(nested(1_000_000), "body")).toThrow(/nested deeper than 128/);
  });
});

describe("decodeBounded", () => {
  it("turns a stack overflow into a ValidationError", () => {
    const overflow = (): never => {
      throw new RangeError("Maximum call stack size exceeded");
    };
    expect(() => decodeBounded(overflow, "message")).toThrow(/^message: input nested too deeply/);
  });

  it("passes other errors and results through", () => {
    expect(decodeBounded(() => 7, "m")).toBe(7);
    expect(() =>
      decodeBounded(() => {
        throw new TypeError("x");
      }, "m"),
    ).toThrow(TypeError);
  });
});
