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
type Answer = Extract<MainMessage, { readonly type: "applied" | "snapshotTaken" | "restored" }>;

/**
 * The Raft thread's StateMachine: the real one (the FSM) lives on the agent's main thread. Each
 * call posts a request and resolves on main's answer, so RaftNode's guarantees hold unchanged:
 * it never calls again before the previous call settled (apply order, backpressure: the apply
 * loop waits for main), and the applied index it sees is the one main reached.
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

  constructor(
    private readonly post: (message: ThreadMessage, transfer?: ArrayBuffer[]) => void,
    appliedIndex: LogIndex,
    /** Reads main's snapshot streams. */
    private readonly reader: StreamReader,
    /** Holds the received snapshot streams main reads on restore. */
    private readonly host: StreamHost,
  ) {
    this.applied = appliedIndex;
  }

  appliedIndex(): LogIndex {
    return this.applied;
  }

  /**
   * Applies on main. The results stay there: main hands each proposal's result to its proposer
   * (the entry names the proposal), so the proposals settled here resolve with undefined.
   */
  async apply(entries: readonly AppliedEntry[]): Promise<unknown[]> {
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
    const answer = await this.request(seq, () =>
      this.post({ type: "apply", seq, entries: wire, buffer }, [buffer]),
    );
    if (answer.type !== "applied") throw new Error(`state machine answered ${answer.type} to apply`);
    const last = entries[entries.length - 1];
    if (last !== undefined) this.applied = last.index;
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

  async snapshot(): Promise<{ index: LogIndex; term?: Term; chunks: AsyncIterable<Uint8Array> }> {
    const seq = this.nextSeq++;
    const answer = await this.request(seq, () => this.post({ type: "snapshot", seq }));
    if (answer.type !== "snapshotTaken") throw new Error(`state machine answered ${answer.type} to snapshot`);
    const chunks = this.reader.read(answer.stream);
    return answer.term === undefined
      ? { index: answer.index, chunks }
      : { index: answer.index, term: answer.term, chunks };
  }

  async restore(index: LogIndex, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const seq = this.nextSeq++;
    const stream = this.host.add(chunks);
    const answer = await this.request(seq, () => this.post({ type: "restore", seq, index, stream }));
    if (answer.type !== "restored") throw new Error(`state machine answered ${answer.type} to restore`);
    this.applied = answer.appliedIndex;
  }

  /** Main's answer to request `seq`. */
  answered(seq: number, answer: Answer): void {
    const waiter = this.waiting.get(seq);
    this.waiting.delete(seq);
    waiter?.resolve(answer);
  }

  /** Main failed request `seq` (the FSM threw): RaftNode treats it as fatal, as it would locally. */
  failed(seq: number, error: WireError): void {
    const waiter = this.waiting.get(seq);
    this.waiting.delete(seq);
    waiter?.reject(errorFromWire(error));
  }

  private request(seq: number, send: () => void): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      send();
    });
  }
}
