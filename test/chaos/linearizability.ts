/**
 * Linearizability checker for the register histories of test/chaos/history.ts.
 *
 * The search is Wing & Gong's, with Lowe's memoization, in the form Porcupine uses: the history
 * becomes a time-ordered doubly linked list of call and return entries; the search walks it from
 * the head, linearizes a call whose operation the register accepts in the current state (removing
 * the call and its return from the list), and backtracks when it reaches a return entry, since an
 * operation that has returned must have taken effect before anything invoked later. A cache of
 * (set of linearized operations, register state) pairs already explored prunes re-exploration;
 * the set is a bitset with an incrementally maintained Zobrist hash so a step costs O(1) apart
 * from the rare full comparison on a hash match.
 *
 * Keys are independent registers, so the history is checked per key (P-compositionality,
 * Herlihy & Wing 1990 §3.3): a history is linearizable iff each key's subhistory is.
 *
 * Operation semantics:
 * - `ok`: took effect exactly once between invocation and completion.
 * - `fail`: definitely did not take effect; dropped (as Knossos and Porcupine do).
 * - `info`, or an invoke with no completion: may take effect at any time after invocation, or
 *   never. Such operations have no return entry; the search succeeds once every `ok` operation is
 *   linearized, because the `info` ones left over are the ones that never happened.
 */
import type { HistoryEvent, RegisterOp } from "./history.js";

export interface LinearizabilityAnomaly {
  key: string;
  report: string;
}

export interface LinearizabilityResult {
  /** True only when every key was proved linearizable (no anomaly, no timeout). */
  ok: boolean;
  /** Number of keys checked. */
  keys: number;
  anomalies: LinearizabilityAnomaly[];
  /** Keys whose search ran out of time: neither proved nor refuted. */
  timedOut?: string[];
}

