import { createHash } from "node:crypto";
import { pack } from "msgpackr";
import { describe, expect, it } from "vitest";
import { clientOverlay } from "./alloc-client-overlay.js";
import { mockAlloc, mockEval, mockJob, mockNode } from "./mock.js";
import { storedNamespace } from "./namespace.js";
import { RecordCodec, STATIC_STRUCTURES } from "./record-codec.js";

describe("RecordCodec", () => {
  it("keeps the shared-structure table of the on-disk format (append only)", () => {
    // Records stored in LevelDB name their structure by position: a reordered or edited key list
    // decodes existing records into the wrong fields. Appending a structure changes this digest
    // too; then pin the new one, after checking the lists before it are untouched.
    const digestOf = (lists: readonly (readonly string[])[]): string =>
      createHash("sha256").update(JSON.stringify(lists)).digest("hex");
    // The first release's 21 structures, then Namespace, then Allocation with AllocStates and
    // AllocState, then Node with Events, then the allocation overlay appended after them.
    expect(digestOf(STATIC_STRUCTURES.slice(0, 21))).toBe(
      "fdf522398b95324a7f991aac5352f25065a9e61ce9bf6d0ce37a5ec81eb345d7",
    );
    expect(digestOf(STATIC_STRUCTURES.slice(0, 22))).toBe(
      "e3014f428517e4e706c221dbfbabb5c069334c8bdeaf3f0a9196d3c9215512c5",
    );
    expect(digestOf(STATIC_STRUCTURES.slice(0, 24))).toBe(
      "bd3a86b3776ec13c692e03924e2f757a43247ce781080660f2aa73c3e63d782d",
    );
    expect(digestOf(STATIC_STRUCTURES.slice(0, 25))).toBe(
      "f3ddd3ffc4611fbe1f94b96071fcdcc144afa686ee87453873bb496da130a230",
    );
    expect(STATIC_STRUCTURES).toHaveLength(26);
    expect(digestOf(STATIC_STRUCTURES)).toBe(
      "bb2ec549812dc72b095d47d55e3fbfef02b899d7abb632d5951fffd9b9245a08",
    );
  });

  it("encodes the stored shapes through the shared structures, and decodes them unchanged", () => {
    const codec = new RecordCodec();
    const namespace = storedNamespace({ Name: "prod", Description: "d", Meta: { team: "a" } }, 3, 4);
    const alloc = mockAlloc();
    const overlay = clientOverlay(alloc, { ...alloc, ClientStatus: "running", ModifyIndex: 9 });
    expect(overlay).toBeDefined();
    for (const record of [alloc, mockEval(), mockJob(), mockNode(), namespace, overlay]) {
      const bytes = codec.pack(record);
      expect(codec.unpack(bytes)).toEqual(record);
      // Field names are not repeated in the record: well under plain msgpack's size.
      expect(bytes.byteLength).toBeLessThan(0.8 * pack(record).byteLength);
    }
  });
});
