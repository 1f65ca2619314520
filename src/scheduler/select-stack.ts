import type { AllocMetric, Job, Node, TaskGroup } from "../fsm/structs.js";
import { AffinityScorer } from "./affinity-score.js";
import { MetricRecorder } from "./alloc-metric.js";
import { DistinctChecker } from "./distinct-checker.js";
import type { JobFeasibility } from "./feasibility.js";
import { binpackScore, spreadFitScore } from "./fit-score.js";
import { type GroupAsk, groupAsk } from "./group-ask.js";
import type { NodeUsage } from "./node-usage.js";
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
  key: number;
  distinct: DistinctChecker;
  affinity: AffinityScorer;
  spread: SpreadScorer;
  limit: number;
  /**
   * Static feasibility per candidate position (undefined: not checked yet; null: feasible; else
   * the reason). Static checks cannot change within an eval, so each node is checked once.
   */
  verdicts: Array<string | null | undefined>;
}

/** How many top nodes ScoreMetaData keeps. */
const TOP_SCORES = 5;

/**
 * Chooses a node for one allocation: walks the eval's candidate nodes (shuffled once, with a
 * cursor that carries over between placements so successive placements look at different nodes),
 * filters by static feasibility (class-cached), distinct_* and resources, scores feasible nodes
 * (fit, job anti-affinity, reschedule penalty, affinity, spread; the final score is their mean),
 * stops after `scoreLimit` scored nodes and returns the best. Nomad's GenericStack, flattened into
 * one loop that allocates nothing per candidate (this loop is the scheduler's hot path).
 */
export class SelectStack {
  private cursor = 0;
  private readonly groups = new Map<string, GroupRanking>();
  /** NodeUsage per candidate position (the builder's objects, cached to skip its map lookup). */
  private readonly usages: Array<NodeUsage | undefined>;
  private readonly topIndex = new Int32Array(TOP_SCORES);
  private readonly topScore = new Float64Array(TOP_SCORES);

  constructor(
    private readonly builder: PlanBuilder,
    private readonly job: Job,
    private readonly feasibility: JobFeasibility,
    private readonly nodes: readonly Node[],
    private readonly algorithm: "binpack" | "spread",
    private readonly batch: boolean,
  ) {
    this.usages = new Array<NodeUsage | undefined>(nodes.length);
  }

  private ranking(group: TaskGroup): GroupRanking {
    let ranking = this.groups.get(group.Name);
    if (ranking === undefined) {
      const affinity = new AffinityScorer(this.job, group);
      const spread = new SpreadScorer(this.builder.reader, this.builder, this.job, group, this.nodes.length);
      ranking = {
        ask: groupAsk(group),
        key: this.builder.keys.group(this.job.Namespace, this.job.ID, group.Name),
        distinct: new DistinctChecker(this.builder.reader, this.builder, this.job, group),
        affinity,
        spread,
        limit: scoreLimit(this.nodes.length, this.batch, affinity.active || spread.active),
        verdicts: new Array<string | null | undefined>(this.nodes.length),
      };
      this.groups.set(group.Name, ranking);
    }
    return ranking;
  }

