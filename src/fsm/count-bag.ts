import { assert } from "../common/assert.js";

/**
 * A persistent multiset (key → count > 0) for the per-node usage summaries: a sorted base run
 * plus a short list of signed changes on top of it. A node's summary is rewritten once per
 * allocation placed on it, so what one write costs is what a plan costs per allocation.
 *
 * The changes are a singly linked list of cells, newest first. A draft prepends a cell per key it
 * changes, so the new version shares every cell of the version it started from: a write allocates
 * one small cell instead of copying a sorted change run (two arrays per node a plan touches, the
 * largest share of the usage upkeep's garbage). Once the list outgrows its limit (maxChanges) it
 * is folded into a new base, so the O(size) copy is paid once per that many writes. Reads walk the
 * list: it is short (about √size cells), and the schedulers read a node's counts a few times per
 * ranking.
 *
 * Immutable once published: a draft changes only the cells it made since it last finished (no
 * published version holds those yet). The arrays are read-only by type and not frozen (copying a
 * frozen array is several times slower).
 */
export interface CountBag<K extends string | number> {
  /** Ascending, each once. */
  readonly keys: readonly K[];
  /** counts[i] > 0: the base count of keys[i]. */
  readonly counts: readonly number[];
  /**
   * Changes to the base counts, newest first. A key may have several cells: its count is its base
   * count plus the sum of their deltas, which is never negative.
   */
  readonly changes: ChangeCell<K> | undefined;
  /** How many cells `changes` holds. */
  readonly changeCount: number;
}

/** One change of a bag: `delta` added to the base count of `key` (see CountBag.changes). */
export class ChangeCell<K extends string | number> {
  constructor(
    readonly key: K,
    /** Changed in place only by the draft that made the cell, before it publishes it. */
    public delta: number,
    readonly next: ChangeCell<K> | undefined,
  ) {}
}

/**
 * A change list longer than this is folded into the base when a draft finishes: √(base size), at
 * least 8. A write walks the list and a fold copies the base once per that many writes, so each
 * write costs O(√size) either way.
 */
function maxChanges(baseSize: number): number {
  return Math.max(8, Math.ceil(Math.sqrt(baseSize)));
}

/**
 * A draft whose own cells pass this many times the limit folds them in before going on: one
 * transaction writing many keys of one bag (a plan of many groups or ports on one node) would
 * otherwise walk an ever longer list on every write.
 */
const DRAFT_SLACK = 4;

const NONE: readonly never[] = Object.freeze([]);

export function emptyBag<K extends string | number>(): CountBag<K> {
  return EMPTY_BAG as CountBag<K>;
}

const EMPTY_BAG: CountBag<never> = Object.freeze({
  keys: NONE,
  counts: NONE,
  changes: undefined,
  changeCount: 0,
});