export interface LinearizabilityOptions {
  /** Search budget per key in milliseconds (default 10,000). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** Operations of the longest prefix shown before the point where the search got stuck. */
const REPORT_PREFIX_OPS = 8;
/** How many search steps run between two looks at the clock. */
const CLOCK_CHECK_STEPS = 4096;

type Outcome = "ok" | "info";

/** One operation of one key, after pairing its invoke with its completion. */
interface Operation {
  /** Position in the key's operation list; also its bit in the linearized set. */
  id: number;
  process: number;
  op: RegisterOp;
  outcome: Outcome;
  /** For an ok read: the value returned. */
  readValue: string | null;
  invokeTime: number;
  /** Infinity for info operations. */
  returnTime: number;
  server: string | undefined;
  error: string | undefined;
}

/** Pairs invokes with completions per process and groups the operations by key. */
function operationsByKey(history: HistoryEvent[]): Map<string, Operation[]> {
  const pending = new Map<number, { event: HistoryEvent; index: number }>();
  const byKey = new Map<string, Operation[]>();
  const add = (invoke: HistoryEvent, completion: HistoryEvent | undefined): void => {
    // A failed operation did not happen: it constrains nothing (as in Knossos and Porcupine).
    if (completion?.type === "fail") return;
    const outcome: Outcome = completion?.type === "ok" ? "ok" : "info";
    // An info read constrains nothing: it returned no value and changed nothing.
    if (outcome === "info" && invoke.op.f === "read") return;
    const key = invoke.op.key;
    let ops = byKey.get(key);
    if (ops === undefined) {
      ops = [];
      byKey.set(key, ops);
    }
    ops.push({
      id: ops.length,
      process: invoke.process,
      op: invoke.op,
      outcome,
      readValue: outcome === "ok" && completion?.op.f === "read" ? completion.op.value : null,
      invokeTime: invoke.time,
      returnTime: outcome === "ok" && completion !== undefined ? completion.time : Number.POSITIVE_INFINITY,
      server: completion?.server ?? invoke.server,
      error: completion?.error,
    });
  };
  history.forEach((event, index) => {
    const open = pending.get(event.process);
    if (event.type === "invoke") {
      if (open !== undefined) {
        throw new Error(
          `history event ${index}: process ${event.process} invokes while its event ${open.index} is still outstanding`,
        );
      }
      pending.set(event.process, { event, index });
      return;
    }
    if (open === undefined) {
      throw new Error(
        `history event ${index}: process ${event.process} completes (${event.type}) with nothing invoked`,
      );
    }
    if (open.event.op.f !== event.op.f || open.event.op.key !== event.op.key) {
      throw new Error(
        `history event ${index}: completion ${event.op.f} ${JSON.stringify(event.op.key)} does not match ` +
          `invoke ${open.event.op.f} ${JSON.stringify(open.event.op.key)} (event ${open.index})`,
      );
    }
    if (event.time < open.event.time) {
      throw new Error(
        `history event ${index}: completes at ${event.time} before its invoke at ${open.event.time}`,
      );
    }
    pending.delete(event.process);
    add(open.event, event);
  });
  for (const open of pending.values()) add(open.event, undefined);
  return byKey;
}

/**
 * Narrows the info operations before the search, since each one left open can be tried at every
 * later point and the search grows with them. All rules rely on the history's promise that every
 * write (and CAS) writes a value never written before.
 *
 * - An info write or CAS whose value no ok read returned and no ok CAS expected is dropped: had it
 *   taken effect, the next linearized operation on the key is a write or delete (nothing reads or
 *   expects that value), so removing it leaves a linearization.
 * - An info delete is dropped when no ok read of absent, or CAS expecting absent, completes after
 *   it was invoked: the same argument.
 * - An info write or CAS whose value was observed did take effect, before the first observer
 *   completed: it becomes an ok operation that returned then.
 */
function narrowInfo(ops: Operation[]): Operation[] {
  let current = ops;
  // Observing can chain through info operations (an info CAS expecting an info write's value, then
  // seen by an ok read), so repeat until nothing more is known to have happened.
  for (;;) {
    const firstObserved = new Map<string, number>();
    for (const o of current) {
      const seen = o.op.f === "read" ? o.readValue : o.op.f === "cas" ? o.op.expect : null;
      if (o.outcome !== "ok" || seen === null) continue;
      firstObserved.set(seen, Math.min(firstObserved.get(seen) ?? Number.POSITIVE_INFINITY, o.returnTime));
    }
    let changed = false;
    current = current.map((o) => {
      if (o.outcome === "ok" || (o.op.f !== "write" && o.op.f !== "cas")) return o;
      const by = firstObserved.get(o.op.value);
      if (by === undefined) return o;
      changed = true;
      // An observer that completed before this was invoked is an anomaly the search reports.
      return { ...o, outcome: "ok", returnTime: Math.max(by, o.invokeTime) };
    });
    if (!changed) break;
  }
  let lastAbsentObserved = Number.NEGATIVE_INFINITY;
  for (const o of current) {
    const absent = (o.op.f === "read" && o.readValue === null) || (o.op.f === "cas" && o.op.expect === null);
    if (o.outcome === "ok" && absent) lastAbsentObserved = Math.max(lastAbsentObserved, o.returnTime);
  }
  const kept = current.filter(
    (o) => o.outcome === "ok" || (o.op.f === "delete" && lastAbsentObserved > o.invokeTime),
  );
  return kept.map((o, id) => ({ ...o, id }));
}

/** Register values interned to small integers; 0 is null (absent). */
class ValueTable {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  id(value: string | null): number {
    if (value === null) return 0;
    let id = this.ids.get(value);
    if (id === undefined) {
      this.names.push(value);
      id = this.names.length;
      this.ids.set(value, id);
    }
    return id;
  }