  select(group: TaskGroup, options: SelectOptions = {}): SelectResult {
    const recorder = new MetricRecorder();
    const metric = recorder.metric;
    const ranking = this.ranking(group);
    const { ask, key, distinct, affinity, spread, limit, verdicts } = ranking;
    const penalty =
      options.penaltyNodes !== undefined && options.penaltyNodes.size > 0 ? options.penaltyNodes : null;
    const useAffinity = affinity.active;
    const useSpread = spread.active;
    const useDistinct = distinct.active;
    if (useSpread) spread.beginSelect();
    const nodes = this.nodes;
    const usages = this.usages;
    const total = nodes.length;
    const binpack = this.algorithm === "binpack";
    const countDivisor = Math.max(group.Count, 1);
    const topIndex = this.topIndex;
    const topScore = this.topScore;
    let topCount = 0;
    let bestIndex = -1;
    let bestScore = 0;
    let scored = 0;
    // Nodes set aside for scoring below the threshold (positions and scores), at most MAX_SKIP.
    let skip0 = -1;
    let skip1 = -1;
    let skip2 = -1;
    let skipScore0 = 0;
    let skipScore1 = 0;
    let skipScore2 = 0;
    let skipped = 0;
    for (let visited = 0; visited < total && scored < limit; visited++) {
      const at = this.cursor;
      this.cursor = at + 1 === total ? 0 : at + 1;
      const node = nodes[at] as Node;
      metric.NodesEvaluated++;
      let verdict = verdicts[at];
      if (verdict === undefined) {
        verdict = this.feasibility.check(node, group.Name);
        verdicts[at] = verdict;
      }
      if (verdict !== null) {
        recorder.filterNode(node, verdict);
        continue;
      }
      let usage = usages[at];
      if (usage === undefined) {
        usage = this.builder.usageOf(node);
        usages[at] = usage;
      }
      if (useDistinct) {
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
      let sum = binpack ? binpackScore(usage, ask) : spreadFitScore(usage, ask);
      let parts = 1;
      const collisions = usage.count(key);
      if (collisions > 0) {
        sum -= (collisions + 1) / countDivisor;
        parts++;
      }
      if (penalty?.has(node.ID) === true) {
        sum -= 1;
        parts++;
      }
      if (useAffinity) {
        const a = affinity.score(node);
        if (a !== 0) {
          sum += a;
          parts++;
        }
      }
      if (useSpread) {
        const sp = spread.score(at, node);
        if (sp !== 0) {
          sum += sp;
          parts++;
        }
      }
      const score = sum / parts;
      if (score < SKIP_SCORE_THRESHOLD && skipped < MAX_SKIP) {
        if (skipped === 0) {
          skip0 = at;
          skipScore0 = score;
        } else if (skipped === 1) {
          skip1 = at;
          skipScore1 = score;
        } else {
          skip2 = at;
          skipScore2 = score;
        }
        skipped++;
        continue;
      }
      scored++;
      if (bestIndex < 0 || score > bestScore) {
        bestIndex = at;
        bestScore = score;
      }
      topCount = insertTop(topIndex, topScore, topCount, at, score);
    }
    // Set-aside nodes count only when too few others were found (Nomad's LimitIterator).
    const skips = [skip0, skip1, skip2];
    const skipScores = [skipScore0, skipScore1, skipScore2];
    for (let i = 0; i < skipped && scored < limit; i++) {
      const at = skips[i] as number;
      const score = skipScores[i] as number;
      scored++;
      if (bestIndex < 0 || score > bestScore) {
        bestIndex = at;
        bestScore = score;
      }
      topCount = insertTop(topIndex, topScore, topCount, at, score);
    }
    for (let i = 0; i < topCount; i++) {
      const at = topIndex[i] as number;
      const node = nodes[at] as Node;
      metric.ScoreMetaData.push({
        NodeID: node.ID,
        Scores: this.components(ranking, at, node, usages[at] as NodeUsage, group, penalty),
        NormScore: topScore[i] as number,
      });
    }
    if (bestIndex < 0) return { selection: null, metric };
    const node = nodes[bestIndex] as Node;
    return { selection: { node, usage: usages[bestIndex] as NodeUsage, score: bestScore }, metric };
  }

  /** The score components of one node, for ScoreMetaData (recomputed for the top nodes only). */
  private components(
    ranking: GroupRanking,
    at: number,
    node: Node,
    usage: NodeUsage,
    group: TaskGroup,
    penalty: ReadonlySet<string> | null,
  ): Record<string, number> {
    const scores: Record<string, number> = {
      [this.algorithm === "binpack" ? "binpack" : "spread"]:
        this.algorithm === "binpack" ? binpackScore(usage, ranking.ask) : spreadFitScore(usage, ranking.ask),
    };
    const collisions = usage.count(ranking.key);
    if (collisions > 0) scores["job-anti-affinity"] = -(collisions + 1) / Math.max(group.Count, 1);
    if (penalty?.has(node.ID) === true) scores["node-reschedule-penalty"] = -1;
    if (ranking.affinity.active) {
      const a = ranking.affinity.score(node);
      if (a !== 0) scores["node-affinity"] = a;
    }
    if (ranking.spread.active) {
      const sp = ranking.spread.score(at, node);
      if (sp !== 0) scores["allocation-spread"] = sp;
    }
    return scores;
  }
}

/** Keeps the best TOP_SCORES (position, score) pairs sorted by score, best first. */
function insertTop(index: Int32Array, score: Float64Array, count: number, at: number, value: number): number {
  if (count === TOP_SCORES && value <= (score[TOP_SCORES - 1] as number)) return count;
  let i = count < TOP_SCORES ? count : TOP_SCORES - 1;
  while (i > 0 && (score[i - 1] as number) < value) {
    index[i] = index[i - 1] as number;
    score[i] = score[i - 1] as number;
    i--;
  }
  index[i] = at;
  score[i] = value;
  return count < TOP_SCORES ? count + 1 : count;
}
