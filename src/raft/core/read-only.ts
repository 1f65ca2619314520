/**
 * Pending ReadIndex requests of a leader in "safe" mode (etcd-io/raft read_only.go; Raft thesis
 * §6.4). A request records the commit index when it arrived; it may be answered once a quorum has
 * acknowledged a heartbeat carrying its context, proving this node was still the leader after the
 * request arrived. Requests complete in arrival order.
 */
import type { LogIndex, Message, RaftId } from "./types.js";

export interface ReadIndexStatus {
  readonly request: Message;
  readonly index: LogIndex;
  readonly acks: Map<RaftId, boolean>;
}

export function contextKey(ctx: Uint8Array): string {
  return Buffer.from(ctx.buffer, ctx.byteOffset, ctx.byteLength).toString("latin1");
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  constructor(readonly option: "safe" | "leaseBased") {}

  /** Adds a request; a duplicate context (a retried request) is kept once. */
  addRequest(index: LogIndex, request: Message): void {
    const key = contextKey(request.context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { request, index, acks: new Map() });
    this.queue.push(key);
  }

  /** Records a heartbeat acknowledgement; returns the acks of that request (undefined if unknown). */
  recvAck(from: RaftId, ctx: Uint8Array): Map<RaftId, boolean> | undefined {
    const status = this.pending.get(contextKey(ctx));
    if (status === undefined) return undefined;
    status.acks.set(from, true);
    return status.acks;
  }

  /** Removes and returns every request up to and including the one with `ctx` (a quorum of acks
   *  for a later request confirms leadership for the earlier ones too). */
  advance(ctx: Uint8Array): ReadIndexStatus[] {
    const key = contextKey(ctx);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const status = this.pending.get(k);
      if (status !== undefined) out.push(status);
      this.pending.delete(k);
    }
    return out;
  }

  /** Context of the newest pending request (sent with heartbeats), if any. */
  lastPendingContext(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? undefined : this.pending.get(key)?.request.context;
  }

  get size(): number {
    return this.queue.length;
  }

  reset(): void {
    this.pending.clear();
    this.queue = [];
  }
}
