/**
 * Linearizable read barriers (ReadIndex, thesis §6.4) as the driver serves them: callers queue,
 * one ReadIndex request is in flight at a time and answers every caller queued before it was
 * issued, and each answer waits until the local applied index reaches the read index.
 *
 * Invariants: at most one request in flight; a waiter is settled exactly once; a waiter is
 * resolved only with an applied index >= the read index its request returned.
 */
import { TimeoutError } from "../common/errors.js";
import type { LogIndex } from "./core/types.js";

interface Waiter {
  readonly resolve: (index: LogIndex) => void;
  readonly reject: (error: Error) => void;
  /** Date.now() after which it is rejected with TimeoutError. */
  readonly deadline: number;
}

/** Where a request goes: RawNode.readIndex (the answer comes back as a ReadState). */
export interface ReadIndexSink {
  readIndex(requestCtx: Uint8Array): void;
}

export class ReadBarriers {
  private queue: Waiter[] = [];
  private inFlight: { ctx: string; waiters: Waiter[] } | undefined;
  private awaitingApply: Array<{ index: LogIndex; waiters: Waiter[] }> = [];
  private counter = 0;

  constructor(
    /** Makes request contexts unique across restarts of this server. */
    private readonly incarnation: number,
  ) {}

  /** Queues a read; issue() sends it (with any others queued meanwhile). */
  add(deadline: number): Promise<LogIndex> {
    return new Promise<LogIndex>((resolve, reject) => {
      this.queue.push({ resolve, reject, deadline });
    });
  }

  /** Sends one ReadIndex request for everything queued, unless one is in flight. Returns whether
   *  it sent one (the caller then runs the Ready loop). */
  issue(sink: ReadIndexSink): boolean {
    if (this.inFlight !== undefined || this.queue.length === 0) return false;
    const ctx = Buffer.alloc(12);
    ctx.writeDoubleBE(this.incarnation, 0);
    ctx.writeUInt32BE(this.counter++ >>> 0, 8);
    this.inFlight = { ctx: ctx.toString("hex"), waiters: this.queue.splice(0) };
    sink.readIndex(ctx);
    return true;
  }

  /** A ReadState arrived (ctx in hex). Returns whether it answered our request in flight. */
  onReadState(ctx: string, index: LogIndex, applied: LogIndex): boolean {
    if (this.inFlight === undefined || this.inFlight.ctx !== ctx) return false;
    this.awaitingApply.push({ index, waiters: this.inFlight.waiters });
    this.inFlight = undefined;
    this.serve(applied);
    return true;
  }

  /** The applied index moved: resolve the reads it now covers. */
  serve(applied: LogIndex): void {
    if (this.awaitingApply.length === 0) return;
    this.awaitingApply = this.awaitingApply.filter((r) => {
      if (r.index > applied) return true;
      for (const w of r.waiters) w.resolve(applied);
      return false;
    });
  }

  /** Rejects the request in flight once all its callers' deadlines passed. Returns whether it
   *  did (the next queued read may then be issued). */
  expire(now: number): boolean {
    const inFlight = this.inFlight;
    if (inFlight === undefined || !inFlight.waiters.every((w) => w.deadline <= now)) return false;
    for (const w of inFlight.waiters) w.reject(new TimeoutError("read barrier timed out"));
    this.inFlight = undefined;
    return true;
  }

  /** Leadership was lost: reads not yet confirmed cannot be served by this server. Reads already
   *  confirmed (waiting for apply) stay valid. */
  rejectUnconfirmed(error: Error): void {
    const waiters = [...this.queue.splice(0), ...(this.inFlight?.waiters ?? [])];
    this.inFlight = undefined;
    for (const w of waiters) w.reject(error);
  }

  rejectAll(error: Error): void {
    const waiters = [
      ...this.queue.splice(0),
      ...(this.inFlight?.waiters ?? []),
      ...this.awaitingApply.flatMap((r) => r.waiters),
    ];
    this.inFlight = undefined;
    this.awaitingApply = [];
    for (const w of waiters) w.reject(error);
  }
}
