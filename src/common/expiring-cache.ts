/**
 * A bounded map whose entries expire a fixed time after they were set. Pure: the caller passes
 * the time, in the unit of `ttl`. When full, the oldest entry goes first; since every entry lives
 * `ttl`, insertion order is expiry order.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, { until: number; value: V }>();

  constructor(
    private readonly ttl: number,
    private readonly max: number,
  ) {}

  /** The value set for `key` if it has not expired at `now`. */
  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until > now) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Sets `key` to `value` from `now` on (a renewed key counts as the newest). */
  set(key: string, value: V, now: number): void {
    if (this.max <= 0 || this.ttl <= 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { until: now + this.ttl, value });
  }

  get size(): number {
    return this.entries.size;
  }
}