  name(id: number): string | null {
    return id === 0 ? null : (this.names[id - 1] as string);
  }
}

/** An operation with its input/output interned, as the search steps it. */
interface CompiledOp {
  kind: 0 | 1 | 2 | 3; // read, write, cas, delete
  expect: number;
  value: number;
}

function compile(o: Operation, values: ValueTable): CompiledOp {
  switch (o.op.f) {
    case "read":
      return { kind: 0, expect: values.id(o.readValue), value: 0 };
    case "write":
      return { kind: 1, expect: 0, value: values.id(o.op.value) };
    case "cas":
      return { kind: 2, expect: values.id(o.op.expect), value: values.id(o.op.value) };
    case "delete":
      return { kind: 3, expect: 0, value: 0 };
  }
}

/** The register's step function: the state after `op`, or -1 if `op` cannot happen in `state`. */
function step(state: number, op: CompiledOp): number {
  switch (op.kind) {
    case 0:
      return state === op.expect ? state : -1;
    case 1:
      return op.value;
    case 2:
      return state === op.expect ? op.value : -1;
    case 3:
      return 0;
  }
}

/** A 32-bit mix (splitmix32's finalizer): fixed pseudo-random Zobrist values for the hashes. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * The set of (linearized operations, register state) pairs already explored, keyed by three
 * independent Zobrist hashes of the set (85 bits used) mixed with the state. Storing hashes rather
 * than bitsets keeps an entry at a few bytes where a bitset of 10,000 operations costs 1.2 kB. A
 * collision can only make the search skip a branch it has not explored, so the worst it can do is
 * report an anomaly that is not there, never pass a history that is not linearizable; at a million
 * entries its probability is about 1e-14.
 */
class ExploredSet {
  private readonly seen = new Map<number, number>();
  private readonly overflow = new Set<string>();
  private readonly z: Uint32Array[];
  private readonly h = new Uint32Array(3);

  constructor(operations: number) {
    this.z = [0, 1, 2].map((k) => Uint32Array.from({ length: operations }, (_, id) => mix32(mix32(id) + k)));
  }

  get size(): number {
    return this.seen.size + this.overflow.size;
  }

  flip(id: number): void {
    for (let k = 0; k < 3; k++)
      this.h[k] = (this.h[k] as number) ^ ((this.z[k] as Uint32Array)[id] as number);
  }

  /** Adds the current set with `state`; false if that pair was explored before. */
  add(state: number): boolean {
    const s = mix32(state);
    const key = (((this.h[0] as number) ^ s) >>> 0) * 0x200000 + (((this.h[1] as number) ^ s) & 0x1fffff);
    const check = ((this.h[2] as number) ^ Math.imul(s, 0x9e3779b1)) >>> 0;
    const had = this.seen.get(key);
    if (had === undefined) {
      this.seen.set(key, check);
      return true;
    }
    if (had === check) return false;
    const long = `${key}:${check}`;
    if (this.overflow.has(long)) return false;
    this.overflow.add(long);
    return true;
  }
}

/** Beyond this many explored states a Map nears V8's size limit: the search reports a timeout. */
const MAX_EXPLORED = 12_000_000;

/** Where the deepest search got stuck: the material for the report. */
interface StuckPoint {
  /** Linearized operation ids, in order. */
  prefix: number[];
  state: number;
  /** The operation whose return entry the search hit. */
  blocking: number;
  /** Operations invoked before that return and not linearized (they are the candidates). */
  candidates: number[];
}

type SearchOutcome = { kind: "ok" } | { kind: "timeout" } | { kind: "anomaly"; stuck: StuckPoint };

/**
 * Searches one key. Entries 0..2n-1: 2i is the call of operation i, 2i+1 its return (absent from
 * the list for info operations). Entry 2n is the list head sentinel, 2n+1 the tail sentinel.
 */
function searchKey(ops: Operation[], compiled: CompiledOp[], deadline: number): SearchOutcome {
  const n = ops.length;
  const head = 2 * n;
  const tail = 2 * n + 1;
  const next = new Int32Array(2 * n + 2);
  const prev = new Int32Array(2 * n + 2);

  const order: number[] = [];
  for (const o of ops) {
    order.push(2 * o.id);
    if (o.outcome === "ok") order.push(2 * o.id + 1);
  }
  const timeOf = (e: number): number => {
    const o = ops[e >> 1] as Operation;
    return (e & 1) === 0 ? o.invokeTime : o.returnTime;
  };
  // Calls before returns at equal times: simultaneous events are treated as concurrent, the
  // permissive reading (a clock tick is coarser than the order of events inside it).
  order.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || a - b);
  let last = head;
  for (const e of order) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  next[last] = tail;
  prev[tail] = last;

