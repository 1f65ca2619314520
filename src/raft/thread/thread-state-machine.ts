import { assert } from "../../common/assert.js";
import type { LogIndex, Term } from "../core/types.js";
import type { AppliedEntry, StateMachine } from "../state-machine.js";
import {
  errorFromWire,
  type MainMessage,
  type ThreadMessage,
  type WireEntry,
  type WireError,
} from "./protocol.js";
import type { StreamHost, StreamReader } from "./remote-stream.js";

/** Main's answer to one state machine request (protocol.ts), matched by its `seq`. */
type Answer = Extract<MainMessage, { readonly type: "snapshotTaken" | "restored" | "persisted" }>;

/**
 * How far main may fall behind the batches posted to it. An ack is asked for every
 * ACK_EVERY_BATCHES batches or ACK_EVERY_BYTES bytes; `apply` waits while more than
 * MAX_UNACKED_BATCHES batches or MAX_UNACKED_BYTES bytes are unacknowledged. With the limits at
 * twice the cadence the ack asked for half a window ago normally arrives before the window is
 * full, so a main thread that keeps up never stalls the apply loop.
 */
export const ACK_EVERY_BATCHES = 16;
export const ACK_EVERY_BYTES = 16 << 20;
export const MAX_UNACKED_BATCHES = 32;
export const MAX_UNACKED_BYTES = 32 << 20;

/**
 * The Raft thread's StateMachine: the real one (the FSM) lives on the agent's main thread, which
 * serves every request strictly in the order posted (state-machine-host.ts).
 *
 * `apply` resolves as soon as its batch is posted, not when main applied it: waiting for main's
 * answer put two cross-thread wake-ups on every write's path. So RaftNode's applied index is what
 * was handed to main, and what depends on main's state waits for main instead: a snapshot request
 * is served after every batch posted before it (so it covers exactly those, and its index is
 * RaftNode's applied index); a read barrier's answer is held on main until main applied up to it
 * (RaftThreadClient.readBarrier); a proposer is answered by main when it applied the entry.
 * Backpressure: main acknowledges only the batches that ask for it (see ACK_EVERY_BATCHES), and
 * `apply` waits while too much is unacknowledged. A failure main reports stops the node
 * (`onFailure`), and every call after it rejects.
 *
 * Invariant: `unacked` lists the posted batches main has not acknowledged, in seq order, and
 * `unackedBytes` is the sum of their bytes.
 *
 * Entries travel as one fresh buffer holding all their bytes (copied once here, then transferred:
 * an entry's bytes are often a view into a larger buffer, which the port would clone whole).
 */
export class ThreadStateMachine implements StateMachine {
  private applied: LogIndex;
  private nextSeq = 1;
  private readonly waiting = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  /**
   * Proposals whose entry went to main, which answers them itself: their own reply (when the
   * Raft thread's promise settles) must not go out too. Emptied by `delivered`.
   */
  private readonly deliveredIds = new Set<number>();
  private readonly unacked: Array<{ readonly seq: number; readonly bytes: number }> = [];
  private unackedBytes = 0;
  /** Batches and bytes posted since the last one that asked for an ack. */
  private batchesSinceAck = 0;
  private bytesSinceAck = 0;
  /** `apply` waiting for room (at most one: RaftNode never calls apply concurrently). */
  private roomWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly failureHandlers: Array<(error: Error) => void> = [];

  /** Present when main's state machine has it (StateMachine.persist). */
  readonly persist: (() => Promise<LogIndex>) | undefined;

  constructor(
    private readonly post: (message: ThreadMessage, transfer?: ArrayBuffer[]) => void,
    appliedIndex: LogIndex,
    /** Reads main's snapshot streams. */
    private readonly reader: StreamReader,
    /** Holds the received snapshot streams main reads on restore. */
    private readonly host: StreamHost,
    /** Main's state machine keeps its state durably itself. */
    persists = false,
  ) {
    this.applied = appliedIndex;
    this.persist = persists ? () => this.persistOnMain() : undefined;
  }

  /** Served on main after every batch posted before it, so it covers exactly those. */
  private async persistOnMain(): Promise<LogIndex> {
    this.throwIfFailed();
    const seq = this.nextSeq++;
    const answer = await this.request(seq, () => this.post({ type: "persist", seq }));
    if (answer.type !== "persisted") throw new Error(`state machine answered ${answer.type} to persist`);
    return answer.index;
  }

  /** The index of the last entry handed to main (main's own index may trail it). */
  appliedIndex(): LogIndex {
    return this.applied;
  }

  onFailure(handler: (error: Error) => void): void {
    this.failureHandlers.push(handler);
  }

