import type { Entry, LogIndex, Term } from "../core/types.js";
import type { StateMachine } from "../state-machine.js";
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
  /** Whether a proposal of this server waits on the entry at an index (RaftNode.awaitsProposal). */
  awaited: (index: LogIndex) => boolean = () => false;

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
   * Main's results, one per entry: the encoded result where a proposer here waits for it,
   * undefined elsewhere (nobody reads those).
   */
  async apply(entries: readonly Entry[]): Promise<unknown[]> {
    let total = 0;
    for (const entry of entries) total += entry.data.byteLength;
    const buffer = new ArrayBuffer(total);
    const bytes = new Uint8Array(buffer);
    const wire: WireEntry[] = [];
    const awaited: LogIndex[] = [];
    let offset = 0;
    for (const entry of entries) {
      bytes.set(entry.data, offset);
      wire.push({
        index: entry.index,
        term: entry.term,
        type: entry.type,
        offset,
        length: entry.data.byteLength,
      });
      offset += entry.data.byteLength;
      if (entry.type === "normal" && this.awaited(entry.index)) awaited.push(entry.index);
    }
    const seq = this.nextSeq++;
    const answer = await this.request(seq, () =>
      this.post({ type: "apply", seq, entries: wire, buffer, awaited }, [buffer]),
    );
    if (answer.type !== "applied") throw new Error(`state machine answered ${answer.type} to apply`);
    const last = entries[entries.length - 1];
    if (last !== undefined) this.applied = last.index;
    return answer.outcomes.map((o) => (o === null ? undefined : o));
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