  const isOk = ops.map((o) => o.outcome === "ok");
  const lift = (call: number): void => {
    next[prev[call] as number] = next[call] as number;
    prev[next[call] as number] = prev[call] as number;
    if (isOk[call >> 1]) {
      const ret = call + 1;
      next[prev[ret] as number] = next[ret] as number;
      prev[next[ret] as number] = prev[ret] as number;
    }
  };
  // Dancing-links restore: undo in the reverse order of lift.
  const unlift = (call: number): void => {
    if (isOk[call >> 1]) {
      const ret = call + 1;
      next[prev[ret] as number] = ret;
      prev[next[ret] as number] = ret;
    }
    next[prev[call] as number] = call;
    prev[next[call] as number] = call;
  };

  const explored = new ExploredSet(n);
  let remainingOk = isOk.filter(Boolean).length;
  /** The linearization so far, with the scan position each call was chosen at. */
  const calls: { call: number; state: number; phase: 0 | 1; deleteTried: boolean }[] = [];
  const isInfoDelete = ops.map((o) => o.outcome === "info" && o.op.f === "delete");
  let state = 0;
  let entry = next[head] as number;
  // Each node of the search scans its candidates (the calls before the first return) twice: ok
  // operations first, then info ones. An info operation can be tried at every node until it is
  // placed, and most never need to be: trying them last keeps them out of the way of the
  // linearization the ok operations describe.
  let phase: 0 | 1 = 0;
  // Info deletes are interchangeable: placing any pending one here can be swapped for the earliest
  // invoked (it was invoked before this point too), so a node tries only the first it meets.
  let deleteTried = false;
  let stuck: StuckPoint | undefined;
  let steps = 0;

  while (remainingOk > 0) {
    if (++steps % CLOCK_CHECK_STEPS === 0 && (performance.now() > deadline || explored.size > MAX_EXPLORED)) {
      return { kind: "timeout" };
    }
    if ((entry & 1) === 0) {
      const id = entry >> 1;
      if ((isOk[id] ? 0 : 1) === phase && !(isInfoDelete[id] && deleteTried)) {
        if (isInfoDelete[id]) deleteTried = true;
        const after = step(state, compiled[id] as CompiledOp);
        if (after >= 0) {
          explored.flip(id);
          if (explored.add(after)) {
            calls.push({ call: entry, state, phase, deleteTried });
            state = after;
            lift(entry);
            if (isOk[id]) remainingOk--;
            entry = next[head] as number;
            phase = 0;
            deleteTried = false;
            continue;
          }
          explored.flip(id);
        }
      }
      entry = next[entry] as number;
      continue;
    }
    // A return entry: its operation is not linearized and nothing invoked later may go first.
    if (phase === 0) {
      phase = 1;
      entry = next[head] as number;
      continue;
    }
    if (stuck === undefined || calls.length > stuck.prefix.length) {
      const candidates: number[] = [];
      for (let e = next[head] as number; e !== entry; e = next[e] as number) candidates.push(e >> 1);
      stuck = { prefix: calls.map((c) => c.call >> 1), state, blocking: entry >> 1, candidates };
    }
    const top = calls.pop();
    if (top === undefined) return { kind: "anomaly", stuck };
    const id = top.call >> 1;
    explored.flip(id);
    state = top.state;
    unlift(top.call);
    if (isOk[id]) remainingOk++;
    entry = next[top.call] as number;
    phase = top.phase;
    deleteTried = top.deleteTried;
  }
  return { kind: "ok" };
}

function formatSeconds(ns: number): string {
  return Number.isFinite(ns) ? `${(ns / 1e9).toFixed(3)}s` : "never";
}

function formatValue(v: string | null): string {
  return v === null ? "absent" : JSON.stringify(v);
}

