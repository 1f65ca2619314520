/**
 * Groups what one side of the Raft thread's port posts during one event-loop turn into a single
 * message, sent when the turn ends (setImmediate).
 *
 * Why: the Raft node batches the proposals that reach it within one turn into one append, one
 * fsync and one apply. Posted one by one, proposals from a burst of requests on the main thread
 * woke an idle Raft thread once each, which then built one Ready per proposal: twice the CPU per
 * write at 64 outstanding. Grouping per turn gives the thread the same batches the main thread's
 * own turn would have formed. The same holds in the other direction for replies.
 *
 * Invariant: messages arrive in the order they were posted, each exactly once (one outbox per
 * side, every post of that side goes through it).
 */
export interface BatchEnvelope<M> {
  readonly type: "batch";
  readonly messages: readonly M[];
}

export type Envelope<M> = M | BatchEnvelope<M>;

export class PortOutbox<M> {
  private queue: M[] = [];
  private transfer: ArrayBuffer[] = [];
  private scheduled = false;

  constructor(private readonly send: (message: Envelope<M>, transfer: ArrayBuffer[]) => void) {}

  post(message: M, transfer?: readonly ArrayBuffer[]): void {
    this.queue.push(message);
    if (transfer !== undefined) for (const buffer of transfer) this.transfer.push(buffer);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends what is queued now (also called by the scheduled flush). */
  flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    if (queue.length === 0) return;
    const transfer = this.transfer;
    this.queue = [];
    this.transfer = [];
    this.send(queue.length === 1 ? (queue[0] as M) : { type: "batch", messages: queue }, transfer);
  }
}

/** Calls `each` for every message an envelope carries, in order. */
export function unbatch<M extends { readonly type: string }>(
  envelope: Envelope<M>,
  each: (message: M) => void,
): void {
  if (envelope.type === "batch") {
    for (const message of (envelope as BatchEnvelope<M>).messages) each(message);
  } else {
    each(envelope as M);
  }
}
