import type { Affinity, Job, Node, TaskGroup } from "../fsm/structs.js";
import { checkOperand } from "./constraint-check.js";
import { isUniqueTarget, resolveTarget } from "./node-target.js";

/**
 * Node affinity (Nomad's NodeAffinityIterator): the sum of the weights (−100..100) of the job,
 * group and task affinities the node matches, divided by the sum of their absolute weights, so
 * the component lies in −1..1. Cached per computed class unless an affinity reads a unique target.
 */
export class AffinityScorer {
  private readonly affinities: Affinity[];
  private readonly totalWeight: number;
  private readonly perClass: boolean;
  private readonly cache = new Map<string, number>();

  constructor(job: Job, group: TaskGroup) {
    this.affinities = [...job.Affinities, ...group.Affinities];
    for (const task of group.Tasks) this.affinities.push(...task.Affinities);
    this.totalWeight = this.affinities.reduce((sum, a) => sum + Math.abs(a.Weight), 0);
    this.perClass = !this.affinities.some((a) => isUniqueTarget(a.LTarget) || isUniqueTarget(a.RTarget));
  }

  get active(): boolean {
    return this.affinities.length > 0 && this.totalWeight > 0;
  }

  score(node: Node): number {
    const key = this.perClass && node.ComputedClass !== "" ? node.ComputedClass : `node:${node.ID}`;
    let score = this.cache.get(key);
    if (score === undefined) {
      let total = 0;
      for (const affinity of this.affinities) {
        const left = resolveTarget(affinity.LTarget, node);
        const right = resolveTarget(affinity.RTarget, node);
        if (checkOperand(affinity.Operand, left.value, left.found, right.value, right.found)) {
          total += affinity.Weight;
        }
      }
      score = total / this.totalWeight;
      this.cache.set(key, score);
    }
    return score;
  }
}