function describeOp(o: Operation): string {
  let what: string;
  switch (o.op.f) {
    case "read":
      what = `read -> ${formatValue(o.readValue)}`;
      break;
    case "write":
      what = `write ${formatValue(o.op.value)}`;
      break;
    case "cas":
      what = `cas ${formatValue(o.op.expect)} -> ${formatValue(o.op.value)}`;
      break;
    case "delete":
      what = "delete";
      break;
  }
  const span = `[${formatSeconds(o.invokeTime)} .. ${formatSeconds(o.returnTime)}]`;
  const where = o.server === undefined ? "" : ` on ${o.server}`;
  const why = o.error === undefined ? "" : ` (${o.error})`;
  return `op ${o.id} process ${o.process} ${what} ${o.outcome}${why} ${span}${where}`;
}

/** Why `o` cannot be the next operation when the register holds `state`. */
function whyNot(
  o: Operation,
  c: CompiledOp,
  state: number,
  values: ValueTable,
  written: Set<string>,
): string {
  const holds = formatValue(values.name(state));
  if (step(state, c) >= 0) return "possible here, but no order of the remaining operations works after it";
  if (o.op.f === "read") {
    const v = o.readValue;
    const never =
      v !== null && !written.has(v) ? `; ${formatValue(v)} was never written by any operation` : "";
    return `reads ${formatValue(v)} but the register holds ${holds}${never}`;
  }
  if (o.op.f === "cas") return `expects ${formatValue(o.op.expect)} but the register holds ${holds}`;
  return "cannot happen here";
}

function report(
  key: string,
  ops: Operation[],
  compiled: CompiledOp[],
  stuck: StuckPoint,
  values: ValueTable,
): string {
  const written = new Set<string>();
  for (const o of ops) if (o.op.f === "write" || o.op.f === "cas") written.add(o.op.value);
  const op = (id: number): Operation => ops[id] as Operation;
  const lines = [
    `key ${JSON.stringify(key)}: not linearizable (${ops.length} operations; times since run start).`,
    `The longest linearizable prefix found has ${stuck.prefix.length} operations; its last ones, in linearization order:`,
  ];
  const shown = stuck.prefix.slice(-REPORT_PREFIX_OPS);
  if (shown.length < stuck.prefix.length) lines.push(`  ... ${stuck.prefix.length - shown.length} earlier`);
  for (const id of shown) lines.push(`  ${describeOp(op(id))}`);
  if (shown.length === 0) lines.push("  (none)");
  lines.push(`after which the register holds ${formatValue(values.name(stuck.state))}.`);
  const blocking = op(stuck.blocking);
  lines.push(
    "It must next place this operation, which completed before any later operation began:",
    `  ${describeOp(blocking)}: ${whyNot(blocking, compiled[stuck.blocking] as CompiledOp, stuck.state, values, written)}`,
  );
  const others = stuck.candidates.filter((id) => id !== stuck.blocking);
  if (others.length > 0) {
    lines.push("and none of the operations concurrent with it can go first:");
    for (const id of others) {
      lines.push(
        `  ${describeOp(op(id))}: ${whyNot(op(id), compiled[id] as CompiledOp, stuck.state, values, written)}`,
      );
    }
  }
  return lines.join("\n");
}

/**
 * Checks that `history` is linearizable as a set of registers (one per key). Throws on a malformed
 * history (a completion without an invoke, two outstanding operations on one process).
 */
export function checkLinearizable(
  history: HistoryEvent[],
  opts: LinearizabilityOptions = {},
): LinearizabilityResult {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const anomalies: LinearizabilityAnomaly[] = [];
  const timedOut: string[] = [];
  const byKey = operationsByKey(history);
  for (const [key, all] of byKey) {
    const ops = narrowInfo(all);
    const values = new ValueTable();
    const compiled = ops.map((o) => compile(o, values));
    const outcome = searchKey(ops, compiled, performance.now() + timeoutMs);
    if (outcome.kind === "timeout") timedOut.push(key);
    if (outcome.kind === "anomaly")
      anomalies.push({ key, report: report(key, ops, compiled, outcome.stuck, values) });
  }
  const result: LinearizabilityResult = {
    ok: anomalies.length === 0 && timedOut.length === 0,
    keys: byKey.size,
    anomalies,
  };
  if (timedOut.length > 0) result.timedOut = timedOut;
  return result;
}
