import { emptyAllocMetric } from "../fsm/alloc-metric.js";
import type { AllocMetric, Node } from "../fsm/structs.js";

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
}
