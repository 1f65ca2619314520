import { assert } from "../../common/assert.js";
import type { Logger } from "../../common/log.js";
import { ApplyQueue } from "../apply-queue.js";
import type { Entry, LogIndex } from "../core/types.js";
import type { StateMachine } from "../state-machine.js";
import { errorToWire, type MainMessage, type ThreadMessage } from "./protocol.js";
import type { StreamHost, StreamReader } from "./remote-stream.js";

/** A state machine request from the Raft thread (ThreadStateMachine). */
export type StateMachineRequest = Extract<
  ThreadMessage,
  { type: "apply" | "persist" | "snapshot" | "restore" }
>;
type ApplyRequest = Extract<StateMachineRequest, { type: "apply" }>;

type Task =
  | { readonly kind: "apply"; readonly batches: readonly ApplyRequest[] }
  | { readonly kind: "other"; readonly request: Exclude<StateMachineRequest, ApplyRequest> };

/** What the host needs from main's side of the port. */
export interface StateMachineHostPorts {
  readonly post: (message: MainMessage) => void;
  /** Main's streams of snapshots taken here (the Raft thread pulls them). */
  readonly streams: StreamHost;
  /** Reads the Raft thread's streams of received snapshots. */
  readonly reader: StreamReader;
  /** Hands proposal `id` (main's request id) the state machine's result for its entry. */
  readonly answer: (id: number, result: unknown) => void;
  readonly log: Logger;
}

/**
 * Main's side of the Raft thread's state machine (thread-state-machine.ts): serves the thread's
 * requests strictly in the order they were posted, one at a time. The thread does not wait for
 * its applies, so batches that arrive while the state machine is busy (or in one port message)
 * queue up here and go to it in one `apply` call, as one Ready's worth would.
 *
 * Main applies at its own pace, so it alone knows how far its state is: `appliedIndex()` is the
 * index of the last entry the state machine applied here, and `whenApplied` waits for an index
 * (a read barrier's answer from the thread may name entries still queued here).
 *
 * Invariants: entries reach the state machine in index order with no gap (asserted); the first
 * failed request is reported to the thread (`smError`) and nothing after it is served.
 */
export class StateMachineHost {
  private applied: LogIndex;
  /**
   * The last entry handed to the state machine since this host started or last restored
   * (undefined: none). The first one may skip indexes the state machine never sees (a
   * founder's bootstrap snapshot at index 1 holds no application state).
   */
  private handed: LogIndex | undefined;
  private readonly queue: ApplyQueue<Task>;
  private waiters: Array<{ readonly index: LogIndex; resolve: () => void; reject: (e: Error) => void }> = [];
  private failure: Error | undefined;

  constructor(
    private readonly stateMachine: StateMachine,
    private readonly ports: StateMachineHostPorts,
  ) {
    this.applied = stateMachine.appliedIndex();
    this.queue = new ApplyQueue<Task>(
      (task) => this.run(task),
      (error) => this.fail(error instanceof Error ? error : new Error(String(error))),
      () => false,
      (first, next) =>
        first.kind === "apply" && next.kind === "apply"
          ? { kind: "apply", batches: [...first.batches, ...next.batches] }
          : undefined,
    );
  }

  /** Index of the last entry applied here (or of the snapshot last restored). */
  appliedIndex(): LogIndex {
    return this.applied;
  }

  /** Queues a request of the Raft thread; served after every one queued before it. */
  serve(request: StateMachineRequest): void {
    this.queue.push(
      request.type === "apply" ? { kind: "apply", batches: [request] } : { kind: "other", request },
    );
  }

  /** Resolves once the state here reached `index`; rejects if the host failed or closed first. */
  whenApplied(index: LogIndex): Promise<void> {
    if (this.applied >= index) return Promise.resolve();
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => this.waiters.push({ index, resolve, reject }));
  }

  /** Waits for an index here that have not ended yet (read barriers held for main's state). */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves once every request queued so far has been served (or the host failed). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** The Raft thread is gone: whoever waits for an index here is failed with `error`. */
  close(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(error);
  }

  private async run(task: Task): Promise<void> {
    const seq = task.kind === "apply" ? (task.batches[0] as ApplyRequest).seq : task.request.seq;
    try {
      if (task.kind === "apply") await this.apply(task.batches);
      else await this.runOther(task.request);
    } catch (error) {
      this.ports.log.error({ err: error, request: task.kind }, "state machine request failed");
      this.ports.post({ type: "smError", seq, error: errorToWire(error) });
      throw error;
    }
  }

  private async apply(batches: readonly ApplyRequest[]): Promise<void> {
    const entries: Entry[] = [];
    let ack = false;
    for (const batch of batches) {
      ack ||= batch.ack;
      for (const e of batch.entries) {
        const previous = this.handed;
        assert(
          e.index > this.applied && (previous === undefined || e.index === previous + 1),
          () => `state machine handed entry ${e.index} after ${previous} (applied ${this.applied})`,
        );
        this.handed = e.index;
        entries.push({
          index: e.index,
          term: e.term,
          type: e.type,
          data: new Uint8Array(batch.buffer, e.offset, e.length),
        });
      }
    }
    const results = await this.stateMachine.apply(entries);
    assert(results.length === entries.length, "state machine returned a result count unlike its entries");
    const last = entries[entries.length - 1];
    if (last !== undefined) this.applied = last.index;
    // Any ack covers every batch before it: one for the last batch of the lot.
    if (ack) this.ports.post({ type: "applied", seq: (batches[batches.length - 1] as ApplyRequest).seq });
    let i = 0;
    for (const batch of batches) {
      for (const e of batch.entries) {
        if (e.proposal !== undefined) this.ports.answer(e.proposal, results[i]);
        i++;
      }
    }
    this.wake();
  }

  private async runOther(request: Exclude<StateMachineRequest, ApplyRequest>): Promise<void> {
    const sm = this.stateMachine;
    if (request.type === "persist") {
      assert(sm.persist !== undefined, "persist asked of a state machine that does not keep its state");
      const index = await sm.persist();
      assert(index === this.applied, () => `persisted up to ${index}, applied here ${this.applied}`);
      this.ports.post({ type: "persisted", seq: request.seq, index });
      return;
    }
    if (request.type === "snapshot") {
      const snap = await sm.snapshot();
      assert(snap.index === this.applied, () => `snapshot at ${snap.index}, applied here ${this.applied}`);
      const stream = this.ports.streams.add(snap.chunks);
      this.ports.post({
        type: "snapshotTaken",
        seq: request.seq,
        index: snap.index,
        ...(snap.term === undefined ? {} : { term: snap.term }),
        stream,
      });
      return;
    }
    await sm.restore(request.index, this.ports.reader.read(request.stream));
    this.applied = request.index;
    this.handed = request.index;
    this.ports.post({ type: "restored", seq: request.seq, appliedIndex: sm.appliedIndex() });
    this.wake();
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const due = this.waiters.filter((w) => w.index <= this.applied);
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.index > this.applied);
    for (const w of due) w.resolve();
  }

  private fail(error: Error): void {
    this.failure = error;
    this.close(error);
  }
}
