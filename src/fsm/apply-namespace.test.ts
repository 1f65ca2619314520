import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { namespaceDeleteProblem, readerContents } from "./apply-namespace.js";
import { decodeCommand, encodeCommand } from "./command-codec.js";
import { InvalidCommandError } from "./errors.js";
import { mockEval, mockId, mockJob } from "./mock.js";
import { readSnapshotBytes, tablesFromSnapshot, writeSnapshotStream } from "./snapshot-stream.js";
import { StateStore } from "./state-store.js";
import { TABLES } from "./tables.js";
import { checkTablesInvariants } from "./tables-invariants.js";

async function snapshotBytes(store: StateStore): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of writeSnapshotStream(store.tables())) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** A store with namespaces prod (at 1) and dev (at 1). */
function withNamespaces(): StateStore {
  const store = new StateStore();
  store.apply(1, {
    type: "namespace-upsert",
    Namespaces: [
      { Name: "prod", Description: "production", Meta: { team: "ops" } },
      { Name: "dev", Description: "", Meta: {} },
    ],
  });
  return store;
}

describe("namespaces in the state store", () => {
  it("lists and reads the implicit default namespace before anything is written", () => {
    const snap = new StateStore().snapshot();
    expect(snap.namespaces().map((n) => n.Name)).toEqual(["default"]);
    expect(snap.namespaceByName("default")).toMatchObject({ Name: "default", CreateIndex: 0 });
    expect(snap.namespaceByName("prod")).toBeUndefined();
  });

  it("upserts a batch at its index, bumping only the namespaces table", () => {
    const store = new StateStore();
    store.apply(1, { type: "job-register", Job: mockJob({ ID: "web" }), Eval: null });
    const result = store.apply(2, {
      type: "namespace-upsert",
      Namespaces: [
        { Name: "prod", Description: "production", Meta: { team: "ops" }, Quota: "q1" },
        { Name: "dev", Description: "", Meta: {} },
      ],
    });
    expect(result).toEqual({ Index: 2 });
    const snap = store.snapshot();
    expect(snap.namespaces().map((n) => n.Name)).toEqual(["default", "dev", "prod"]);
    expect(snap.namespaceByName("prod")).toEqual({
      Name: "prod",
      Description: "production",
      Meta: { team: "ops" },
      CreateIndex: 2,
      ModifyIndex: 2,
      Quota: "q1",
    });
    expect(snap.tableIndex("namespaces")).toBe(2);
    for (const table of TABLES.filter((t) => t !== "namespaces")) {
      expect(snap.tableIndex(table), table).toBe(table === "jobs" || table.startsWith("job_") ? 1 : 0);
    }
  });

  it("keeps CreateIndex on update and does not rewrite an unchanged namespace", () => {
    const store = withNamespaces();
    store.apply(2, {
      type: "namespace-upsert",
      Namespaces: [{ Name: "prod", Description: "production", Meta: { team: "ops" } }],
    });
    expect(store.snapshot().namespaceByName("prod")?.ModifyIndex).toBe(1);
    expect(store.snapshot().tableIndex("namespaces")).toBe(1);
    store.apply(3, {
      type: "namespace-upsert",
      Namespaces: [{ Name: "prod", Description: "changed", Meta: {} }],
    });
    expect(store.snapshot().namespaceByName("prod")).toMatchObject({
      Description: "changed",
      Meta: {},
      CreateIndex: 1,
      ModifyIndex: 3,
    });
    // default may be described like any other namespace, and stays listed once.
    store.apply(4, {
      type: "namespace-upsert",
      Namespaces: [{ Name: "default", Description: "shared", Meta: {} }],
    });
    const names = store
      .snapshot()
      .namespaces()
      .map((n) => `${n.Name}:${n.Description}`);
    expect(names).toEqual(["default:shared", "dev:", "prod:changed"]);
  });

  it("rejects an invalid batch as a whole and leaves the state untouched", () => {
    const store = withNamespaces();
    const before = store.tables();
    const bad = [
      { Name: "ok-1", Description: "", Meta: {} },
      { Name: "bad name!", Description: "", Meta: {} },
    ];
    expect(() => store.apply(2, { type: "namespace-upsert", Namespaces: bad })).toThrow(
      /invalid namespace name/,
    );
    expect(() =>
      store.apply(2, {
        type: "namespace-upsert",
        Namespaces: [{ Name: "x".repeat(129), Description: "", Meta: {} }],
      }),
    ).toThrow(InvalidCommandError);
    expect(() =>
      store.apply(2, {
        type: "namespace-upsert",
        Namespaces: [{ Name: "m", Description: "", Meta: { n: 1 as unknown as string } }],
      }),
    ).toThrow(/Meta\.n/);
    expect(store.tables()).toBe(before);
    expect(store.snapshot().namespaceByName("ok-1")).toBeUndefined();
  });

  it("deletes a namespace; never default, never an unknown one", () => {
    const store = withNamespaces();
    expect(store.apply(2, { type: "namespace-delete", Names: ["dev"] })).toEqual({ Index: 2 });
    expect(
      store
        .snapshot()
        .namespaces()
        .map((n) => n.Name),
    ).toEqual(["default", "prod"]);
    const before = store.tables();
    expect(() => store.apply(3, { type: "namespace-delete", Names: ["default"] })).toThrow(
      'namespace "default" can not be deleted',
    );
    expect(() => store.apply(3, { type: "namespace-delete", Names: ["prod", "nope"] })).toThrow(
      'namespace "nope" does not exist',
    );
    expect(store.tables()).toBe(before);
    expect(store.snapshot().namespaceByName("prod")).toBeDefined();
  });

  it("refuses to delete a namespace with a job that is not dead, until the job is stopped or purged", () => {
    const store = withNamespaces();
    store.apply(2, {
      type: "job-register",
      Job: mockJob({ ID: "api", Namespace: "prod" }),
      Eval: mockEval({ ID: mockId(2, 1), JobID: "api", Namespace: "prod" }),
    });
    const before = store.tables();
    expect(() => store.apply(3, { type: "namespace-delete", Names: ["prod"] })).toThrow(
      /namespace "prod" contains at least one non-terminal job "api"/,
    );
    expect(store.tables()).toBe(before);
    // The leader asks the same rule of its state before proposing.
    const reader = readerContents(store.snapshot());
    expect(namespaceDeleteProblem(reader, "prod")).toMatch(/non-terminal job "api"/);
    expect(namespaceDeleteProblem(reader, "default")).toBe('namespace "default" can not be deleted');
    expect(namespaceDeleteProblem(reader, "dev")).toBeUndefined();
    // Purged: nothing of the job is left, the namespace can go.
    store.apply(3, {
      type: "job-deregister",
      Namespace: "prod",
      JobID: "api",
      Purge: true,
      SubmitTime: 1,
      Eval: null,
    });
    store.apply(4, { type: "namespace-delete", Names: ["prod"] });
    expect(store.snapshot().namespaceByName("prod")).toBeUndefined();
  });

  it("refuses to delete a namespace that holds a variable", () => {
    const store = withNamespaces();
    store.apply(2, {
      type: "var-put",
      Var: { Namespace: "dev", Path: "a/b", Items: { k: "v" } },
      CAS: null,
      Now: 1,
    });
    const before = store.tables();
    expect(() => store.apply(3, { type: "namespace-delete", Names: ["dev"] })).toThrow(
      /namespace "dev" contains at least one variable "a\/b"/,
    );
    expect(store.tables()).toBe(before);
    expect(namespaceDeleteProblem(readerContents(store.snapshot()), "dev")).toMatch(/variable "a\/b"/);
    store.apply(3, { type: "var-delete", Namespace: "dev", Path: "a/b", CAS: null });
    store.apply(4, { type: "namespace-delete", Names: ["dev"] });
    expect(store.snapshot().namespaceByName("dev")).toBeUndefined();
  });

  it("refuses jobs and variables written into a namespace that does not exist", () => {
    const store = withNamespaces();
    const before = store.tables();
    expect(() =>
      store.apply(2, {
        type: "job-register",
        Job: mockJob({ ID: "api", Namespace: "staging" }),
        Eval: mockEval({ ID: mockId(2, 1), JobID: "api", Namespace: "staging" }),
      }),
    ).toThrow('namespace "staging" does not exist');
    expect(() =>
      store.apply(2, {
        type: "var-put",
        Var: { Namespace: "staging", Path: "a", Items: { k: "v" } },
        CAS: null,
        Now: 1,
      }),
    ).toThrow('namespace "staging" does not exist');
    expect(store.tables()).toBe(before);
    expect(store.snapshot().evals()[Symbol.iterator]().next().done).toBe(true);
  });

  it("round-trips namespaces through the command codec and the snapshot stream", async () => {
    const command = { type: "namespace-delete" as const, Names: ["a", "b"] };
    expect(decodeCommand(encodeCommand(command))).toEqual(command);
    expect(() => decodeCommand(encodeCommand({ type: "namespace-upsert", Namespaces: {} } as never))).toThrow(
      /Namespaces should be array/,
    );

    const store = withNamespaces();
    const bytes = await snapshotBytes(store);
    const restored = await tablesFromSnapshot(once(bytes));
    checkTablesInvariants(restored);
    const copy = new StateStore(restored);
    expect(copy.snapshot().namespaces()).toEqual(store.snapshot().namespaces());
    expect(copy.snapshot().tableIndex("namespaces")).toBe(1);

    // The snapshot-restore command brings them too, replacing the namespaces it had.
    const into = new StateStore();
    into.apply(1, { type: "namespace-upsert", Namespaces: [{ Name: "old", Description: "", Meta: {} }] });
    into.apply(2, { type: "snapshot-restore", Snapshot: bytes });
    expect(
      into
        .snapshot()
        .namespaces()
        .map((n) => n.Name),
    ).toEqual(["default", "dev", "prod"]);
  });

  it("reads a snapshot written before the namespaces table existed", () => {
    // Re-encode a stream's header without the namespaces table index, as older servers wrote it.
    const packr = new Packr({ useRecords: true, mapsAsObjects: true, moreTypes: false });
    const tableIndexes = Object.fromEntries(TABLES.filter((t) => t !== "namespaces").map((t) => [t, 3]));
    const frames = [
      { format: "drover-fsm", version: 1, index: 3, tableIndexes },
      { end: true, records: 0 },
    ].map((message) => {
      const payload = packr.pack(message);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(payload.length);
      return Buffer.concat([head, payload]);
    });
    let seen: Record<string, number> | undefined;
    readSnapshotBytes(
      Buffer.concat(frames),
      (header) => {
        seen = header.tableIndexes;
      },
      () => {},
    );
    expect(seen?.["namespaces"]).toBe(0);
    expect(seen?.["jobs"]).toBe(3);
  });
});
