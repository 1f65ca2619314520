import type { RaftId } from "./core/types.js";

/**
 * Network faults for tests, applied by the transport to every Raft message it sends or receives:
 * cut links to some peers (a partition), drop a share of messages, or delay them. Nothing is
 * injected unless a test asks for it.
 *
 * Randomness here is test-harness randomness on the I/O side, not inside the core.
 */
export class FaultInjector {
  private readonly cut = new Set<RaftId>();
  private isolatedFromAll = false;
  private dropRate = 0;
  private delayMs = 0;

  constructor(private readonly random: () => number = Math.random) {}

  /** Cuts this server off from the given peers in both directions. */
  partition(peers: readonly RaftId[]): void {
    for (const peer of peers) this.cut.add(peer);
  }

  /** Cuts this server off from every peer, present and future, in both directions. */
  isolate(): void {
    this.isolatedFromAll = true;
  }

  heal(): void {
    this.cut.clear();
    this.isolatedFromAll = false;
    this.dropRate = 0;
    this.delayMs = 0;
  }

  setDropRate(rate: number): void {
    this.dropRate = rate;
  }

  setDelayMs(ms: number): void {
    this.delayMs = ms;
  }

  /** Whether a message to or from `peer` passes right now. */
  passes(peer: RaftId): boolean {
    if (this.isolatedFromAll || this.cut.has(peer)) return false;
    return this.dropRate === 0 || this.random() >= this.dropRate;
  }

  /** Milliseconds to hold a message back (0: deliver now). */
  delay(): number {
    return this.delayMs;
  }

  describe(): { cut: RaftId[]; isolated: boolean; dropRate: number; delayMs: number } {
    return {
      cut: [...this.cut],
      isolated: this.isolatedFromAll,
      dropRate: this.dropRate,
      delayMs: this.delayMs,
    };
  }
}
