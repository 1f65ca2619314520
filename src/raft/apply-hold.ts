/**
 * A follower's committed entries, held briefly before they go to the apply loop.
 *
 * Nobody waits for a follower's apply: its clients' writes are answered by the leader, and what
 * reads its state (stale reads, scheduler workers waiting for an eval's index) already sees it
 * trail the leader by the commit hold (commit-hold.ts). Yet each apply call costs the follower a
 * wake-up of the thread that hosts the state machine, a port message and a state-store write, so
 * at one write outstanding every write paid them on every follower, each for one entry. Holding
 * the entries for up to `holdMs` hands them over in one call per hold instead; past `maxBytes`
 * they go at once, so a busy follower neither waits nor buffers more than that.
 *
 * Invariants: `held` is a contiguous run of entries in index order, `heldBytes` is the sum of
 * their data lengths, and a hold timer runs iff entries are held. Entries leave only through
 * `release`, in order; the caller releases what is held before anything that must apply after
 * it (an installed snapshot) and whenever this server stops being a follower.
 */
import type { Entry } from "./core/types.js";

export class ApplyHold {
  private held: Entry[] = [];
  private heldBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly release: (entries: readonly Entry[]) => void,
    private readonly holdMs: number,
    private readonly maxBytes: number,
  ) {}

  /** Holds `entries` (following what is held), releasing everything once `maxBytes` is passed. */
  hold(entries: readonly Entry[]): void {
    for (const entry of entries) {
      this.held.push(entry);
      this.heldBytes += entry.data.byteLength;
    }
    if (this.heldBytes >= this.maxBytes) {
      this.flush();
    } else if (this.timer === undefined && this.held.length > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.holdMs);
    }
  }

  /** Hands over what is held now. */
  flush(): void {
    this.clearTimer();
    if (this.held.length === 0) return;
    const entries = this.held;
    this.held = [];
    this.heldBytes = 0;
    this.release(entries);
  }

  /**
   * Forgets what is held (the server stops: the entries are in the durable log and are applied
   * again after a restart, from the state machine's own applied index).
   */
  drop(): void {
    this.clearTimer();
    this.held = [];
    this.heldBytes = 0;
  }

  get heldCount(): number {
    return this.held.length;
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
