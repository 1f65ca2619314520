import { assert } from "../common/assert.js";

/**
 * A persistent (immutable) hash array mapped trie keyed by strings, after Bagwell's HAMT and
 * Clojure's PersistentHashMap. Every `set`/`delete` returns a new map that shares all untouched
 * nodes with the old one, so keeping an old version (a state snapshot) costs O(1) and later writes
 * never show in it.
 *
 * Edit tokens ("transients"): a write given an `owner` may mutate in place the nodes that were
 * created under that same owner. A state-store transaction creates one fresh owner, so a batch of
 * 1,000 inserts copies each touched path once instead of 1,000 times; once the transaction
 * commits its owner is never used again, which makes every node it created immutable from then
 * on. Callers must never hand an owner to code that holds a version they still read.
 *
 * Iteration order is canonical: it depends only on the set of keys (by hash, then by key within a
 * full-hash collision), never on insertion order or history, so two stores holding the same data
 * iterate — and therefore serialise — identically.
 */

export type Owner = object;

const BITS = 5;
const MASK = 0x1f;
/** The deepest shift with hash bits left (32-bit hash: shifts 0, 5, …, 30). */
const MAX_SHIFT = 30;

/**
 * A bitmap node is one array: `[bitmap, owner, k0, v0, k1, v1, …]`, the pairs being `[key,
 * value]` for a leaf and `[undefined, child node]` for a sub-trie. A wrapper object holding the
 * bitmap, the owner and the pair array cost one more object (48 bytes) per node: a million stored
 * allocations keep about a million trie nodes across their four maps, and each write copies a few.
 * The array's length is exact (2 + 2 × the bitmap's population); a node that gains or loses a
 * pair is a new array, so its parent points to the new one (edited in place when owned).
 */
type BitmapNode = unknown[];

const BITMAP = 0;
const OWNER = 1;
/** Index of a bitmap node's first pair. */
const PAIRS = 2;

function bitmapNode(bitmap: number, owner: Owner | null, pairs: number): BitmapNode {
  const node = new Array<unknown>(PAIRS + pairs * 2);
  node[BITMAP] = bitmap;
  node[OWNER] = owner;
  return node;
}

function isBitmap(node: TrieNode): node is BitmapNode {
  return Array.isArray(node);
}

function bitmapOf(node: BitmapNode): number {
  return node[BITMAP] as number;
}

/** Keys whose full 32-bit hashes are equal, kept sorted by key (canonical order). */
class CollisionNode {
  constructor(
    readonly hash: number,
    public array: unknown[],
    public owner: Owner | null,
  ) {}
}

type TrieNode = BitmapNode | CollisionNode;