  /**
   * Posts the batch to main and resolves once it is posted and main is within the limits. The
   * results stay on main: main hands each proposal's result to its proposer (the entry names the
   * proposal), so the proposals settled here resolve with undefined.
   */
  async apply(entries: readonly AppliedEntry[]): Promise<unknown[]> {
    this.throwIfFailed();
    let total = 0;
    for (const entry of entries) total += entry.data.byteLength;
    const buffer = new ArrayBuffer(total);
    const bytes = new Uint8Array(buffer);
    const wire: WireEntry[] = [];
    let offset = 0;
    for (const entry of entries) {
      bytes.set(entry.data, offset);
      // The tag is main's request id of the proposal (raft-thread.ts proposes with it).
      const proposal = entry.proposal;
      const length = entry.data.byteLength;
      if (proposal === undefined) {
        wire.push({ index: entry.index, term: entry.term, type: entry.type, offset, length });
      } else {
        wire.push({ index: entry.index, term: entry.term, type: entry.type, offset, length, proposal });
        this.deliveredIds.add(proposal);
      }
      offset += length;
    }
    const seq = this.nextSeq++;
    this.unacked.push({ seq, bytes: total });
    this.unackedBytes += total;
    this.batchesSinceAck++;
    this.bytesSinceAck += total;
    // A batch that leaves main over the limits asks for its own ack, so the wait below ends
    // even when no earlier batch asked for one.
    const ack =
      this.batchesSinceAck >= ACK_EVERY_BATCHES || this.bytesSinceAck >= ACK_EVERY_BYTES || this.overLimits();
    if (ack) {
      this.batchesSinceAck = 0;
      this.bytesSinceAck = 0;
    }
    this.post({ type: "apply", seq, entries: wire, buffer, ack }, [buffer]);
    const last = entries[entries.length - 1];
    if (last !== undefined) this.applied = last.index;
    if (this.overLimits()) {
      await new Promise<void>((resolve, reject) => {
        this.roomWaiter = { resolve, reject };
      });
    }
    return new Array<unknown>(entries.length);
  }

  /**
   * True (once) when main already answered proposal `id` from its applied entry. A proposal
   * that failed here instead (expired, replaced, not leader) was never delivered, or main has
   * answered it and ignores the late error.
   */
  delivered(id: number): boolean {
    return this.deliveredIds.delete(id);
  }

  /** Batches posted to main and not yet acknowledged (for tests and metrics). */
  get unackedBatches(): number {
    return this.unacked.length;
  }

  async snapshot(): Promise<{ index: LogIndex; term?: Term; chunks: AsyncIterable<Uint8Array> }> {
    this.throwIfFailed();
    const seq = this.nextSeq++;
    const answer = await this.request(seq, () => this.post({ type: "snapshot", seq }));
    if (answer.type !== "snapshotTaken") throw new Error(`state machine answered ${answer.type} to snapshot`);
    const chunks = this.reader.read(answer.stream);
    return answer.term === undefined
      ? { index: answer.index, chunks }
      : { index: answer.index, term: answer.term, chunks };
  }

  async restore(index: LogIndex, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    this.throwIfFailed();
    const seq = this.nextSeq++;
    const stream = this.host.add(chunks);
    const answer = await this.request(seq, () => this.post({ type: "restore", seq, index, stream }));
    if (answer.type !== "restored") throw new Error(`state machine answered ${answer.type} to restore`);
    this.applied = answer.appliedIndex;
  }

  /**
   * Main's answer to request `seq`. Main serves requests in order, so any answer also
   * acknowledges every batch posted before it.
   */
  answered(
    seq: number,
    answer: MainMessage & { readonly type: "applied" | "snapshotTaken" | "restored" | "persisted" },
  ): void {
    this.acknowledge(seq);
    if (answer.type === "applied") return;
    const waiter = this.waiting.get(seq);
    assert(waiter !== undefined, () => `state machine answer for unknown request ${seq}`);
    this.waiting.delete(seq);
    waiter.resolve(answer);
  }

  /**
   * Main failed a request (the FSM threw) and serves nothing more: the node must stop, as
   * it would on a local state machine's failure, even if no call of its waits for main now.
   */
  failed(error: WireError): void {
    if (this.failure !== undefined) return;
    const failure = errorFromWire(error);
    this.failure = failure;
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiter of waiters) waiter.reject(failure);
    const room = this.roomWaiter;
    this.roomWaiter = undefined;
    room?.reject(failure);
    for (const handler of this.failureHandlers) handler(failure);
  }

  private acknowledge(seq: number): void {
    while (this.unacked.length > 0 && (this.unacked[0] as { seq: number }).seq <= seq) {
      this.unackedBytes -= (this.unacked.shift() as { bytes: number }).bytes;
    }
    if (this.roomWaiter !== undefined && !this.overLimits()) {
      const room = this.roomWaiter;
      this.roomWaiter = undefined;
      room.resolve();
    }
  }

  private overLimits(): boolean {
    return this.unacked.length > MAX_UNACKED_BATCHES || this.unackedBytes > MAX_UNACKED_BYTES;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private request(seq: number, send: () => void): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      send();
    });
  }
}
