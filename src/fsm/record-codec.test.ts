import { createHash } from "node:crypto";
import { pack } from "msgpackr";
import { describe, expect, it } from "vitest";
import { mockAlloc, mockEval, mockJob, mockNode } from "./mock.js";
import { RecordCodec, STATIC_STRUCTURES } from "./record-codec.js";

describe("RecordCodec", () => {
  it("keeps the shared-structure table of the on-disk format (append only)", () => {
    // Records stored in LevelDB name their structure by position: a reordered or edited key list
    // decodes existing records into the wrong fields. Appending a structure changes this digest
    // too; then pin the new one, after checking the first 21 lists are untouched.
    expect(STATIC_STRUCTURES).toHaveLength(23);
    const digest = createHash("sha256").update(JSON.stringify(STATIC_STRUCTURES)).digest("hex");
    const first = createHash("sha256")
      .update(JSON.stringify(STATIC_STRUCTURES.slice(0, 21)))
      .digest("hex");
    expect(first).toBe("fdf522398b95324a7f991aac5352f25065a9e61ce9bf6d0ce37a5ec81eb345d7");
    expect(digest).toBe("57ddd2f76f80d1d6698a1408c732d911fc4de0eff8d403c4748574786d54ce6e");
  });

  it("encodes the stored shapes through the shared structures, and decodes them unchanged", () => {
    const codec = new RecordCodec();
    for (const record of [mockAlloc(), mockEval(), mockJob(), mockNode()]) {
      const bytes = codec.pack(record);
      expect(codec.unpack(bytes)).toEqual(record);
      // Field names are not repeated in the record: well under plain msgpack's size.
      expect(bytes.byteLength).toBeLessThan(0.8 * pack(record).byteLength);
    }
  });
});
