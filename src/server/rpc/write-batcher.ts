import { assert } from "../../common/assert.js";
import { ServerStoppingError } from "../../common/errors.js";
import { outsideRequest } from "../../common/request-context.js";

/**
 * Coalesces many small writes into one Raft entry (Nomad batches client alloc updates the same
 * way): callers add items; after `windowMs`, or once `maxItems` are waiting, `flush` proposes them
 * all as one command and every caller learns the index it was applied at. One flush runs at a time,
 * so entries keep the order in which items arrived.
 */
export class WriteBatcher<T> {
  private pending: Array<{ item: T; resolve: (index: number) => void; reject: (error: unknown) => void }> =
    [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly flush: (items: T[]) => Promise<number>,
    private readonly windowMs: number,
    private readonly maxItems: number,
  ) {
    assert(windowMs >= 0 && maxItems > 0, "WriteBatcher: bad window or size");
  }

  /**
   * Queues `items`; resolves with the index of the entry that carried the last of them. Rejects
   * with ServerStoppingError once closed.
   */
  add(items: readonly T[]): Promise<number> {
    if (this.closed) return Promise.reject(new ServerStoppingError());
    const applied = items.map(
      (item) =>
        new Promise<number>((resolve, reject) => {
          this.pending.push({ item, resolve, reject });
        }),
    );
    this.schedule();
    return Promise.all(applied).then((indexes) => Math.max(0, ...indexes));
  }

  private schedule(): void {
    if (this.pending.length >= this.maxItems) {
      this.fire();
      return;
    }
    if (this.timer === undefined) {
      // The batch is every caller's, not the request that opened it.
      this.timer = outsideRequest(() => setTimeout(() => this.fire(), this.windowMs));
    }
  }

  private fire(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.flushing = this.flushing.then(async () => {
      try {
        const index = await this.flush(batch.map((b) => b.item));
        for (const b of batch) b.resolve(index);
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    });
  }

  /**
   * Stops batching: items still waiting for their window are rejected with ServerStoppingError
   * (their callers try another server), and a flush already under way settles as it ends. Resolves
   * once it has.
   */
  close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const waiting = this.pending;
    this.pending = [];
    const stopping = new ServerStoppingError();
    for (const w of waiting) w.reject(stopping);
    return this.flushing;
  }
}
