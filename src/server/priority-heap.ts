/**
 * A binary min-heap under a comparator (`less(a, b)` true when `a` must come out first).
 * Used by the eval broker's ready queues and the plan queue: O(log n) push and pop.
 */
export class PriorityHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length > 0 && last !== undefined) {
      this.items[0] = last;
      this.down(0);
    }
    return top;
  }

  /** Removes every item matching `pred` (O(n)); returns the removed items. */
  removeWhere(pred: (item: T) => boolean): T[] {
    const removed: T[] = [];
    const kept: T[] = [];
    for (const item of this.items) (pred(item) ? removed : kept).push(item);
    if (removed.length === 0) return removed;
    this.items.length = 0;
    for (const item of kept) this.push(item);
    return removed;
  }

  /** Empties the heap and returns its items (in no particular order). */
  drain(): T[] {
    return this.items.splice(0, this.items.length);
  }

  values(): readonly T[] {
    return this.items;
  }

  private up(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.at(i), this.at(parent))) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(index: number): void {
    let i = index;
    const n = this.items.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < n && this.less(this.at(left), this.at(best))) best = left;
      if (right < n && this.less(this.at(right), this.at(best))) best = right;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
  }

  private at(i: number): T {
    return this.items[i] as T;
  }

  private swap(i: number, j: number): void {
    const a = this.at(i);
    this.items[i] = this.at(j);
    this.items[j] = a;
  }
}
