import { assert } from "../common/assert.js";
import { hashString, type Owner, PMap } from "./persistent-map.js";

/**
 * An inner map a transaction creates, gathered to be built in one go (PMap.build) when it is first
 * read or the transaction finishes: a plan's 1,000 allocations of a new job and a new eval went
 * into two new maps one persistent insert at a time, each re-allocating the arrays on its path.
 * Invariant: `keys` are distinct (only keys known to be absent from the whole index are gathered).
 */
class NewInnerMap<T> {
  readonly keys: string[] = [];
  readonly values: T[] = [];
  readonly hashes: number[] = [];

  build(): PMap<T> {
    return PMap.build(this.keys, this.values, this.hashes);
  }
}

/**
 * Inner maps that one transaction's drafts built from gathered allocations, so that another
 * index that gathered exactly the same entries, in the same order, shares the built map instead
 * of building an equal one. A job's first plan places every allocation of the job under one eval:
 * its `allocsByJob` and `allocsByEval` maps hold the same entries, and were two tries of a
 * thousand entries each. Sharing is safe because built maps are immutable (no edit owner); the two
 * indexes part ways, path copy by path copy, at their next differing write.
 */
export class BuiltInnerMaps<T> {
  /**
   * Built maps by the first key gathered: a transaction that creates many new inner maps (a
   * restore of thousands of jobs and evals) compares each with the few that start alike.
   */
  private readonly byFirstKey = new Map<string, Array<{ gathered: NewInnerMap<T>; map: PMap<T> }>>();

  /** The map built from `gathered`, or from an earlier gathering of the same entries. */
  build(gathered: NewInnerMap<T>): PMap<T> {
    const first = gathered.keys[0];
    if (first === undefined) return gathered.build();
    const candidates = this.byFirstKey.get(first);
    for (const known of candidates ?? []) if (sameEntries(known.gathered, gathered)) return known.map;
    const map = gathered.build();
    if (candidates === undefined) this.byFirstKey.set(first, [{ gathered, map }]);
    else candidates.push({ gathered, map });
    return map;
  }
}

function sameEntries<T>(a: NewInnerMap<T>, b: NewInnerMap<T>): boolean {
  if (a.keys.length !== b.keys.length) return false;
  for (let i = 0; i < a.keys.length; i++) {
    if (a.keys[i] !== b.keys[i] || a.values[i] !== b.values[i]) return false;
  }
  return true;
}

/**
 * A secondary index (outer key → inner map) being changed by one transaction. The inner maps it
 * touches are kept in a plain Map until `finish()`, so a plan of 1,000 allocations of one eval
 * writes the outer trie once instead of 1,000 times. Reads see the pending changes.
 */
export class IndexDraft<T> {
  // Created on the first write: a transaction builds a dozen drafts and most commands touch one
  // or two of them (a variable write none), and the empty Maps were a measurable share of the
  // garbage per applied entry.
  private dirty: Map<string, PMap<T> | NewInnerMap<T>> | undefined;
  // The inner map last written: a plan writes 1,000 allocations under one job and one eval, and
  // this skips two Map lookups per write. Always equal to dirty.get(lastKey) when lastKey is set.
  private lastKey: string | undefined;
  private lastMap: PMap<T> | NewInnerMap<T> | undefined;

  constructor(
    private outer: PMap<PMap<T>>,
    private readonly owner: Owner,
  ) {}

  private dirtyMap(): Map<string, PMap<T> | NewInnerMap<T>> {
    this.dirty ??= new Map();
    return this.dirty;
  }

  get(key: string): PMap<T> | undefined {
    const pending = this.dirty?.get(key);
    if (pending !== undefined) {
      const map = pending instanceof NewInnerMap ? this.built(key, pending) : pending;
      return map.size === 0 ? undefined : map;
    }
    return this.outer.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Builds a gathered new inner map, which from then on takes writes one at a time. */
  private built(key: string, gathered: NewInnerMap<T>): PMap<T> {
    const map = gathered.build();
    this.dirtyMap().set(key, map);
    if (key === this.lastKey) this.lastMap = map;
    return map;
  }

  set(key: string, inner: string, value: T): void {
    this.setHashed(key, inner, hashString(inner), value);
  }

  /**
   * `set` with `innerHash` = hashString(inner) computed by the caller. `absent`: the caller knows
   * that `inner` is under no key of this index (a new allocation), so a new inner map may gather
   * it for a bulk build instead of inserting it.
   */
  setHashed(key: string, inner: string, innerHash: number, value: T, absent = false): void {
    let current = key === this.lastKey ? this.lastMap : (this.dirty?.get(key) ?? this.outer.get(key));
    if (absent && (current === undefined || current instanceof NewInnerMap)) {
      if (current === undefined) {
        current = new NewInnerMap<T>();
        this.dirtyMap().set(key, current);
      }
      current.keys.push(inner);
      current.values.push(value);
      current.hashes.push(innerHash);
      this.lastKey = key;
      this.lastMap = current;
      return;
    }
    if (current instanceof NewInnerMap) current = this.built(key, current);
    const next = (current ?? PMap.empty<T>()).setHashed(inner, innerHash, value, this.owner);
    if (next !== current || key !== this.lastKey) this.dirtyMap().set(key, next);
    this.lastKey = key;
    this.lastMap = next;
  }

  delete(key: string, inner: string): void {
    const map = this.get(key);
    if (map === undefined) return;
    const next = map.delete(inner, this.owner);
    if (next !== map) this.dirtyMap().set(key, next);
    if (key === this.lastKey) this.lastMap = next;
  }

  /**
   * The index with every pending change; empty inner maps are dropped. Gathered new inner maps
   * are built through `builds` when given (shared with other indexes finished with it).
   */
  finish(builds?: BuiltInnerMaps<T>): PMap<PMap<T>> {
    for (const [key, pending] of this.dirty ?? []) {
      const map = pending instanceof NewInnerMap ? (builds?.build(pending) ?? pending.build()) : pending;
      this.outer = map.size === 0 ? this.outer.delete(key, this.owner) : this.outer.set(key, map, this.owner);
    }
    this.dirty = undefined;
    this.lastKey = undefined;
    this.lastMap = undefined;
    return this.outer;
  }
}

/** Per-key counts (absent = 0) changed by one transaction, written back on `finish()`. */
export class CounterDraft {
  /** Created on the first write (see IndexDraft). */
  private dirty: Map<string, number> | undefined;

  constructor(
    private counts: PMap<number>,
    private readonly owner: Owner,
  ) {}

  private dirtyMap(): Map<string, number> {
    this.dirty ??= new Map();
    return this.dirty;
  }

  get(key: string): number {
    return this.dirty?.get(key) ?? this.counts.get(key) ?? 0;
  }

  add(key: string, delta: number): void {
    const next = this.get(key) + delta;
    assert(next >= 0, () => `counter for ${JSON.stringify(key)} went negative`);
    this.dirtyMap().set(key, next);
  }

  finish(): PMap<number> {
    for (const [key, count] of this.dirty ?? []) {
      this.counts =
        count === 0 ? this.counts.delete(key, this.owner) : this.counts.set(key, count, this.owner);
    }
    this.dirty = undefined;
    return this.counts;
  }
}
