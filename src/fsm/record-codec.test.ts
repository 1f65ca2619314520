import { createHash } from "node:crypto";
import { pack } from "msgpackr";
import { describe, expect, it } from "vitest";
import { mockAlloc, mockEval, mockJob, mockNode } from "./mock.js";
import { RecordCodec, STATIC_STRUCTURES } from "./record-codec.js";

describe("RecordCodec", () => {
  it("keeps the shared-structure table of the on-disk format (append only)", () => {
    // Records stored in LevelDB name their structure by position: a reordered or edited key list
    // decodes existing records into the wrong fields. Appending a structure changes this digest
    // too; then pin the new one, after checking the earlier lists are untouched.
    expect(STATIC_STRUCTURES).toHaveLength(22);
    const digest = createHash("sha256").update(JSON.stringify(STATIC_STRUCTURES)).digest("hex");
    expect(digest).toBe("ecfddd877f2cd63a2fe9dd5de1903fae446d1bb61e96158661ef4f21becf4e2a");
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
