import { assert } from "../common/assert.js";

/**
 * A persistent multiset (key → count > 0) for the per-node usage summaries: a sorted base run
 * plus a short sorted run of signed changes on top of it. A write copies only the change run (a
 * few dozen slots at most); once that run outgrows its limit (maxChanges) it is merged into a new
 * base, so the O(size) copy is paid once per that many writes instead of on every write. A node's
 * summary is rewritten once per allocation placed on it, and copying its whole bag each time was
 * the dominant cost (and old-generation garbage) of applying a plan.
 *
 * Immutable once published: a draft copies whatever it changes. The arrays are read-only by type
 * and not frozen (copying a frozen array is several times slower).
 */
export interface CountBag<K extends string | number> {
  /** Ascending, each once. */
  readonly keys: readonly K[];
  /** counts[i] > 0: the base count of keys[i]. */
  readonly counts: readonly number[];
  /** Ascending, each once: keys whose count differs from the base. */
  readonly changedKeys: readonly K[];
  /** changes[i] ≠ 0: what to add to the base count of changedKeys[i]. */
  readonly changes: readonly number[];
}

/**
 * A change run longer than this is merged into the base when a draft finishes: √(base size), at
 * least 8. A write copies the change run (up to the limit) and a merge copies the base once per
 * limit writes, so each write copies O(√size) slots either way.
 */
function maxChanges(baseSize: number): number {
  return Math.max(8, Math.ceil(Math.sqrt(baseSize)));
}

const NONE: readonly never[] = Object.freeze([]);

export function emptyBag<K extends string | number>(): CountBag<K> {
  return EMPTY_BAG as CountBag<K>;
}

const EMPTY_BAG: CountBag<never> = Object.freeze({
  keys: NONE,
  counts: NONE,
  changedKeys: NONE,
  changes: NONE,
});

/** A bag holding `counts` (each key once, counts > 0). */
export function bagOf<K extends string | number>(counts: ReadonlyMap<K, number>): CountBag<K> {
  if (counts.size === 0) return emptyBag();
  const keys = [...counts.keys()].sort(compare);
  return { keys, counts: keys.map((key) => counts.get(key) as number), changedKeys: NONE, changes: NONE };
}

function compare<K extends string | number>(a: K, b: K): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first index of `sorted` whose element is not below `value`. */
function lowerBound<K extends string | number>(sorted: readonly K[], value: K): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as K) < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

function countIn<K extends string | number>(keys: readonly K[], counts: readonly number[], key: K): number {
  const at = lowerBound(keys, key);
  return keys[at] === key ? (counts[at] as number) : 0;
}

/** The count of `key` (0 when absent). */
export function bagCount<K extends string | number>(bag: CountBag<K>, key: K): number {
  return countIn(bag.keys, bag.counts, key) + countIn(bag.changedKeys, bag.changes, key);
}

/** The sum of the counts of the keys that start with `prefix` (they are adjacent in order). */
export function bagPrefixSum(bag: CountBag<string>, prefix: string): number {
  return prefixSum(bag.keys, bag.counts, prefix) + prefixSum(bag.changedKeys, bag.changes, prefix);
}

function prefixSum(keys: readonly string[], counts: readonly number[], prefix: string): number {
  let sum = 0;
  for (let at = lowerBound(keys, prefix); at < keys.length && (keys[at] as string).startsWith(prefix); at++) {
    sum += counts[at] as number;
  }
  return sum;
}

/** Every key with its count, ascending. */
export function* bagEntries<K extends string | number>(bag: CountBag<K>): Generator<[K, number]> {
  const { keys, counts, changedKeys, changes } = bag;
  let i = 0;
  let j = 0;
  while (i < keys.length || j < changedKeys.length) {
    const a = keys[i];
    const b = changedKeys[j];
    if (b === undefined || (a !== undefined && a < b)) {
      yield [a as K, counts[i] as number];
      i++;
    } else if (a === undefined || b < a) {
      // A change of a key absent from the base is an addition (it is never negative).
      yield [b, changes[j] as number];
      j++;
    } else {
      const total = (counts[i] as number) + (changes[j] as number);
      if (total > 0) yield [a, total];
      i++;
      j++;
    }
  }
}

/** An upper bound of the number of keys (for choosing which of two sets to walk). */
export function bagSizeBound<K extends string | number>(bag: CountBag<K>): number {
  return bag.keys.length + bag.changedKeys.length;
}

/** A bag being changed; `finish()` publishes the new immutable one. */
export class BagDraft<K extends string | number> {
  private changedKeys: K[];
  private changes: number[];
  private owned = false;

  constructor(private readonly base: CountBag<K>) {
    this.changedKeys = base.changedKeys as K[];
    this.changes = base.changes as number[];
  }

  /** The count of `key` now. */
  count(key: K): number {
    return countIn(this.base.keys, this.base.counts, key) + countIn(this.changedKeys, this.changes, key);
  }

  /** Adds `delta` to the count of `key`; returns the count before. Counts never go below 0. */
  add(key: K, delta: number): number {
    const before = this.count(key);
    assert(before + delta >= 0, () => `count of ${JSON.stringify(key)} went negative`);
    if (!this.owned) {
      this.changedKeys = this.changedKeys.slice();
      this.changes = this.changes.slice();
      this.owned = true;
    }
    const keys = this.changedKeys;
    const at = lowerBound(keys, key);
    if (keys[at] === key) {
      const change = (this.changes[at] as number) + delta;
      if (change !== 0) {
        this.changes[at] = change;
      } else {
        removeAt(keys, at);
        removeAt(this.changes, at);
      }
    } else {
      insertAt(keys, at, key);
      insertAt(this.changes, at, delta);
    }
    return before;
  }

  finish(): CountBag<K> {
    if (!this.owned) return this.base;
    this.owned = false;
    if (this.changedKeys.length <= maxChanges(this.base.keys.length)) {
      return {
        keys: this.base.keys,
        counts: this.base.counts,
        changedKeys: this.changedKeys,
        changes: this.changes,
      };
    }
    return this.merged();
  }

  /** The base with the changes folded in (keys whose count reaches 0 are dropped). */
  private merged(): CountBag<K> {
    const keys: K[] = [];
    const counts: number[] = [];
    for (const [key, count] of bagEntries({
      ...this.base,
      changedKeys: this.changedKeys,
      changes: this.changes,
    })) {
      keys.push(key);
      counts.push(count);
    }
    if (keys.length === 0) return emptyBag();
    return { keys, counts, changedKeys: NONE, changes: NONE };
  }
}

// Array.prototype.splice was most of the upkeep (a generic builtin that also allocates the
// removed elements); plain loops over short arrays are what the JIT does well.

function insertAt<T>(array: T[], at: number, value: T): void {
  array.push(value);
  for (let i = array.length - 1; i > at; i--) array[i] = array[i - 1] as T;
  array[at] = value;
}

function removeAt<T>(array: T[], at: number): void {
  for (let i = at + 1; i < array.length; i++) array[i - 1] = array[i] as T;
  array.pop();
}
