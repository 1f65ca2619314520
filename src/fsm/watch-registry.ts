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

/** The watch key prefix of the allocations on one node: `allocs:node:<nodeId>`. */
export const ALLOCS_OF_NODE = "allocs:node:";

export class WatchRegistry {
  private readonly byKey = new Map<string, Set<Waiter>>();
  /**
   * The object keys waited on (those with a ":"), by their table (the part before the first
   * ":"): a commit of a thousand records then looks up only the keys someone waits on when they
   * are fewer, instead of building a key string per record. Invariant: holds exactly the keys of
   * `byKey` that contain a ":".
   */
  private readonly objectKeysByTable = new Map<string, Set<string>>();

  /** Registers a one-shot waiter; returns a function that removes it (idempotent). */
  add(keys: readonly string[], wake: () => void): () => void {
    const waiter: Waiter = { keys, wake };
    for (const key of keys) {
      let set = this.byKey.get(key);
      if (set === undefined) {
        set = new Set();
        this.byKey.set(key, set);
        this.indexObjectKey(key, true);
      }
      set.add(waiter);
    }
    return () => this.remove(waiter);
  }

  /** Wakes (and removes) every waiter on any of the touched keys. */
  fire(touched: Iterable<string>): void {
    const woken: Waiter[] = [];
    for (const key of touched) this.collect(key, woken);
    this.wake(woken);
  }

  /**
   * Wakes (and removes) every waiter on what one commit touched: each changed table, the key
   * `<table>:<key>` of each changed record (`records`: table → changed keys), the keys of
   * `touched`, and `allocs:node:<id>` for each id of `allocNodes`. Builds a key string only for
   * tables (and the node prefix) someone waits on, and then only for the fewer of the changed
   * keys and the waited-on ones.
   */
  fireCommit(
    records: ReadonlyMap<string, ReadonlyMap<string, unknown>>,
    touched: Iterable<string>,
    allocNodes: ReadonlySet<string>,
  ): void {
    if (this.byKey.size === 0) return;
    const woken: Waiter[] = [];
    for (const [table, changed] of records) {
      this.collect(table, woken);
      this.collectPrefixed(`${table}:`, changed, woken);
    }
    for (const key of touched) this.collect(key, woken);
    this.collectPrefixed(ALLOCS_OF_NODE, allocNodes, woken);
    this.wake(woken);
  }

  /** Collects the waiters on `prefix + id` for each id of `ids` (a Set or a Map's keys). */
  private collectPrefixed(
    prefix: string,
    ids: ReadonlySet<string> | ReadonlyMap<string, unknown>,
    woken: Waiter[],
  ): void {
    const keys = this.objectKeysByTable.get(prefix.slice(0, prefix.indexOf(":")));
    if (keys === undefined || ids.size === 0) return;
    if (keys.size < ids.size) {
      for (const key of keys) {
        if (key.startsWith(prefix) && ids.has(key.slice(prefix.length))) this.collect(key, woken);
      }
      return;
    }
    for (const id of ids.keys()) this.collect(`${prefix}${id}`, woken);
  }

  private collect(key: string, woken: Waiter[]): void {
    const set = this.byKey.get(key);
    if (set === undefined) return;
    for (const waiter of set) woken.push(waiter);
  }

  private wake(woken: readonly Waiter[]): void {
    for (const waiter of woken) {
      this.remove(waiter);
      waiter.wake();
    }
  }

  private indexObjectKey(key: string, add: boolean): void {
    const colon = key.indexOf(":");
    if (colon < 0) return;
    const table = key.slice(0, colon);
    let keys = this.objectKeysByTable.get(table);
    if (add) {
      if (keys === undefined) {
        keys = new Set();
        this.objectKeysByTable.set(table, keys);
      }
      keys.add(key);
      return;
    }
    keys?.delete(key);
    if (keys?.size === 0) this.objectKeysByTable.delete(table);
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
      if (set.size === 0) {
        this.byKey.delete(key);
        this.indexObjectKey(key, false);
      }
    }
  }
}
