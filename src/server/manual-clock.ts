import type { Nanos } from "../fsm/structs.js";
import type { CancelTimer, Clock } from "./clock.js";

interface ManualTimer {
  readonly dueMs: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when a test says so. `advance(ms)` fires every timer that comes due,
 * in due-time order (ties in creation order), including timers that the fired callbacks set
 * within the advanced window.
 */
export class ManualClock implements Clock {
  private nowMs: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.nowMs = startMs;
  }

  now(): Nanos {
    return this.nowMs * 1_000_000;
  }

  nowMillis(): number {
    return this.nowMs;
  }

  setTimeout(fn: () => void, ms: number): CancelTimer {
    const timer: ManualTimer = { dueMs: this.nowMs + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Number of timers still waiting to fire. */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: ManualTimer | undefined;
      for (const t of this.timers) {
        if (t.dueMs > target) continue;
        if (next === undefined || t.dueMs < next.dueMs || (t.dueMs === next.dueMs && t.seq < next.seq))
          next = t;
      }
      if (next === undefined) break;
      this.nowMs = Math.max(this.nowMs, next.dueMs);
      next.cancelled = true;
      next.fn();
    }
    this.nowMs = target;
  }
}
