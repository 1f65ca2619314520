/**
 * Secrets that the leader refused, remembered for a while by their hash. A server that does not
 * hold a token asks the leader, since the token may have been created a moment ago; without this
 * memory, every request with a wrong, deleted or made-up token would cost a call to the leader,
 * so that anyone who can reach a follower could make it load the leader at will.
 *
 * Why remembering a refusal is safe: secrets are made by the server that creates the token
 * (random UUIDs), so a secret the leader did not know cannot become valid later, except by a
 * snapshot restore that brings back a deleted token. A server resolves from its own state before
 * it looks here, so such a token works again as soon as the server has applied the restore, and
 * at the latest once the entry expires.
 *
 * Pure: the caller passes the time. Bounded: the oldest entry is dropped when full.
 */
export class UnknownSecrets {
  /** Secret hash → when the refusal expires (ns) and what the leader said. */
  private readonly refused = new Map<string, { until: number; message: string }>();

  constructor(
    private readonly ttlNs: number,
    private readonly max: number,
  ) {}

  /** The leader's refusal of `secretHash` if it is still remembered at `nowNs`. */
  refusal(secretHash: string, nowNs: number): string | undefined {
    const entry = this.refused.get(secretHash);
    if (entry === undefined) return undefined;
    if (entry.until > nowNs) return entry.message;
    this.refused.delete(secretHash);
    return undefined;
  }

  /** Remembers that the leader refused `secretHash` at `nowNs` with `message`. */
  remember(secretHash: string, message: string, nowNs: number): void {
    this.refused.delete(secretHash);
    if (this.refused.size >= this.max) {
      // Insertion order is expiry order (every entry lives ttlNs): the first one expires first.
      const oldest = this.refused.keys().next().value;
      if (oldest !== undefined) this.refused.delete(oldest);
    }
    this.refused.set(secretHash, { until: nowNs + this.ttlNs, message });
  }

  get size(): number {
    return this.refused.size;
  }
}
