import { describe, expect, it } from "vitest";
import { decodeCommand, encodeCommand } from "./command-codec.js";
import { CorruptSnapshotError, InvalidCommandError } from "./errors.js";
import { mockEval, mockId, mockJob, mockNode } from "./mock.js";
import { decodeSnapshotFile, encodeSnapshotFileHeader } from "./snapshot-file.js";
import { tablesFromSnapshot, writeSnapshotStream } from "./snapshot-stream.js";
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

  it("applied from Raft, moves the state index past a snapshot from further ahead, never back", async () => {
    // The source's records carry indexes up to 1,000; the target's Raft log is at 4.
    const from = source();
    from.apply(1000, { type: "job-register", Job: mockJob({ ID: "late" }), Eval: null });
    const bytes = await snapshotBytes(from);
    const into = new StateStore();
    into.applyRaftEntry(1, encodeCommand({ type: "job-register", Job: mockJob({ ID: "old" }), Eval: null }));
    into.advanceRaft(2);
    expect(into.index).toBe(2);

    const result = into.applyRaftEntry(3, encodeCommand({ type: "snapshot-restore", Snapshot: bytes }));
    expect(result).toMatchObject({ Index: 1001 });
    expect(into.index).toBe(1001);
    expect(into.raftIndex).toBe(3);
    expect(into.tables().raftOffset).toBe(998);
    // The restored records keep the indexes they had.
    expect(into.snapshot().jobByID("default", "late")?.ModifyIndex).toBe(1000);
    expect(into.snapshot().jobByID("default", "web")?.ModifyIndex).toBe(2);

    // Later entries keep the offset: Raft index 4 is state index 1002, and so on.
    into.applyRaftEntry(
      4,
      encodeCommand({ type: "job-register", Job: mockJob({ ID: "after" }), Eval: null }),
    );
    expect(into.snapshot().jobByID("default", "after")?.CreateIndex).toBe(1002);
    into.advanceRaft(5);
    expect([into.index, into.raftIndex]).toEqual([1003, 5]);

    // A snapshot from behind changes no offset: the restore applies at its own entry's index.
    const older = await snapshotBytes(source());
    into.applyRaftEntry(6, encodeCommand({ type: "snapshot-restore", Snapshot: older }));
    expect([into.index, into.raftIndex]).toEqual([1004, 6]);
    expect(into.snapshot().jobByID("default", "after")).toBeUndefined();

    // The offset travels with the state: a Raft snapshot of it restores to the same indexes.
    const copy = await tablesFromSnapshot(
      (async function* () {
        yield await snapshotBytes(into);
      })(),
    );
    expect([copy.index, copy.raftOffset]).toEqual([1004, 998]);
    checkTablesInvariants(into.tables());
  });

  it("refuses a damaged snapshot from Raft at the entry's index, offset untouched", () => {
    const into = new StateStore();
    into.advanceRaft(1);
    const outcome = into.applyRaftEntry(
      2,
      encodeCommand({ type: "snapshot-restore", Snapshot: new Uint8Array([0, 0, 0, 9, 1]) }),
    );
    expect(outcome).toBeInstanceOf(InvalidCommandError);
    expect([into.index, into.raftIndex, into.tables().raftOffset]).toEqual([2, 2, 0]);
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
