import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { SeededRandom } from "../common/rand.js";
import type { Entry } from "../raft/core/types.js";
import { encodeCommand } from "./command-codec.js";
import type { AllocClientUpdate, Command } from "./commands.js";
import { DroverFsm } from "./drover-fsm.js";
import { PLAN_FILE_BYTES } from "./leveldb-state.js";
import { mockAlloc, mockId, mockJob, mockNode, mockPlanApply } from "./mock.js";
import { randomCommands } from "./random-commands.js";
import type { Allocation, AllocClientStatus, TaskState } from "./structs.js";
import type { Tables } from "./tables.js";
import { checkTablesInvariants } from "./tables-invariants.js";
import { once, removeTempDirs, snapshotBytes, storedLevelKeys, tempDir } from "./test-store.js";

afterEach(removeTempDirs);

/** Where plan entries' bytes go in the suites below: each runs with both (describe.each). */
const PLACES = [
  { place: "plan entries in LevelDB", planFileBytes: Number.POSITIVE_INFINITY },
  { place: "plan entries in files", planFileBytes: 0 },
];
let planFileBytes = PLAN_FILE_BYTES;

function openStore(dir: string): Promise<DroverFsm> {
  return DroverFsm.open(dir, { sync: false, planFileBytes });
}

/** The stored keys of a closed store, by kind ("o": overlays, "r:allocs": alloc records, …). */
async function storedKeys(dir: string): Promise<{
  overlays: string[];
  allocRecords: string[];
  /** Indexes of the stored plan entries. */
  plans: string[];
  planFiles: string[];
  tombstones: string[];
  all: string[];
}> {
  const all = await storedLevelKeys(dir);
  const after = (kind: string): string[] =>
    all
      .filter((key) => key.includes(`:${kind}:`))
      .map((key) => key.slice(key.indexOf(`:${kind}:`) + kind.length + 2));
  return {
    overlays: after("o"),
    allocRecords: after("r:allocs"),
    plans: [...new Set(after("e").map((rest) => rest.slice(0, rest.indexOf(":"))))],
    planFiles: existsSync(join(dir, "plans")) ? readdirSync(join(dir, "plans")) : [],
    tombstones: after("t"),
    all,
  };
}

/** Closes `fsm`, reopens its store and checks it holds exactly what `fsm` held in memory. */
async function reopenedEquals(fsm: DroverFsm, dir: string): Promise<void> {
  const before = await snapshotBytes(fsm.store.tables());
  const index = fsm.store.index;
  await fsm.close();
  const reopened = await openStore(dir);
  expect(reopened.store.index).toBe(index);
  checkTablesInvariants(reopened.store.tables());
  expect((await snapshotBytes(reopened.store.tables())).equals(before)).toBe(true);
  await reopened.close();
}

const NODES = [mockId(1, 1), mockId(2, 1)];
const JOB = mockJob();
const [A, B, C] = [1, 2, 3].map((n) => mockId(n, 0xa)) as [string, string, string];

function alloc(id: string, node: string): Allocation {
  return mockAlloc({ ID: id, NodeID: node, JobID: JOB.ID, Name: `${JOB.ID}.web[${id.slice(-1)}]` });
}

function taskState(state: TaskState["State"], at: number): TaskState {
  return {
    State: state,
    Failed: false,
    Restarts: 0,
    LastRestart: 0,
    StartedAt: at,
    FinishedAt: 0,
    Events: [
      { Type: "Started", Time: at, Message: "", DisplayMessage: "Task started", ExitCode: 0, Signal: 0 },
    ],
  };
}

function update(id: string, status: AllocClientStatus, at: number): AllocClientUpdate {
  return {
    ID: id,
    ClientStatus: status,
    ClientDescription: `${status} at ${at}`,
    TaskStates: { web: taskState(status === "running" ? "running" : "dead", at) },
    DeploymentStatus: null,
    ModifyTime: at,
  };
}

const clientUpdate = (...updates: AllocClientUpdate[]): Command => ({
  type: "alloc-client-update",
  Allocs: updates,
  Evals: [],
});

const migrate = (id: string): Command => ({
  type: "alloc-desired-transition",
  Transitions: { [id]: { Migrate: true, Reschedule: false, ForceReschedule: false } },
  Evals: [],
});

const gc = (...ids: string[]): Command => ({
  type: "gc-delete",
  EvalIDs: [],
  AllocIDs: ids,
  Jobs: [],
  NodeIDs: [],
  DeploymentIDs: [],
});

/** Raft entries for `commands`, from index `from` on. */
function log(from: number, ...commands: Command[]): Entry[] {
  return commands.map((command, i) => ({
    term: 1,
    index: from + i,
    type: "normal",
    data: encodeCommand(command),
  }));
}

/** Nodes, the job, and one plan (entry 3, stored as a plan entry) that created A and B. */
async function withPlan(dir: string): Promise<DroverFsm> {
  const fsm = await openStore(dir);
  await fsm.apply(
    log(
      1,
      { type: "node-register", Nodes: NODES.map((ID) => mockNode({ ID })), Evals: [] },
      { type: "job-register", Job: JOB, Eval: null },
      mockPlanApply([alloc(A, NODES[0] as string), alloc(B, NODES[1] as string)], { Now: 3 }),
    ),
  );
  return fsm;
}

