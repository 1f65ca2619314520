import type { StateReader } from "../fsm/state-reader.js";
import type { Job, Node, Spread, TaskGroup } from "../fsm/structs.js";
import type { PlanBuilder } from "./plan-builder.js";
import { PropertyCounts } from "./property-counts.js";

/** The target name Nomad uses for "every value not listed" in a spread with targets. */
const IMPLICIT_TARGET = "*";

interface SpreadState {
  spread: Spread;
  counts: PropertyCounts;
  /** Desired allocation count per value; null for an even spread (no targets). */
  desired: Map<string, number> | null;
  /** For even spreads, the min and max of the non-zero counts, refreshed per selection. */
  min: number;
  max: number;
  /** Per candidate position: 0 not looked up yet, else 1 + index into `values`. */
  positions: Int32Array;
  /** The attribute values seen so far (null: the node lacks the attribute). */
  values: Array<string | null>;
  valueIds: Map<string | null, number>;
  /** Boost per value index for the current placement, valid where `stamps` equals the generation. */
  boostByValue: number[];
  stamps: number[];
}

/**
 * Spread blocks (Nomad's SpreadIterator). With targets, a node scores by how far its value's count
 * (with this placement) is below the desired count, weighted by the spread's share of all spread
 * weights; a value with no target (and no implicit "*") gets the maximum penalty, −1. Without
 * targets, allocations are spread evenly: values below the least-used count get a boost, values at
 * an even distribution a penalty. Counts are of the group's live allocations, plan included.
 */
export class SpreadScorer {
  private readonly spreads: SpreadState[] = [];
  private readonly totalWeight: number;

  private generation = 0;

  /** `candidates` is how many candidate positions `score` may be asked about. */
  constructor(reader: StateReader, builder: PlanBuilder, job: Job, group: TaskGroup, candidates: number) {
    const all = [...job.Spreads, ...group.Spreads];
    this.totalWeight = all.reduce((sum, s) => sum + s.Weight, 0);
    for (const spread of all) {
      const counts = new PropertyCounts(reader, spread.Attribute, job.Namespace, job.ID, group.Name, builder);
      this.spreads.push({
        spread,
        counts,
        desired: desiredCounts(spread, group.Count),
        min: 0,
        max: 0,
        positions: new Int32Array(candidates),
        values: [],
        valueIds: new Map(),
        boostByValue: [],
        stamps: [],
      });
    }
  }

  get active(): boolean {
    return this.spreads.length > 0;
  }

  /** Call once before scoring the candidates of one placement. */
  beginSelect(): void {
    this.generation++;
    for (const state of this.spreads) {
      if (state.desired !== null) continue;
      let min = 0;
      let max = 0;
      for (const count of state.counts.counts.values()) {
        if (min === 0 || count < min) min = count;
        if (count > max) max = count;
      }
      state.min = min;
      state.max = max;
    }
  }

  /**
   * The spread component for `node`, the candidate at `position` (0 ≤ position < candidates). Every
   * term depends only on the node's attribute value: the value is looked up once per eval and its
   * boost once per placement, so a candidate costs two array reads.
   */
  score(position: number, node: Node): number {
    let total = 0;
    const generation = this.generation;
    for (const state of this.spreads) {
      let id = (state.positions[position] as number) - 1;
      if (id < 0) {
        const value = state.counts.valueOf(node);
        let known = state.valueIds.get(value);
        if (known === undefined) {
          known = state.values.length;
          state.values.push(value);
          state.valueIds.set(value, known);
        }
        id = known;
        state.positions[position] = id + 1;
      }
      if (state.stamps[id] !== generation) {
        state.boostByValue[id] = this.boost(state, state.values[id] as string | null);
        state.stamps[id] = generation;
      }
      total += state.boostByValue[id] as number;
    }
    return total;
  }

  private boost(state: SpreadState, value: string | null): number {
    if (state.desired === null) return evenSpreadBoost(state, value);
    if (value === null) return -1;
    const desired = state.desired.get(value) ?? state.desired.get(IMPLICIT_TARGET);
    if (desired === undefined || desired <= 0) return -1;
    const used = state.counts.countOf(value) + 1;
    const weight = this.totalWeight > 0 ? state.spread.Weight / this.totalWeight : 0;
    return ((desired - used) / desired) * weight;
  }
}

function desiredCounts(spread: Spread, count: number): Map<string, number> | null {
  if (spread.SpreadTarget.length === 0) return null;
  const desired = new Map<string, number>();
  let percentSum = 0;
  for (const target of spread.SpreadTarget) {
    desired.set(target.Value, (target.Percent / 100) * count);
    percentSum += target.Percent;
  }
  if (percentSum < 100 && !desired.has(IMPLICIT_TARGET)) {
    desired.set(IMPLICIT_TARGET, ((100 - percentSum) / 100) * count);
  }
  return desired;
}

function evenSpreadBoost(state: SpreadState, value: string | null): number {
  if (state.counts.counts.size === 0) return 0;
  if (value === null) return -1;
  const current = state.counts.countOf(value);
  const { min, max } = state;
  if (current !== min) return (min - current) / min;
  if (min === max) return -1;
  return (max - current) / min;
}
