import type { Nanos } from "../fsm/structs.js";

/** Cancels a timer; calling it after the timer fired (or twice) does nothing. */
export type CancelTimer = () => void;

/**
 * Wall-clock time and timers, injected into every leader duty (broker delays, nack timeouts,
 * heartbeat TTLs, periodic launches) so that tests drive time with a ManualClock instead of
 * sleeping, and so that `now` handed to schedulers and commands comes from one place.
 */
export interface Clock {
  /** Unix time in nanoseconds (structs.ts units). */
  now(): Nanos;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): CancelTimer;
}

/** The real clock: Date.now and Node timers. Timers never keep the process alive on their own. */
export class SystemClock implements Clock {
  now(): Nanos {
    return Date.now() * 1_000_000;
  }

  setTimeout(fn: () => void, ms: number): CancelTimer {
    const handle = setTimeout(fn, Math.max(0, ms));
    handle.unref();
    return () => clearTimeout(handle);
  }
}