/** A bag holding `counts` (each key once, counts > 0). */
export function bagOf<K extends string | number>(counts: ReadonlyMap<K, number>): CountBag<K> {
  if (counts.size === 0) return emptyBag();
  const keys = [...counts.keys()].sort(compare);
  return { keys, counts: keys.map((key) => counts.get(key) as number), changes: undefined, changeCount: 0 };
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

function changeOf<K extends string | number>(cells: ChangeCell<K> | undefined, key: K): number {
  let sum = 0;
  for (let cell = cells; cell !== undefined; cell = cell.next) if (cell.key === key) sum += cell.delta;
  return sum;
}

/** The count of `key` (0 when absent). */
export function bagCount<K extends string | number>(bag: CountBag<K>, key: K): number {
  return countIn(bag.keys, bag.counts, key) + changeOf(bag.changes, key);
}

/** The sum of the counts of the keys that start with `prefix` (they are adjacent in order). */
export function bagPrefixSum(bag: CountBag<string>, prefix: string): number {
  let sum = 0;
  for (let at = lowerBound(bag.keys, prefix); at < bag.keys.length; at++) {
    if (!(bag.keys[at] as string).startsWith(prefix)) break;
    sum += bag.counts[at] as number;
  }
  for (let cell = bag.changes; cell !== undefined; cell = cell.next) {
    if (cell.key.startsWith(prefix)) sum += cell.delta;
  }
  return sum;
}

/** Every key with its count, ascending. */
export function* bagEntries<K extends string | number>(bag: CountBag<K>): Generator<[K, number]> {
  const { keys, counts } = bag;
  if (bag.changes === undefined) {
    for (let i = 0; i < keys.length; i++) yield [keys[i] as K, counts[i] as number];
    return;
  }
  const [changedKeys, changes] = netChanges(bag.changes);
  let i = 0;
  let j = 0;
  while (i < keys.length || j < changedKeys.length) {
    const a = keys[i];
    const b = changedKeys[j];
    if (b === undefined || (a !== undefined && a < b)) {
      yield [a as K, counts[i] as number];
      i++;
    } else if (a === undefined || b < a) {
      // The net change of a key absent from the base is its count (never negative).
      if ((changes[j] as number) > 0) yield [b, changes[j] as number];
      j++;
    } else {
      const total = (counts[i] as number) + (changes[j] as number);
      if (total > 0) yield [a, total];
      i++;
      j++;
    }
  }
}

/** The keys the cells change, ascending, each once, with their summed deltas. */
function netChanges<K extends string | number>(cells: ChangeCell<K> | undefined): [K[], number[]] {
  const net = new Map<K, number>();
  for (let cell = cells; cell !== undefined; cell = cell.next) {
    net.set(cell.key, (net.get(cell.key) ?? 0) + cell.delta);
  }
  const keys = [...net.keys()].sort(compare);
  return [keys, keys.map((key) => net.get(key) as number)];
}

/** An upper bound of the number of keys (for choosing which of two sets to walk). */
export function bagSizeBound<K extends string | number>(bag: CountBag<K>): number {
  return bag.keys.length + bag.changeCount;
}

/** A bag being changed; `finish()` publishes the new immutable one. */
export class BagDraft<K extends string | number> {
  private head: ChangeCell<K> | undefined;
  private length: number;
  /**
   * The first `own` cells of the list were made by this draft since it last finished: no
   * published version holds them, so they may be changed in place.
   */
  private own = 0;

  constructor(private base: CountBag<K>) {
    this.head = base.changes;
    this.length = base.changeCount;
  }

  /** The count of `key` now. */
  count(key: K): number {
    return countIn(this.base.keys, this.base.counts, key) + changeOf(this.head, key);
  }

  /** Adds `delta` to the count of `key`; returns the count before. Counts never go below 0. */
  add(key: K, delta: number): number {
    // One walk finds both the change so far and the newest cell of `key` this draft owns.
    let change = 0;
    let mine: ChangeCell<K> | undefined;
    let at = 0;
    for (let cell = this.head; cell !== undefined; cell = cell.next, at++) {
      if (cell.key !== key) continue;
      change += cell.delta;
      if (at < this.own && mine === undefined) mine = cell;
    }
    const before = countIn(this.base.keys, this.base.counts, key) + change;
    assert(before + delta >= 0, () => `count of ${JSON.stringify(key)} went negative`);
    if (mine !== undefined) {
      mine.delta += delta;
      return before;
    }
    this.head = new ChangeCell(key, delta, this.head);
    this.length++;
    this.own++;
    if (this.own > DRAFT_SLACK * maxChanges(this.base.keys.length)) {
      // Folded into a base of this draft's own (the published base is left as it was).
      this.base = this.folded();
      this.head = undefined;
      this.length = 0;
      this.own = 0;
    }
    return before;
  }

  finish(): CountBag<K> {
    if (this.head === this.base.changes) return this.base;
    const bag =
      this.length <= maxChanges(this.base.keys.length)
        ? { keys: this.base.keys, counts: this.base.counts, changes: this.head, changeCount: this.length }
        : this.folded();
    // From here on the draft starts from what it published and owns no cell of it.
    this.base = bag;
    this.head = bag.changes;
    this.length = bag.changeCount;
    this.own = 0;
    return bag;
  }

  /** The base with the changes folded in (keys whose count reaches 0 are dropped). */
  private folded(): CountBag<K> {
    // Plain loops over the net changes, not bagEntries: a fold runs once per few writes of every
    // node a plan touches, and the generator's result objects were most of its cost.
    const base = this.base;
    const [changedKeys, changes] = netChanges(this.head);
    const keys: K[] = [];
    const counts: number[] = [];
    let i = 0;
    let j = 0;
    while (i < base.keys.length || j < changedKeys.length) {
      const a = base.keys[i];
      const b = changedKeys[j];
      let key: K;
      let count: number;
      if (b === undefined || (a !== undefined && a < b)) {
        key = a as K;
        count = base.counts[i++] as number;
      } else if (a === undefined || b < a) {
        key = b;
        count = changes[j++] as number;
      } else {
        key = a;
        count = (base.counts[i++] as number) + (changes[j++] as number);
      }
      if (count > 0) {
        keys.push(key);
        counts.push(count);
      }
    }
    if (keys.length === 0) return emptyBag();
    return { keys, counts, changes: undefined, changeCount: 0 };
  }
}