describe.each(PLACES)("client updates stored as overlays, $place", (places) => {
  beforeAll(() => {
    planFileBytes = places.planFileBytes;
  });

  it("reload over a plan-created allocation", async () => {
    const dir = tempDir("drover-overlay-");
    const fsm = await withPlan(dir);
    await fsm.apply(log(4, clientUpdate(update(A, "running", 40))));
    expect(fsm.store.snapshot().allocByID(A)?.ClientStatus).toBe("running");
    await reopenedEquals(fsm, dir);
    const keys = await storedKeys(dir);
    // The allocation stays in its plan entry: only the overlay was written.
    expect(keys.overlays).toEqual([A]);
    expect(keys.allocRecords).toEqual([]);
  });

  it("reload over an allocation stored as its own record", async () => {
    const dir = tempDir("drover-overlay-");
    const fsm = await withPlan(dir);
    // A server-side change: the whole record; then the client's update on top of it.
    await fsm.apply(log(4, migrate(A)));
    await fsm.apply(log(5, clientUpdate(update(A, "running", 50))));
    await reopenedEquals(fsm, dir);
    const keys = await storedKeys(dir);
    expect(keys.allocRecords).toEqual([A]);
    expect(keys.overlays).toEqual([A]);
  });

  it("leave no stale overlay behind a later whole record", async () => {
    const dir = tempDir("drover-overlay-");
    const fsm = await withPlan(dir);
    await fsm.apply(log(4, clientUpdate(update(A, "running", 40))));
    await fsm.flush();
    // Written in a later LevelDB write than the overlay it must delete.
    await fsm.apply(log(5, migrate(A)));
    await reopenedEquals(fsm, dir);
    const keys = await storedKeys(dir);
    expect(keys.allocRecords).toEqual([A]);
    expect(keys.overlays).toEqual([]);
  });

  it("go with their allocation, and its plan entry goes once all its allocations are gone", async () => {
    const dir = tempDir("drover-overlay-");
    let fsm = await withPlan(dir);
    await fsm.apply(log(4, clientUpdate(update(A, "running", 40), update(B, "running", 41))));
    await fsm.apply(log(5, gc(A)));
    await reopenedEquals(fsm, dir);
    let keys = await storedKeys(dir);
    // B lives in the plan entry (with its overlay): the plan stays, A is tombstoned there.
    expect(keys.overlays).toEqual([B]);
    expect(keys.plans.length).toBe(1);
    expect(keys.planFiles.length).toBe(planFileBytes === 0 ? 1 : 0);
    expect(keys.tombstones.length).toBe(1);

    fsm = await openStore(dir);
    await fsm.apply(log(6, gc(B)));
    expect(fsm.store.snapshot().allocCount()).toBe(0);
    await reopenedEquals(fsm, dir);
    keys = await storedKeys(dir);
    expect(keys.overlays).toEqual([]);
    expect(keys.plans).toEqual([]);
    expect(keys.planFiles).toEqual([]);
    expect(keys.tombstones).toEqual([]);
  });

  it("hold the final value after several changes of one allocation in one entry and in one write", async () => {
    const dir = tempDir("drover-overlay-");
    const fsm = await withPlan(dir);
    // One LevelDB write (one applied batch) of: two updates of A in one entry, a whole record of
    // A between two client updates, a new plan's allocation C updated twice, and B deleted after
    // an update.
    await fsm.apply(
      log(
        4,
        clientUpdate(update(A, "pending", 40), update(A, "running", 41)),
        clientUpdate(update(B, "running", 42)),
        migrate(A),
        clientUpdate(update(A, "failed", 44)),
        mockPlanApply([alloc(C, NODES[0] as string)], { Now: 45 }),
        clientUpdate(update(C, "running", 46)),
        gc(B),
        clientUpdate(update(C, "complete", 48)),
      ),
    );
    const snap = fsm.store.snapshot();
    expect([snap.allocByID(A)?.ClientStatus, snap.allocByID(C)?.ClientStatus]).toEqual([
      "failed",
      "complete",
    ]);
    await reopenedEquals(fsm, dir);
    const keys = await storedKeys(dir);
    expect(keys.overlays.sort()).toEqual([A, C].sort());
    expect(keys.allocRecords).toEqual([A]);
  });

  it("start afresh in a restored generation, and overlay the restored records after it", async () => {
    const source = DroverFsm.inMemory();
    await source.apply(
      log(
        1,
        { type: "node-register", Nodes: NODES.map((ID) => mockNode({ ID })), Evals: [] },
        { type: "job-register", Job: JOB, Eval: null },
        mockPlanApply([alloc(A, NODES[0] as string), alloc(C, NODES[1] as string)], { Now: 3 }),
        clientUpdate(update(A, "running", 4)),
      ),
    );
    const snap = await source.snapshot();
    const chunks: Uint8Array[] = [];
    for await (const chunk of snap.chunks) chunks.push(chunk);

    const dir = tempDir("drover-overlay-");
    const fsm = await withPlan(dir);
    await fsm.apply(log(4, clientUpdate(update(A, "failed", 40), update(B, "running", 41))));
    await fsm.restore(snap.index, once(Buffer.concat(chunks)));
    // A and C are full records of the new generation now; B (and its overlay) is gone.
    await fsm.apply(log(5, clientUpdate(update(A, "complete", 50), update(C, "running", 51))));
    await reopenedEquals(fsm, dir);
    const keys = await storedKeys(dir);
    expect(keys.overlays.sort()).toEqual([A, C].sort());
    expect(keys.allocRecords.sort()).toEqual([A, C].sort());
    expect(keys.plans).toEqual([]);
    expect(keys.planFiles).toEqual([]);
    // Nothing of the old generation is left.
    expect(new Set(keys.all.filter((key) => key.startsWith("g")).map((key) => key.slice(0, 9)))).toEqual(
      new Set(["g00000001"]),
    );
  });

  it("are replaced by a snapshot-restore entry's records", async () => {
    const saved = DroverFsm.inMemory();
    await saved.apply(
      log(
        1,
        { type: "node-register", Nodes: NODES.map((ID) => mockNode({ ID })), Evals: [] },
        { type: "job-register", Job: JOB, Eval: null },
        mockPlanApply([alloc(A, NODES[0] as string)], { Now: 3 }),
      ),
    );
    const snapBytes = await snapshotBytes(saved.store.tables());
    const dir = tempDir("drover-overlay-");
    const fsm = await withPlan(dir);
    await fsm.apply(
      log(
        4,
        clientUpdate(update(A, "running", 40), update(B, "running", 41)),
        { type: "snapshot-restore", Snapshot: snapBytes },
        clientUpdate(update(A, "complete", 60)),
      ),
    );
    await reopenedEquals(fsm, dir);
    const keys = await storedKeys(dir);
    expect(keys.overlays).toEqual([A]);
    expect(keys.allocRecords).toEqual([A]);
  });
});

