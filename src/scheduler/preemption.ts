import type { Allocation, Job, JobType, Node, SchedulerConfiguration, TaskGroup } from "../fsm/structs.js";
import type { JobFeasibility } from "./feasibility.js";
import { allocUsage } from "./fit.js";
import { type GroupAsk, groupAsk } from "./group-ask.js";
import type { NodeUsage } from "./node-usage.js";
import type { PlanBuilder } from "./plan-builder.js";
import type { Selection } from "./select-stack.js";

/** A job may only preempt allocations of jobs at least this much lower in priority (Nomad: 10). */
export const PREEMPTION_PRIORITY_DELTA = 10;

export function preemptionEnabled(config: SchedulerConfiguration, type: JobType): boolean {
  const c = config.PreemptionConfig;
  switch (type) {
    case "system":
      return c.SystemSchedulerEnabled;
    case "sysbatch":
      return c.SysBatchSchedulerEnabled;
    case "batch":
      return c.BatchSchedulerEnabled;
    case "service":
      return c.ServiceSchedulerEnabled;
  }
}

export interface PreemptionChoice {
  selection: Selection;
  victims: Allocation[];
}

/**
 * Finds a node where evicting lower-priority allocations (priority ≤ job priority − 10) makes room
 * for one allocation of `group`. On each statically feasible node, victims are taken greedily,
 * lowest priority first and, within a priority, the ones that free most of what is missing; the
 * node whose victims have the lowest highest-priority (then the fewest victims) wins.
 */
export function tryPreemption(
  builder: PlanBuilder,
  job: Job,
  group: TaskGroup,
  nodes: readonly Node[],
  feasibility: JobFeasibility,
): PreemptionChoice | null {
  const ask = groupAsk(group);
  const priorities = new Map<string, number>();
  const priorityOf = (alloc: Allocation): number => {
    const key = `${alloc.Namespace}\u0000${alloc.JobID}`;
    let priority = priorities.get(key);
    if (priority === undefined) {
      priority = builder.reader.jobByID(alloc.Namespace, alloc.JobID)?.Priority ?? 50;
      priorities.set(key, priority);
    }
    return priority;
  };
  let best: { choice: PreemptionChoice; worst: number } | null = null;
  for (const node of nodes) {
    if (feasibility.check(node, group.Name) !== null) continue;
    const usage = builder.usageOf(node);
    const victims = chooseVictims(
      builder.liveAllocsOn(node),
      usage,
      ask,
      (a) => priorityOf(a) <= job.Priority - PREEMPTION_PRIORITY_DELTA,
      priorityOf,
    );
    if (victims === null) continue;
    const worst = victims.reduce((max, v) => Math.max(max, priorityOf(v)), 0);
    if (
      best === null ||
      worst < best.worst ||
      (worst === best.worst && victims.length < best.choice.victims.length)
    ) {
      best = { choice: { selection: { node, usage, score: 0 }, victims }, worst };
    }
  }
  return best?.choice ?? null;
}

/** Victims on one node whose eviction lets `ask` fit, or null when no such set exists. */
export function chooseVictims(
  live: readonly Allocation[],
  usage: NodeUsage,
  ask: GroupAsk,
  eligible: (alloc: Allocation) => boolean,
  priorityOf: (alloc: Allocation) => number,
): Allocation[] | null {
  const candidates = live.filter(eligible);
  const victims: Allocation[] = [];
  const state = { cpu: usage.cpu, mem: usage.memoryMB, disk: usage.diskMB, freedPorts: new Set<number>() };
  const fits = (): boolean => fitsWithout(usage, ask, state);
  if (fits()) return victims;
  // Static port conflicts can only be solved by evicting the holder of the port.
  for (const port of ask.staticPorts) {
    if (!usage.hasPort(port)) continue;
    const holder = candidates.find((a) => allocUsage(a).ports.includes(port));
    if (holder === undefined) return null;
    take(holder);
  }
  while (!fits()) {
    const remaining = candidates.filter((a) => !victims.includes(a));
    if (remaining.length === 0) return null;
    remaining.sort((a, b) => priorityOf(a) - priorityOf(b) || relief(b) - relief(a));
    take(remaining[0] as Allocation);
  }
  return victims;

  function take(alloc: Allocation): void {
    if (victims.includes(alloc)) return;
    victims.push(alloc);
    const u = allocUsage(alloc);
    state.cpu -= u.cpu;
    state.mem -= u.memoryMB;
    state.disk -= u.diskMB;
    for (const port of u.ports) state.freedPorts.add(port);
  }
  function relief(alloc: Allocation): number {
    const u = allocUsage(alloc);
    const needCpu = Math.max(0, state.cpu + ask.cpu - usage.capacity.cpu);
    const needMem = Math.max(0, state.mem + ask.memoryMB - usage.capacity.memoryMB);
    return (
      Math.min(u.cpu, needCpu) / Math.max(ask.cpu, 1) +
      Math.min(u.memoryMB, needMem) / Math.max(ask.memoryMB, 1)
    );
  }
}

function fitsWithout(
  usage: NodeUsage,
  ask: GroupAsk,
  state: { cpu: number; mem: number; disk: number; freedPorts: Set<number> },
): boolean {
  const capacity = usage.capacity;
  if (state.cpu + ask.cpu > capacity.cpu) return false;
  if (state.mem + ask.memoryMB > capacity.memoryMB) return false;
  if (state.disk + ask.diskMB > capacity.diskMB) return false;
  for (const port of ask.staticPorts) {
    if (capacity.reservedPorts.has(port)) return false;
    if (usage.hasPort(port) && !state.freedPorts.has(port)) return false;
  }
  if (ask.dynamicPorts > 0) {
    let freedInRange = 0;
    for (const port of state.freedPorts) {
      if (port >= capacity.minDynamicPort && port <= capacity.maxDynamicPort) freedInRange++;
    }
    const free = capacity.maxDynamicPort - capacity.minDynamicPort + 1 - usage.dynamicUsed + freedInRange;
    if (free < ask.dynamicPorts + ask.staticPorts.length) return false;
  }
  return true;
}
