import { describe, expect, it } from "vitest";
import { silentLogger } from "../../common/log.js";
import type { Entry, LogIndex } from "../core/types.js";
import type { StateMachine } from "../state-machine.js";
import type { MainMessage, ThreadMessage, WireEntry } from "./protocol.js";
import type { StreamHost, StreamReader } from "./remote-stream.js";
import { StateMachineHost } from "./state-machine-host.js";

/**
 * Main's side alone, the Raft thread played by the test: requests are served in order, batches
 * that queued while the state machine was busy go to it in one call, main acknowledges only the
 * batches that ask for it, waits for an index serve read barriers, and a failure stops it.
 */
type ApplyMessage = Extract<ThreadMessage, { type: "apply" }>;

/** A state machine whose applies finish when the test says so (`release`). */
class GatedMachine implements StateMachine {
  readonly calls: LogIndex[][] = [];
  applied: LogIndex = 0;
  failOn: LogIndex | undefined;
  private gates: Array<() => void> = [];
  holding = false;

  appliedIndex(): LogIndex {
    return this.applied;
  }

  async apply(entries: readonly Entry[]): Promise<unknown[]> {
    this.calls.push(entries.map((e) => e.index));
    if (this.holding) await new Promise<void>((resolve) => this.gates.push(resolve));
    for (const e of entries) {
      if (e.index === this.failOn) throw new Error(`cannot apply ${e.index}`);
      this.applied = e.index;
    }
    return entries.map((e) => `result ${e.index}`);
  }

  release(): void {
    this.holding = false;
    for (const open of this.gates.splice(0)) open();
  }

  async snapshot(): Promise<{ index: LogIndex; chunks: AsyncIterable<Uint8Array> }> {
    return { index: this.applied, chunks: (async function* () {})() };
  }

  /** Durable up to what it applied (as the FSM's LevelDB copy once flushed). */
  readonly persist = async (): Promise<LogIndex> => this.applied;

  async restore(index: LogIndex): Promise<void> {
    this.applied = index;
  }
}

function host(machine: GatedMachine): {
  host: StateMachineHost;
  posted: MainMessage[];
  answers: Array<[number, unknown]>;
} {
  const posted: MainMessage[] = [];
  const answers: Array<[number, unknown]> = [];
  const h = new StateMachineHost(machine, {
    post: (m) => posted.push(m),
    streams: { add: () => 7 } as unknown as StreamHost,
    reader: { read: () => (async function* () {})() } as unknown as StreamReader,
    answer: (id, result) => answers.push([id, result]),
    log: silentLogger(),
  });
  return { host: h, posted, answers };
}

/** Batch `seq` holding entries `indexes` (proposal id = index × 10 on the first one). */
function batch(seq: number, indexes: LogIndex[], ack = false): ApplyMessage {
  const entries: WireEntry[] = indexes.map((index, i) =>
    i === 0
      ? { index, term: 1, type: "normal", offset: i, length: 1, proposal: index * 10 }
      : { index, term: 1, type: "normal", offset: i, length: 1 },
  );
  return { type: "apply", seq, entries, buffer: new ArrayBuffer(indexes.length), ack };
}

const turns = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe("StateMachineHost", () => {
  it("hands batches that queued while the state machine was busy to it in one call", async () => {
    const machine = new GatedMachine();
    machine.holding = true;
    const { host: h, posted, answers } = host(machine);
    h.serve(batch(1, [1]));
    await turns();
    h.serve(batch(2, [2, 3]));
    h.serve(batch(3, [4], true));
    h.serve(batch(4, [5]));
    await turns();
    expect(machine.calls).toEqual([[1]]);
    machine.release();
    await h.idle();
    expect(machine.calls).toEqual([[1], [2, 3, 4, 5]]);
    // One ack for the lot (batch 3 asked; it covers batch 4 too), none for the first call.
    expect(posted).toEqual([{ type: "applied", seq: 4 }]);
    expect(answers).toEqual([
      [10, "result 1"],
      [20, "result 2"],
      [40, "result 4"],
      [50, "result 5"],
    ]);
    expect(h.appliedIndex()).toBe(5);
  });

  it("posts no ack for batches that do not ask for one", async () => {
    const machine = new GatedMachine();
    const { host: h, posted } = host(machine);
    for (let seq = 1; seq <= 5; seq++) {
      h.serve(batch(seq, [seq]));
      await h.idle();
    }
    expect(machine.applied).toBe(5);
    expect(posted).toEqual([]);
  });

  it("holds a wait for an index until the state machine applied it", async () => {
    const machine = new GatedMachine();
    machine.holding = true;
    const { host: h } = host(machine);
    h.serve(batch(1, [1, 2]));
    let reached = false;
    const wait = h.whenApplied(2).then(() => {
      reached = true;
    });
    await turns();
    expect(reached).toBe(false);
    machine.release();
    await wait;
    expect(machine.applied).toBe(2);
    await expect(h.whenApplied(1)).resolves.toBeUndefined();
  });

  it("serves a snapshot after the batches posted before it", async () => {
    const machine = new GatedMachine();
    machine.holding = true;
    const { host: h, posted } = host(machine);
    h.serve(batch(1, [1]));
    h.serve(batch(2, [2]));
    h.serve({ type: "snapshot", seq: 3 });
    await turns();
    machine.release();
    await h.idle();
    expect(posted).toEqual([{ type: "snapshotTaken", seq: 3, index: 2, stream: 7 }]);
  });

  it("makes the state durable after the batches posted before it, and answers its index", async () => {
    const machine = new GatedMachine();
    machine.holding = true;
    const { host: h, posted } = host(machine);
    h.serve(batch(1, [1]));
    h.serve({ type: "persist", seq: 2 });
    h.serve(batch(3, [2]));
    await turns();
    expect(posted).toEqual([]);
    machine.release();
    await h.idle();
    expect(posted).toEqual([{ type: "persisted", seq: 2, index: 1 }]);
  });

  it("reports the first failure, serves nothing after it and fails the waits", async () => {
    const machine = new GatedMachine();
    machine.failOn = 2;
    const { host: h, posted, answers } = host(machine);
    const wait = h.whenApplied(3);
    h.serve(batch(1, [1]));
    await h.idle();
    h.serve(batch(2, [2], true));
    h.serve(batch(3, [3], true));
    await h.idle();
    h.serve(batch(4, [4], true));
    await h.idle();
    expect(posted).toEqual([
      { type: "smError", seq: 2, error: { name: "Error", message: "cannot apply 2" } },
    ]);
    expect(answers).toEqual([[10, "result 1"]]);
    expect(machine.calls).toEqual([[1], [2, 3]]);
    await expect(wait).rejects.toThrow("cannot apply 2");
    await expect(h.whenApplied(4)).rejects.toThrow("cannot apply 2");
  });

  it("refuses an entry that does not follow the last one handed over", async () => {
    const machine = new GatedMachine();
    const { host: h, posted } = host(machine);
    h.serve(batch(1, [1]));
    await h.idle();
    h.serve(batch(2, [3]));
    await h.idle();
    expect(posted.map((m) => m.type)).toEqual(["smError"]);
    expect(machine.calls).toEqual([[1]]);
  });
});