describe.each(PLACES)("stores with overlays over random logs, $place", (places) => {
  beforeAll(() => {
    planFileBytes = places.planFileBytes;
  });

  /**
   * A client update of 1–3 allocations that exist in `tables` (the same one twice at times),
   * or undefined when there are none.
   */
  function liveUpdate(rand: SeededRandom, tables: Tables, at: number): Command | undefined {
    const ids = [...tables.allocs.keys()];
    if (ids.length === 0) return undefined;
    const statuses: AllocClientStatus[] = ["pending", "running", "complete", "failed", "lost"];
    const updates = Array.from({ length: 1 + rand.int(3) }, (): AllocClientUpdate => {
      const status = statuses[rand.int(statuses.length)] as AllocClientStatus;
      return {
        ID: ids[rand.int(ids.length)] as string,
        ClientStatus: status,
        ClientDescription: rand.next() < 0.5 ? "" : `${status} ${rand.int(5)}`,
        TaskStates: rand.next() < 0.3 ? {} : { web: taskState(rand.next() < 0.5 ? "running" : "dead", at) },
        DeploymentStatus:
          rand.next() < 0.3
            ? { Healthy: rand.next() < 0.5, Timestamp: at, Canary: false, ModifyIndex: 0 }
            : null,
        ModifyTime: at + rand.int(1000),
      };
    });
    return clientUpdate(...updates);
  }

  it("reload exactly what they applied, for random client updates of live allocations", async () => {
    let overlaysSeen = 0;
    let planFilesSeen = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 1, max: 30 }), async (seed, batch) => {
        const rand = new SeededRandom(seed);
        const dir = tempDir("drover-overlay-");
        const memory = DroverFsm.inMemory();
        let fsm = await openStore(dir);
        let next = 1;
        for (let round = 0; round < 3; round++) {
          // The log is made against the in-memory copy, so that updates name live allocations.
          const made: Entry[] = [];
          for (const command of randomCommands(seed + round, 60)) {
            for (const extra of [
              rand.next() < 0.6 ? liveUpdate(rand, memory.store.tables(), next) : undefined,
              command,
            ]) {
              if (extra === undefined) continue;
              const [entry] = log(next, extra) as [Entry];
              await memory.apply([entry]);
              made.push(entry);
              next += 1;
            }
          }
          for (let i = 0; i < made.length; i += batch) await fsm.apply(made.slice(i, i + batch));
          const expected = await snapshotBytes(memory.store.tables());
          expect((await snapshotBytes(fsm.store.tables())).equals(expected)).toBe(true);
          await fsm.close();
          const keys = await storedKeys(dir);
          overlaysSeen += keys.overlays.length;
          planFilesSeen += keys.planFiles.length;
          fsm = await openStore(dir);
          checkTablesInvariants(fsm.store.tables());
          expect((await snapshotBytes(fsm.store.tables())).equals(expected)).toBe(true);
        }
        await fsm.close();
      }),
      { numRuns: 15 },
    );
    expect(overlaysSeen).toBeGreaterThan(0);
    if (planFileBytes === 0) expect(planFilesSeen).toBeGreaterThan(0);
  });
});
