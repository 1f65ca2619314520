/**
 * Wake-ups for blocking queries, client alloc watches and scheduler workers. A waiter listens on
 * keys — a table name ("allocs") or an object key ("allocs:<id>", and the index keys
 * "allocs:node:<nodeId>" and "allocs:job:<namespace>\0<jobId>") — and is woken once by the first
 * commit that touches any of them. Waiters are kept per key, so a commit costs O(keys touched),
 * not O(waiters).
 */
interface Waiter {
  readonly keys: readonly string[];
  readonly wake: () => void;
}

export class WatchRegistry {
  private readonly byKey = new Map<string, Set<Waiter>>();

  /** Registers a one-shot waiter; returns a function that removes it (idempotent). */
  add(keys: readonly string[], wake: () => void): () => void {
    const waiter: Waiter = { keys, wake };
    for (const key of keys) {
      let set = this.byKey.get(key);
      if (set === undefined) {
        set = new Set();
        this.byKey.set(key, set);
      }
      set.add(waiter);
    }
    return () => this.remove(waiter);
  }

  /** Wakes (and removes) every waiter on any of the touched keys. */
  fire(touched: Iterable<string>): void {
    const woken: Waiter[] = [];
    for (const key of touched) {
      const set = this.byKey.get(key);
      if (set === undefined) continue;
      for (const waiter of set) woken.push(waiter);
    }
    for (const waiter of woken) {
      this.remove(waiter);
      waiter.wake();
    }
  }

  /** Wakes every waiter (the whole state was replaced). */
  fireAll(): void {
    this.fire([...this.byKey.keys()]);
  }

  get size(): number {
    return this.byKey.size;
  }

  private remove(waiter: Waiter): void {
    for (const key of waiter.keys) {
      const set = this.byKey.get(key);
      if (set === undefined) continue;
      set.delete(waiter);
      if (set.size === 0) this.byKey.delete(key);
    }
  }
}
