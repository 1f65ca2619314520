import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Tables } from "../../src/fsm/tables.js";
import { eventually } from "../cluster/fixtures/raft-cluster.js";
import type { HistoryEvent } from "./history.js";
import { checkCommittedState, lostWrites, type ServerState, StateHashes } from "./invariants.js";
import { ledgerScript, overlappingTasks, readLedger, type TaskInstance } from "./ledger.js";
import { acceptableJobStates, type JobOp } from "./workload.js";

// The checks a chaos run relies on, each shown to catch what it is for on hand-made inputs.

const task = (allocId: string, pid: number, start: number, last: number, name = "j.g[0]"): TaskInstance => ({
  allocName: name,
  allocId,
  pid,
  client: "c1",
  startNs: BigInt(start),
  lastSeenNs: BigInt(last),
  stopped: true,
});

describe("task ledger", () => {
  it("flags one allocation running twice at once, whatever the servers say", () => {
    const found = overlappingTasks([task("a", 1, 0, 100), task("a", 2, 50, 200)], () => false);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("ran twice at once");
  });

  it("flags two wanted allocations of one name at once, not a replacement of a stopped one", () => {
    const tasks = [task("a", 1, 0, 100), task("b", 2, 50, 200)];
    expect(overlappingTasks(tasks, () => true)).toHaveLength(1);
    expect(overlappingTasks(tasks, () => false)).toEqual([]);
  });

  it("accepts instances one after the other", () => {
    expect(overlappingTasks([task("a", 1, 0, 100), task("a", 2, 101, 200)], () => true)).toEqual([]);
  });

  const dir = mkdtempSync(join(tmpdir(), "drover-ledger-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the task script writes start, alive and stop lines that read back as one instance", async () => {
    const ledger = join(dir, "ledger");
    writeFileSync(ledger, "");
    const child = spawn("/bin/sh", ["-c", ledgerScript(ledger)], {
      env: { ...process.env, NOMAD_ALLOC_NAME: "j.g[3]", NOMAD_ALLOC_ID: "alloc-1", CHAOS_NODE: "c9" },
    });
    await eventually("an alive line", 10_000, async () =>
      readFileSync(ledger, "utf8").includes("alive ") ? true : undefined,
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    const [instance] = readLedger(ledger);
    expect(instance).toMatchObject({ allocName: "j.g[3]", allocId: "alloc-1", client: "c9", stopped: true });
    expect((instance as TaskInstance).lastSeenNs > (instance as TaskInstance).startNs).toBe(true);
  });
});

describe("lost writes", () => {
  let time = 0;
  const events: HistoryEvent[] = [];
  const op = (process: number, f: "write" | "delete", value: string, type: "ok" | "info" | "fail") => {
    const o = f === "write" ? { f, key: "k", value } : { f, key: "k" };
    events.push({ process, type: "invoke", op: o, time: time++ });
    events.push({ process, type, op: o, time: time++ });
  };
  op(1, "write", "a", "ok");
  op(2, "write", "b", "ok");

  it("flags an acknowledged write replaced by an older value", () => {
    expect(lostWrites(events, new Map([["k", "a"]]))).toHaveLength(1);
    expect(lostWrites(events, new Map([["k", "b"]]))).toEqual([]);
  });

  it("flags an absent key no delete explains, and a value nobody wrote", () => {
    expect(lostWrites(events, new Map([["k", null]]))).toHaveLength(2);
    expect(lostWrites(events, new Map([["k", "zzz"]]))).toHaveLength(1);
    const withDelete = [...events];
    withDelete.push({ process: 3, type: "invoke", op: { f: "delete", key: "k" }, time: time++ });
    withDelete.push({ process: 3, type: "info", op: { f: "delete", key: "k" }, time: time++ });
    expect(lostWrites(withDelete, new Map([["k", null]]))).toEqual([]);
  });
});

describe("committed state", () => {
  const node = {
    ID: "n1",
    Name: "c1",
    NodeResources: { Cpu: { CpuShares: 1000 }, Memory: { MemoryMB: 512 }, Disk: { DiskMB: 1000 } },
    ReservedResources: { Cpu: { CpuShares: 0 }, Memory: { MemoryMB: 0 }, Disk: { DiskMB: 0 } },
  };
  const alloc = (id: string, name: string, memoryMB: number, port?: number) => ({
    ID: id,
    Namespace: "default",
    Name: name,
    NodeID: "n1",
    DesiredStatus: "run",
    ClientStatus: "running",
    AllocatedResources: {
      Tasks: { t: { Cpu: { CpuShares: 100 }, Memory: { MemoryMB: memoryMB }, Networks: [] } },
      Shared: { DiskMB: 10, Networks: [], Ports: port === undefined ? [] : [{ Label: "p", Value: port }] },
    },
  });
  const state = (allocs: unknown[]): ServerState => ({
    server: "s1",
    index: 7,
    hash: "h",
    tables: {
      nodes: new Map([["n1", node]]),
      allocs: new Map(allocs.map((a) => [(a as { ID: string }).ID, a])),
    } as unknown as Tables,
  });

  it("accepts allocations that fit", () => {
    expect(checkCommittedState(state([alloc("a", "j.g[0]", 256), alloc("b", "j.g[1]", 256)]))).toEqual([]);
  });

  it("flags memory over-commit, a port given twice and two live allocations of one name", () => {
    expect(
      checkCommittedState(state([alloc("a", "j.g[0]", 300), alloc("b", "j.g[1]", 300)])).join(),
    ).toContain("over-committed on memory");
    expect(
      checkCommittedState(state([alloc("a", "j.g[0]", 10, 20000), alloc("b", "j.g[1]", 10, 20000)])).join(),
    ).toContain("port 20000");
    expect(checkCommittedState(state([alloc("a", "j.g[0]", 10), alloc("b", "j.g[0]", 10)])).join()).toContain(
      "2 non-terminal allocations named default/j.g[0]",
    );
  });

  it("flags two servers with different states at one index", () => {
    const hashes = new StateHashes();
    expect(hashes.add({ ...state([]), server: "s1", hash: "x" })).toBeUndefined();
    expect(hashes.add({ ...state([]), server: "s2", hash: "x" })).toBeUndefined();
    expect(hashes.add({ ...state([]), server: "s3", hash: "y" })).toContain(
      "FSM divergence at applied index 7",
    );
  });
});

describe("job outcomes", () => {
  const op = (
    kind: JobOp["kind"],
    count: number,
    outcome: JobOp["outcome"],
    live = kind !== "stop",
  ): JobOp => ({
    process: 1,
    jobId: "j",
    kind,
    target: { live, count, version: 1 },
    outcome,
    invokeNs: 0,
    completeNs: 1,
  });

  it("an acknowledged operation fixes the state; an unknown one allows both", () => {
    expect(acceptableJobStates([op("register", 2, "ok"), op("scale", 3, "ok")])).toEqual([
      { live: true, count: 3, version: 1 },
    ]);
    expect(acceptableJobStates([op("register", 2, "ok"), op("scale", 3, "info")])).toEqual([
      { live: true, count: 2, version: 1 },
      { live: true, count: 3, version: 1 },
    ]);
    expect(acceptableJobStates([op("register", 2, "ok"), op("stop", 2, "fail")])).toEqual([
      { live: true, count: 2, version: 1 },
    ]);
  });

  it("an unknown operation may land after later acknowledged ones", () => {
    const update = { ...op("update", 2, "info"), target: { live: true, count: 2, version: 2 } };
    const states = acceptableJobStates([op("register", 2, "ok"), update, op("stop", 2, "ok")]);
    // The update applied late re-registers the job over the stop.
    expect(states).toContainEqual({ live: true, count: 2, version: 2 });
    expect(states).toContainEqual({ live: false, count: 2, version: 2 });
    expect(states).toContainEqual({ live: false, count: 2, version: 1 });
    expect(states).not.toContainEqual({ live: true, count: 2, version: 1 });
  });
});
