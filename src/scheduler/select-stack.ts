import type { AllocMetric, Job, Node, TaskGroup } from "../fsm/structs.js";
import { AffinityScorer } from "./affinity-score.js";
import { MetricRecorder } from "./alloc-metric.js";
import { DistinctChecker } from "./distinct-checker.js";
import type { JobFeasibility } from "./feasibility.js";
import { binpackScore, spreadFitScore } from "./fit-score.js";
import { type GroupAsk, groupAsk } from "./group-ask.js";
import { groupKey, type NodeUsage } from "./node-usage.js";
import type { PlanBuilder } from "./plan-builder.js";
import { SpreadScorer } from "./spread-score.js";

/** Nodes scoring below this are set aside (Nomad's skipScoreThreshold) ... */
const SKIP_SCORE_THRESHOLD = 0;
/** ... up to this many of them per placement (Nomad's maxSkip). */
const MAX_SKIP = 3;
/**
 * With spread blocks or affinities the best node is rarely among a handful of random ones, so
 * more are scored. Nomad scores every node there, which is quadratic in the cluster size; Drover
 * scores up to this many, enough to see every value of a typical spread attribute (racks, zones).
 */
export const SPREAD_AFFINITY_LIMIT = 100;

/** How many feasible nodes to score per placement (Nomad's LimitIterator settings). */
export function scoreLimit(nodeCount: number, batch: boolean, spreadOrAffinity: boolean): number {
  let limit = 2;
  if (!batch && nodeCount > 0) limit = Math.max(limit, Math.ceil(Math.log2(nodeCount)));
  if (spreadOrAffinity) limit = Math.max(limit, Math.min(nodeCount, SPREAD_AFFINITY_LIMIT));
  return limit;
}

export interface SelectOptions {
  /** Nodes where a previous instance failed: they get Nomad's reschedule penalty (−1). */
  penaltyNodes?: ReadonlySet<string>;
}

export interface Selection {
  node: Node;
  usage: NodeUsage;
  score: number;
}

export interface SelectResult {
  selection: Selection | null;
  metric: AllocMetric;
}

/** Per-group state that survives across the placements of one eval. */
interface GroupRanking {
  ask: GroupAsk;
  key: string;
  distinct: DistinctChecker;
  affinity: AffinityScorer;
  spread: SpreadScorer;
  limit: number;
}

/**
 * Chooses a node for one allocation: walks the eval's candidate nodes (shuffled once, with a
 * cursor that carries over between placements so successive placements look at different nodes),
 * filters by static feasibility (class-cached), distinct_* and resources, scores feasible nodes
 * (fit, job anti-affinity, reschedule penalty, affinity, spread; the final score is their mean),
 * stops after `scoreLimit` scored nodes and returns the best. Nomad's GenericStack, flattened into
 * one loop that allocates nothing per candidate.
 */
export class SelectStack {
  private cursor = 0;
  private readonly groups = new Map<string, GroupRanking>();

  constructor(
    private readonly builder: PlanBuilder,
    private readonly job: Job,
    private readonly feasibility: JobFeasibility,
    private readonly nodes: readonly Node[],
    private readonly algorithm: "binpack" | "spread",
    private readonly batch: boolean,
  ) {}

  private ranking(group: TaskGroup): GroupRanking {
    let ranking = this.groups.get(group.Name);
    if (ranking === undefined) {
      const affinity = new AffinityScorer(this.job, group);
      const spread = new SpreadScorer(this.builder.reader, this.builder, this.job, group);
      ranking = {
        ask: groupAsk(group),
        key: groupKey(this.job.Namespace, this.job.ID, group.Name),
        distinct: new DistinctChecker(this.builder.reader, this.builder, this.job, group),
        affinity,
        spread,
        limit: scoreLimit(this.nodes.length, this.batch, affinity.active || spread.active),
      };
      this.groups.set(group.Name, ranking);
    }
    return ranking;
  }

  select(group: TaskGroup, options: SelectOptions = {}): SelectResult {
    const recorder = new MetricRecorder();
    const ranking = this.ranking(group);
    const { ask, key, distinct, affinity, spread, limit } = ranking;
    const penalty = options.penaltyNodes;
    const useAffinity = affinity.active;
    const useSpread = spread.active;
    if (useSpread) spread.beginSelect();
    const nodes = this.nodes;
    const total = nodes.length;
    const binpack = this.algorithm === "binpack";
    let best: Selection | null = null;
    let scored = 0;
    const skipped: Selection[] = [];
    for (let visited = 0; visited < total && scored < limit; visited++) {
      const node = nodes[this.cursor] as Node;
      this.cursor = this.cursor + 1 === total ? 0 : this.cursor + 1;
      recorder.evaluateNode();
      const verdict = this.feasibility.check(node, group.Name);
      if (verdict !== null) {
        recorder.filterNode(node, verdict);
        continue;
      }
      const usage = this.builder.usageOf(node);
      if (distinct.active) {
        const reason = distinct.check(node, usage);
        if (reason !== null) {
          recorder.filterNode(node, reason);
          continue;
        }
      }
      const exhausted = usage.fits(ask);
      if (exhausted !== null) {
        recorder.exhaustNode(node, exhausted);
        continue;
      }
      const fit = binpack ? binpackScore(usage, ask) : spreadFitScore(usage, ask);
      let sum = fit;
      let parts = 1;
      const collisions = usage.count(key);
      const antiAffinity = collisions > 0 ? -(collisions + 1) / Math.max(group.Count, 1) : 0;
      if (collisions > 0) {
        sum += antiAffinity;
        parts++;
      }
      const penalized = penalty?.has(node.ID) === true;
      if (penalized) {
        sum -= 1;
        parts++;
      }
      const affinityScore = useAffinity ? affinity.score(node) : 0;
      if (affinityScore !== 0) {
        sum += affinityScore;
        parts++;
      }
      const spreadScore = useSpread ? spread.score(node) : 0;
      if (spreadScore !== 0) {
        sum += spreadScore;
        parts++;
      }
      const score = sum / parts;
      const candidate: Selection = { node, usage, score };
      if (score < SKIP_SCORE_THRESHOLD && skipped.length < MAX_SKIP) {
        skipped.push(candidate);
        continue;
      }
      scored++;
      if (best === null || score > best.score) best = candidate;
      recordScore(recorder, node, score, fit, antiAffinity, penalized, affinityScore, spreadScore);
    }
    for (const candidate of skipped) {
      if (scored >= limit) break;
      scored++;
      if (best === null || candidate.score > best.score) best = candidate;
      recorder.scoreNode(candidate.node, { "normalized-score": candidate.score }, candidate.score);
    }
    return { selection: best, metric: recorder.metric };
  }
}

function recordScore(
  recorder: MetricRecorder,
  node: Node,
  score: number,
  fit: number,
  antiAffinity: number,
  penalized: boolean,
  affinity: number,
  spread: number,
): void {
  const list = recorder.metric.ScoreMetaData;
  if (list.length >= 5 && (list[list.length - 1]?.NormScore ?? 0) >= score) return;
  const scores: Record<string, number> = { binpack: fit };
  if (antiAffinity !== 0) scores["job-anti-affinity"] = antiAffinity;
  if (penalized) scores["node-reschedule-penalty"] = -1;
  if (affinity !== 0) scores["node-affinity"] = affinity;
  if (spread !== 0) scores["allocation-spread"] = spread;
  recorder.scoreNode(node, scores, score);
}