/** FNV-1a over UTF-16 code units; good enough spread for UUIDs and paths. */
export function hashString(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche so that keys differing only at the end spread over the first levels too.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

// Set by insert/remove to report whether the size changed (Clojure's "Box").
let sizeDelta = 0;

function editableBitmap(node: BitmapNode, owner: Owner | null): BitmapNode {
  if (owner !== null && node[OWNER] === owner) return node;
  const copy = node.slice();
  copy[OWNER] = owner;
  return copy;
}

/** `node` with `key, value` inserted at `at` (an array index), in a new node of exactly the right length. */
function withPair(
  node: BitmapNode,
  bitmap: number,
  owner: Owner | null,
  at: number,
  key: string,
  value: unknown,
): BitmapNode {
  const out = new Array<unknown>(node.length + 2);
  out[BITMAP] = bitmap;
  out[OWNER] = owner;
  for (let i = PAIRS; i < at; i++) out[i] = node[i];
  out[at] = key;
  out[at + 1] = value;
  for (let i = at; i < node.length; i++) out[i + 2] = node[i];
  return out;
}

function editableCollision(node: CollisionNode, owner: Owner | null): CollisionNode {
  if (owner !== null && node.owner === owner) return node;
  return new CollisionNode(node.hash, node.array.slice(), owner);
}

function pairNode(
  shift: number,
  k1: string,
  v1: unknown,
  h1: number,
  k2: string,
  v2: unknown,
  h2: number,
  owner: Owner | null,
): TrieNode {
  if (h1 === h2) {
    return new CollisionNode(h1, k1 < k2 ? [k1, v1, k2, v2] : [k2, v2, k1, v1], owner);
  }
  assert(shift <= MAX_SHIFT, "hamt: distinct hashes ran out of bits");
  const c1 = (h1 >>> shift) & MASK;
  const c2 = (h2 >>> shift) & MASK;
  if (c1 === c2) {
    const node = bitmapNode(1 << c1, owner, 1);
    node[PAIRS] = undefined;
    node[PAIRS + 1] = pairNode(shift + BITS, k1, v1, h1, k2, v2, h2, owner);
    return node;
  }
  const node = bitmapNode((1 << c1) | (1 << c2), owner, 2);
  const first = c1 < c2 ? PAIRS : PAIRS + 2;
  const second = c1 < c2 ? PAIRS + 2 : PAIRS;
  node[first] = k1;
  node[first + 1] = v1;
  node[second] = k2;
  node[second + 1] = v2;
  return node;
}

/** The array index of the pair of `bit` in a node with `bitmap`. */
function pairAt(bitmap: number, bit: number): number {
  return PAIRS + 2 * popcount(bitmap & (bit - 1));
}

function getIn(root: TrieNode, hash: number, key: string): unknown {
  let node: TrieNode = root;
  let shift = 0;
  for (;;) {
    if (isBitmap(node)) {
      const bitmap = bitmapOf(node);
      const bit = 1 << ((hash >>> shift) & MASK);
      if ((bitmap & bit) === 0) return undefined;
      const at = pairAt(bitmap, bit);
      const k = node[at];
      const v = node[at + 1];
      if (k === undefined) {
        node = v as TrieNode;
        shift += BITS;
        continue;
      }
      return k === key ? v : undefined;
    }
    if (node.hash !== hash) return undefined;
    const arr = node.array;
    for (let i = 0; i < arr.length; i += 2) if (arr[i] === key) return arr[i + 1];
    return undefined;
  }
}

function insert(
  node: TrieNode,
  shift: number,
  hash: number,
  key: string,
  value: unknown,
  owner: Owner | null,
): TrieNode {
  if (!isBitmap(node)) {
    if (node.hash === hash) {
      const arr = node.array;
      let i = 0;
      while (i < arr.length && (arr[i] as string) < key) i += 2;
      if (i < arr.length && arr[i] === key) {
        if (arr[i + 1] === value) return node;
        const edit = editableCollision(node, owner);
        edit.array[i + 1] = value;
        return edit;
      }
      const edit = editableCollision(node, owner);
      edit.array.splice(i, 0, key, value);
      sizeDelta = 1;
      return edit;
    }
    // A different hash reached a collision node: put the collision node under a bitmap node.
    const wrapper = bitmapNode(1 << ((node.hash >>> shift) & MASK), owner, 1);
    wrapper[PAIRS] = undefined;
    wrapper[PAIRS + 1] = node;
    return insert(wrapper, shift, hash, key, value, owner);
  }
  const bitmap = bitmapOf(node);
  const bit = 1 << ((hash >>> shift) & MASK);
  const at = pairAt(bitmap, bit);
  if ((bitmap & bit) === 0) {
    // A new node of exactly the new length, even for a node this owner may edit: splice would
    // grow the array by half again plus 16 slots, and the slack stays in the stored trie.
    sizeDelta = 1;
    return withPair(node, bitmap | bit, owner, at, key, value);
  }
  const k = node[at];
  const v = node[at + 1];
  if (k === undefined) {
    const child = insert(v as TrieNode, shift + BITS, hash, key, value, owner);
    if (child === v) return node;
    const edit = editableBitmap(node, owner);
    edit[at + 1] = child;
    return edit;
  }
  if (k === key) {
    if (v === value) return node;
    const edit = editableBitmap(node, owner);
    edit[at + 1] = value;
    return edit;
  }
  const sub = pairNode(shift + BITS, k as string, v, hashString(k as string), key, value, hash, owner);
  sizeDelta = 1;
  const edit = editableBitmap(node, owner);
  edit[at] = undefined;
  edit[at + 1] = sub;
  return edit;
}

/** Returns the node without `key`, or null when the node became empty. */
function remove(
  node: TrieNode,
  shift: number,
  hash: number,
  key: string,
  owner: Owner | null,
): TrieNode | null {
  if (!isBitmap(node)) {
    if (node.hash !== hash) return node;
    const arr = node.array;
    for (let i = 0; i < arr.length; i += 2) {
      if (arr[i] !== key) continue;
      sizeDelta = -1;
      if (arr.length === 2) return null;
      const edit = editableCollision(node, owner);
      edit.array.splice(i, 2);
      return edit;
    }
    return node;
  }
  const bitmap = bitmapOf(node);
  const bit = 1 << ((hash >>> shift) & MASK);
  if ((bitmap & bit) === 0) return node;
  const at = pairAt(bitmap, bit);
  const k = node[at];
  const v = node[at + 1];
  if (k === undefined) {
    const child = remove(v as TrieNode, shift + BITS, hash, key, owner);
    if (child === v) return node;
    if (child === null) return withoutSlot(node, bit, at, owner);
    const edit = editableBitmap(node, owner);
    const single = singleLeaf(child);
    if (single === undefined) {
      edit[at + 1] = child;
    } else {
      // Pull a lone leaf up so that deletes leave no chains of one-entry nodes behind.
      edit[at] = single[0];
      edit[at + 1] = single[1];
    }
    return edit;
  }
  if (k !== key) return node;
  sizeDelta = -1;
  return withoutSlot(node, bit, at, owner);
}

/** `node` without the pair of `bit` at `at`: a new node of exactly the right length. */
function withoutSlot(node: BitmapNode, bit: number, at: number, owner: Owner | null): BitmapNode | null {
  const bitmap = bitmapOf(node);
  if (bitmap === bit) return null;
  const out = new Array<unknown>(node.length - 2);
  out[BITMAP] = bitmap & ~bit;
  out[OWNER] = owner;
  for (let i = PAIRS; i < at; i++) out[i] = node[i];
  for (let i = at + 2; i < node.length; i++) out[i - 2] = node[i];
  return out;
}

function singleLeaf(node: TrieNode): [string, unknown] | undefined {
  if (!isBitmap(node)) {
    return node.array.length === 2 ? [node.array[0] as string, node.array[1]] : undefined;
  }
  if (node.length !== PAIRS + 2) return undefined;
  const k = node[PAIRS];
  if (k === undefined) return undefined;
  return [k as string, node[PAIRS + 1]];
}

function forEachIn(node: TrieNode, fn: (value: unknown, key: string) => void): void {
  if (!isBitmap(node)) {
    const arr = node.array;
    for (let i = 0; i < arr.length; i += 2) fn(arr[i + 1], arr[i] as string);
    return;
  }
  for (let i = PAIRS; i < node.length; i += 2) {
    const k = node[i];
    if (k === undefined) forEachIn(node[i + 1] as TrieNode, fn);
    else fn(node[i + 1], k as string);
  }
}

function* entriesIn(node: TrieNode): Generator<[string, unknown]> {
  if (!isBitmap(node)) {
    const arr = node.array;
    for (let i = 0; i < arr.length; i += 2) yield [arr[i] as string, arr[i + 1]];
    return;
  }
  for (let i = PAIRS; i < node.length; i += 2) {
    const k = node[i];
    if (k === undefined) yield* entriesIn(node[i + 1] as TrieNode);
    else yield [k as string, node[i + 1]];
  }
}

const EMPTY_ROOT: BitmapNode = bitmapNode(0, null, 0);

/** buildNode's per-level slot counts (shifts 0, 5, …, MAX_SHIFT). */
const LEVEL_COUNTS: readonly Int32Array[] = Array.from(
  { length: MAX_SHIFT / BITS + 1 },
  () => new Int32Array(33),
);

/**
 * The trie holding items `order[lo..hi)` (indexes into keys/values/hashes, distinct keys) below
 * a node at `shift`, built bottom-up with exact-length arrays: what inserting them one at a time
 * makes, without the path copies and array re-allocations of each insert. The rule is insert's:
 * one item in a slot is a leaf, items sharing one full hash are a collision node (sorted by key),
 * anything else a sub-node one level down; so iteration order is the same canonical order.
 * `order` is partitioned in place (stably) with `scratch` as room.
 */
function buildNode(
  keys: readonly string[],
  values: readonly unknown[],
  hashes: ArrayLike<number>,
  order: Int32Array,
  scratch: Int32Array,
  lo: number,
  hi: number,
  shift: number,
): TrieNode {
  // One counts array per level, reused: a call only recurses one level down, so a level's array
  // stays intact while it is read after the recursion. Allocating a fresh one per node (hundreds
  // of thousands of small nodes for the per-node alloc indexes) was a third of a bulk build.
  const counts = LEVEL_COUNTS[shift / BITS] as Int32Array;
  counts.fill(0);
  for (let i = lo; i < hi; i++) {
    const c = (((hashes[order[i] as number] as number) >>> shift) & MASK) + 1;
    counts[c] = (counts[c] as number) + 1;
  }
  let bitmap = 0;
  for (let c = 0; c < 32; c++) {
    if ((counts[c + 1] as number) > 0) bitmap |= 1 << c;
    counts[c + 1] = (counts[c + 1] as number) + (counts[c] as number);
  }
  // Stable counting sort by this level's 5 hash bits; counts[c] is then slot c's start.
  for (let i = lo; i < hi; i++) {
    const item = order[i] as number;
    const c = ((hashes[item] as number) >>> shift) & MASK;
    const to = counts[c] as number;
    scratch[lo + to] = item;
    counts[c] = to + 1;
  }
  // A plain copy: a subarray() view is one more object per node.
  for (let i = lo; i < hi; i++) order[i] = scratch[i] as number;
  const node = bitmapNode(bitmap, null, popcount(bitmap));
  let at = PAIRS;
  let start = lo;
  for (let c = 0; c < 32; c++) {
    if ((bitmap & (1 << c)) === 0) continue;
    const end = lo + (counts[c] as number);
    const first = order[start] as number;
    if (end - start === 1) {
      node[at] = keys[first];
      node[at + 1] = values[first];
    } else {
      const hash = hashes[first] as number;
      let same = true;
      for (let i = start + 1; i < end && same; i++) same = hashes[order[i] as number] === hash;
      node[at] = undefined;
      if (same) {
        const items = Array.from(order.subarray(start, end)).sort((x, y) =>
          (keys[x] as string) < (keys[y] as string) ? -1 : 1,
        );
        // Equal keys have equal hashes, so any repeated key ends up in such a group: checking
        // here makes build() refuse repeats at no cost to the common path.
        for (let i = 1; i < items.length; i++) {
          assert(
            keys[items[i] as number] !== keys[items[i - 1] as number],
            () => `hamt: build with the key ${JSON.stringify(keys[items[i] as number])} twice`,
          );
        }
        node[at + 1] = new CollisionNode(
          hash,
          items.flatMap((i) => [keys[i], values[i]]),
          null,
        );
      } else {
        assert(shift < MAX_SHIFT, "hamt: distinct hashes ran out of bits");
        node[at + 1] = buildNode(keys, values, hashes, order, scratch, start, end, shift + BITS);
      }
    }
    at += 2;
    start = end;
  }
  return node;
}

export class PMap<V> {
  private static readonly EMPTY = new PMap<never>(EMPTY_ROOT, 0);

  private constructor(
    private readonly root: TrieNode,
    readonly size: number,
  ) {}

  static empty<V>(): PMap<V> {
    return PMap.EMPTY as PMap<V>;
  }

  /**
   * A map of `keys[i]` → `values[i]` built in one pass (bulk loading): the same map, in the same
   * iteration order, as setting them one by one, for a fraction of the work and garbage. Keys
   * must be distinct (a repeated key fails an assertion); `hashes[i]` = hashString(keys[i]) when the caller has them already.
   */
  static build<V>(keys: readonly string[], values: readonly V[], hashes?: ArrayLike<number>): PMap<V> {
    assert(keys.length === values.length, "hamt: build with keys and values of different lengths");
    if (keys.length === 0) return PMap.empty<V>();
    const hashOf = hashes ?? Uint32Array.from(keys, hashString);
    const order = new Int32Array(keys.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    const scratch = new Int32Array(keys.length);
    const root = buildNode(keys, values, hashOf, order, scratch, 0, keys.length, 0);
    return new PMap<V>(root, keys.length);
  }

  get(key: string): V | undefined {
    return getIn(this.root, hashString(key), key) as V | undefined;
  }

  /** `get` with the key's hashString() already computed (a key written to several maps is hashed once). */
  getHashed(key: string, hash: number): V | undefined {
    return getIn(this.root, hash, key) as V | undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** A map with `key` bound to `value`. With an owner, nodes made under it are edited in place. */
  set(key: string, value: V, owner: Owner | null = null): PMap<V> {
    return this.setHashed(key, hashString(key), value, owner);
  }

  /** `set` with `hash` = hashString(key) computed by the caller. */
  setHashed(key: string, hash: number, value: V, owner: Owner | null = null): PMap<V> {
    assert(value !== undefined, "hamt: undefined values are not stored");
    sizeDelta = 0;
    const root = insert(this.root, 0, hash, key, value, owner);
    if (root === this.root && sizeDelta === 0) return this;
    return new PMap<V>(root, this.size + sizeDelta);
  }

  delete(key: string, owner: Owner | null = null): PMap<V> {
    sizeDelta = 0;
    const root = remove(this.root, 0, hashString(key), key, owner);
    if (root === this.root && sizeDelta === 0) return this;
    return root === null ? PMap.empty<V>() : new PMap<V>(root, this.size + sizeDelta);
  }

  forEach(fn: (value: V, key: string) => void): void {
    forEachIn(this.root, fn as (value: unknown, key: string) => void);
  }

  *entries(): Generator<[string, V]> {
    yield* entriesIn(this.root) as Generator<[string, V]>;
  }

  *values(): Generator<V> {
    for (const [, value] of entriesIn(this.root)) yield value as V;
  }

  *keys(): Generator<string> {
    for (const [key] of entriesIn(this.root)) yield key;
  }

  toArray(): V[] {
    const out: V[] = [];
    this.forEach((value) => {
      out.push(value);
    });
    return out;
  }
}
