import { emptyAllocMetric } from "../fsm/alloc-metric.js";
import type { AllocMetric, Node } from "../fsm/structs.js";

/** How many node scores `ScoreMetaData` keeps (Nomad keeps the top 5). */
export const MAX_SCORE_META = 5;

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** Records why nodes were filtered or exhausted while placing one allocation (Nomad's AllocMetric). */
export class MetricRecorder {
  readonly metric: AllocMetric = emptyAllocMetric();

  evaluateNode(): void {
    this.metric.NodesEvaluated++;
  }

  filterNode(node: Node, reason: string): void {
    this.metric.NodesFiltered++;
    if (node.NodeClass !== "") bump(this.metric.ClassFiltered, node.NodeClass);
    bump(this.metric.ConstraintFiltered, reason);
  }

  exhaustNode(node: Node, dimension: string): void {
    this.metric.NodesExhausted++;
    if (node.NodeClass !== "") bump(this.metric.ClassExhausted, node.NodeClass);
    bump(this.metric.DimensionExhausted, dimension);
  }

  /** Keeps the best `MAX_SCORE_META` final scores with their components. */
  scoreNode(node: Node, scores: Record<string, number>, normScore: number): void {
    const list = this.metric.ScoreMetaData;
    if (list.length >= MAX_SCORE_META) {
      const worst = list[list.length - 1];
      if (worst !== undefined && worst.NormScore >= normScore) return;
      list.pop();
    }
    let i = list.length;
    while (i > 0 && (list[i - 1] as { NormScore: number }).NormScore < normScore) i--;
    list.splice(i, 0, { NodeID: node.ID, Scores: scores, NormScore: normScore });
  }
}
