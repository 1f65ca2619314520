import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../common/errors.js";
import { type Message, message } from "./core/types.js";
import { decodeBatch, decodeMessage, encodeBatch, encodeMessage } from "./message-codec.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

const samples: Message[] = [
  message({
    type: "app",
    from: "a",
    to: "b",
    term: 2 ** 40,
    logTerm: 7,
    index: 2 ** 52,
    commit: 99,
    entries: [
      { index: 2 ** 52 + 1, term: 2 ** 40, type: "normal", data: bytes("x".repeat(300)) },
      { index: 2 ** 52 + 2, term: 2 ** 40, type: "confChange", data: bytes("cc") },
      { index: 2 ** 52 + 3, term: 2 ** 40, type: "normal", data: new Uint8Array(0) },
    ],
  }),
  message({
    type: "appResp",
    from: "b",
    to: "a",
    term: 3,
    index: 12,
    reject: true,
    rejectHint: 9,
    rejectTerm: 2,
  }),
  message({ type: "heartbeat", from: "a", to: "b", term: 3, commit: 11, context: bytes("ctx") }),
  message({ type: "readIndexResp", from: "a", to: "b", term: 3, index: 5, context: bytes("read-1") }),
  message({
    type: "snap",
    from: "a",
    to: "b",
    term: 4,
    snapshot: {
      metadata: {
        index: 100,
        term: 4,
        confState: { voters: ["a", "b"], learners: ["c"], votersOutgoing: [] },
      },
      data: new Uint8Array(0),
    },
  }),
];

describe("message codec", () => {
  it("round-trips a batch of messages in order with every field intact", () => {
    const decoded = decodeBatch(encodeBatch(samples));
    expect(decoded).toEqual(samples);
    // The same result as the per-message protobuf form.
    const viaProto = samples.map((m) => {
      const wire = encodeMessage(m);
      return decodeMessage({
        ...wire,
        entries: Buffer.from(wire.entries as Uint8Array),
        snapshotMetadata: Buffer.from(wire.snapshotMetadata as Uint8Array),
        context: Buffer.from(wire.context as Uint8Array),
      } as Parameters<typeof decodeMessage>[0]);
    });
    expect(viaProto).toEqual(decoded);
  });

  it("gives each entry its own bytes, not a view into the received buffer", () => {
    const wire = encodeBatch(samples);
    const decoded = decodeBatch(wire);
    wire.fill(0);
    expect(decoded).toEqual(samples);
  });

  it("rejects what is not a batch of known messages", () => {
    const packr = new Packr({ useRecords: false });
    expect(() => decodeBatch(packr.pack({ not: "an array" }))).toThrow();
    expect(() => decodeBatch(packr.pack([["app", "a"]]))).toThrow();
    const tuple = (packr.unpack(encodeBatch([samples[1] as Message])) as unknown[][])[0] as unknown[];
    tuple[0] = "bogus";
    expect(() => decodeBatch(packr.pack([tuple]))).toThrow(/unknown raft message type/);
  });

  // Found by test/cluster/grpc-fuzz.test.ts: a peer's `hup`, or an empty `prop`, reached one of
  // the core's assertions and stopped Raft on that server; a term of the wrong type reached the
  // core unchecked.
  it("refuses local-only types and fields of the wrong type with a ValidationError", () => {
    const packr = new Packr({ useRecords: false });
    const base = (packr.unpack(encodeBatch([samples[1] as Message])) as unknown[][])[0] as unknown[];
    const withField = (at: number, value: unknown): Uint8Array => {
      const t = [...base];
      t[at] = value;
      return packr.pack([t]);
    };
    for (const local of ["hup", "beat", "snapStatus", "unreachable", "checkQuorum", "prop"]) {
      expect(() => decodeBatch(withField(0, local))).toThrow(
        new RegExp(`${local} is not accepted from a peer`),
      );
    }
    expect(() => decodeBatch(withField(3, "7"))).toThrow(ValidationError);
    expect(() => decodeBatch(withField(3, -1))).toThrow(/term is not a non-negative integer/);
    expect(() => decodeBatch(withField(5, 1.5))).toThrow(/index/);
    expect(() => decodeBatch(withField(1, 42))).toThrow(/from is not a string/);
    expect(() => decodeBatch(withField(6, [[1, 1, false, "not bytes"]]))).toThrow(
      /entry 0 data is not bytes/,
    );
    expect(() => decodeBatch(withField(6, [[1, "x", false, new Uint8Array()]]))).toThrow(/entry 0 term/);
    expect(() => decodeBatch(withField(12, { index: 1, term: 1 }))).toThrow(/confState/);
    expect(() => decodeBatch(Uint8Array.from([0xdc, 0xff]))).toThrow(ValidationError);
  });
});
