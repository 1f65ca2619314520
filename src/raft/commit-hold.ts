/**
 * A steady leader's outgoing messages, with commit-only appends held back briefly.
 *
 * The core sends every follower an append without entries each time the commit index moves, only
 * to tell it so; at one write outstanding that doubled the messages (and acks, and wake-ups of
 * three processes) per write. Such an append is held for up to `holdMs`; the next append with
 * entries to that follower carries a commit index at least as new and replaces it, and a held
 * append nothing replaced goes out when the hold ends. Dropping a replaced append is message
 * loss, which Raft tolerates (§5.3: the next append repeats the consistency check); a probe is
 * never replaced (the core sends nothing else to a paused follower), only delayed.
 *
 * Invariant: at most one held append per follower, and a hold timer runs iff one is held.
 */
import type { Message, RaftId } from "./core/types.js";

export class CommitHold {
  private readonly held = new Map<RaftId, Message>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (messages: readonly Message[]) => void,
    private readonly holdMs: number,
    /** Whether held appends are still worth sending when the hold ends (still leader, running). */
    private readonly stillLeading: () => boolean,
  ) {}

  /** Sends `messages` now, except commit-only appends, which are held (see the header). */
  sendAsLeader(messages: readonly Message[]): void {
    const out: Message[] = [];
    for (const m of messages) {
      if (m.type === "app" && m.entries.length === 0) {
        this.held.set(m.to, m);
        continue;
      }
      if (m.type === "app") this.held.delete(m.to);
      out.push(m);
    }
    if (out.length > 0) this.send(out);
    if (this.held.size === 0) {
      this.clearTimer();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.release();
      }, this.holdMs);
    }
  }

  /** Sends what is held (as leader; otherwise drops it, as stale). */
  release(): void {
    const held = [...this.held.values()];
    this.held.clear();
    this.clearTimer();
    if (held.length > 0 && this.stillLeading()) this.send(held);
  }

  /** Drops what is held: the steady leadership it belonged to may be over. */
  drop(): void {
    this.held.clear();
    this.clearTimer();
  }

  get heldCount(): number {
    return this.held.size;
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
