import { describe, expect, it } from "vitest";
import { frameSnapshot, unframeSnapshot } from "./snapshot-frame.js";

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts;
}

async function concat(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

describe("snapshot frame", () => {
  it("carries the addresses ahead of the state machine's bytes, whatever the chunking", async () => {
    const header = { addresses: { s1: "127.0.0.1:1", s2: "127.0.0.1:2" } };
    const framed = await concat(frameSnapshot(header, chunks(Buffer.from("abc"), Buffer.from("def"))));
    // Re-chunk into 3-byte pieces so the header straddles chunk boundaries.
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < framed.length; i += 3) pieces.push(framed.subarray(i, i + 3));
    const { header: read, body } = await unframeSnapshot(chunks(...pieces));
    expect(read).toEqual(header);
    expect((await concat(body)).toString()).toBe("abcdef");
  });

  it("yields an empty body for an empty state machine", async () => {
    const { body } = await unframeSnapshot(frameSnapshot({ addresses: {} }, chunks()));
    expect((await concat(body)).length).toBe(0);
  });
});
