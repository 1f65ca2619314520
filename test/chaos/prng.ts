/**
 * The run's one source of randomness (mulberry32): every fault, its timing and every workload
 * choice derive from the seed, so a run's schedule of decisions replays from its seed. (What the
 * cluster does in between, timing included, is real and does not replay exactly.)
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.next() * items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A child generator for an independent stream (one per worker), so streams do not interleave. */
  fork(): Prng {
    return new Prng(Math.floor(this.next() * 4294967296));
  }
}
