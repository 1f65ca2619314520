import { describe, expect, it } from "vitest";
import { decodeCommand, encodeCommand } from "./command-codec.js";
import { CorruptSnapshotError, InvalidCommandError } from "./errors.js";
import { mockEval, mockId, mockJob, mockNode } from "./mock.js";
import { decodeSnapshotFile, encodeSnapshotFileHeader } from "./snapshot-file.js";
import { writeSnapshotStream } from "./snapshot-stream.js";
import { StateStore } from "./state-store.js";
import { checkTablesInvariants } from "./tables-invariants.js";

async function snapshotBytes(store: StateStore): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of writeSnapshotStream(store.tables())) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function source(): StateStore {
  const store = new StateStore();
  store.apply(1, { type: "node-register", Nodes: [mockNode({ ID: mockId(1, 1) })], Evals: [] });
  store.apply(2, {
    type: "job-register",
    Job: mockJob({ ID: "web" }),
    Eval: mockEval({ ID: mockId(1, 9), JobID: "web" }),
  });
  store.apply(3, {
    type: "var-put",
    Var: { Namespace: "default", Path: "app/db", Items: { password: "s3cret" } },
    CAS: null,
    Now: 1,
  });
  return store;
}

describe("snapshot-restore command", () => {
  it("replaces every table with the snapshot's records, at the entry's index", async () => {
    const from = source();
    const bytes = await snapshotBytes(from);
    const into = new StateStore();
    into.apply(1, { type: "job-register", Job: mockJob({ ID: "old" }), Eval: null });
    into.apply(2, {
      type: "var-put",
      Var: { Namespace: "default", Path: "old", Items: { a: "b" } },
      CAS: null,
      Now: 1,
    });
    const command = decodeCommand(encodeCommand({ type: "snapshot-restore", Snapshot: bytes }));
    const result = into.apply(7, command);
    expect(result).toMatchObject({ Index: 7 });
    const snap = into.snapshot();
    expect([...snap.jobs()].map((j) => j.ID)).toEqual(["web"]);
    expect(snap.jobByID("default", "web")).toEqual(from.snapshot().jobByID("default", "web"));
    expect(snap.variable("default", "app/db")?.Items).toEqual({ password: "s3cret" });
    expect(snap.variable("default", "old")).toBeUndefined();
    expect([...snap.nodes()].map((n) => n.ID)).toEqual([mockId(1, 1)]);
    expect(snap.evalsByJob("default", "web")).toHaveLength(1);
    expect(snap.tableIndex("jobs")).toBe(7);
    expect(into.index).toBe(7);
    checkTablesInvariants(into.tables());
  });

  it("rejects a damaged snapshot and leaves the state as it was", async () => {
    const bytes = await snapshotBytes(source());
    const into = source();
    const before = into.tables();
    const cut = bytes.subarray(0, bytes.length - 3);
    expect(() => into.apply(9, { type: "snapshot-restore", Snapshot: cut })).toThrow(InvalidCommandError);
    expect(into.tables()).toBe(before);
    expect(() => decodeCommand(encodeCommand({ type: "snapshot-restore", Snapshot: "x" } as never))).toThrow(
      /Snapshot should be bytes/,
    );
  });

  it("frames the operator's snapshot file with a checked header", () => {
    const header = encodeSnapshotFileHeader({ Index: 42, Term: 3, Server: "s1" });
    const file = Buffer.concat([header, Buffer.from([1, 2, 3])]);
    const decoded = decodeSnapshotFile(file);
    expect(decoded.header).toEqual({ Format: "drover-fsm", Version: 1, Index: 42, Term: 3, Server: "s1" });
    expect([...decoded.fsm]).toEqual([1, 2, 3]);
    expect(() => decodeSnapshotFile(Buffer.from("garbage, not a snapshot"))).toThrow(CorruptSnapshotError);
    const future = Buffer.from(file);
    future.write('"Version":9', future.indexOf('"Version":1'));
    expect(() => decodeSnapshotFile(future)).toThrow(/version 9 unsupported/);
  });
});
