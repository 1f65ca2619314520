import { describe, expect, it } from "vitest";
import type { AllocClientUpdateCommand, PlanApplyCommand } from "../../fsm/commands.js";
import { type Allocation, mockAlloc, mockId, type StateReader } from "../../fsm/index.js";
import { AllocWatchHub } from "./alloc-watch-hub.js";

/** Deferred drains run only when the test turns the loop: one `turn()` = one event-loop turn. */
class Turns {
  private queue: Array<() => void> = [];
  readonly defer = (fn: () => void): void => {
    this.queue.push(fn);
  };
  turn(): void {
    const now = this.queue;
    this.queue = [];
    for (const fn of now) fn();
  }
  get idle(): boolean {
    return this.queue.length === 0;
  }
  /** Turns until nothing is deferred; returns how many turns it took. */
  settle(limit = 10_000): number {
    let turns = 0;
    while (!this.idle) {
      this.turn();
      if (++turns > limit) throw new Error("never settled");
    }
    return turns;
  }
}

function planOn(nodeIds: readonly string[]): PlanApplyCommand {
  const NodeAllocation: Record<string, Allocation[]> = {};
  for (const nodeId of nodeIds) NodeAllocation[nodeId] = [mockAlloc({ NodeID: nodeId })];
  return {
    type: "plan-apply",
    EvalID: "",
    NodeUpdate: {},
    NodeAllocation,
    NodePreemptions: {},
    Deployment: null,
    DeploymentUpdates: [],
    Evals: [],
    Now: 0,
  };
}

const noState = {} as StateReader;
const nodes = (n: number): string[] => Array.from({ length: n }, (_, i) => mockId(i + 1, 1));

describe("AllocWatchHub", () => {
  it("wakes a plan's 5,000 nodes in bounded batches, each node once, oldest mark first", () => {
    const turns = new Turns();
    const hub = new AllocWatchHub({
      streamsPerTurn: 100,
      turnMs: Number.POSITIVE_INFINITY,
      defer: turns.defer,
    });
    const ids = nodes(5000);
    const woken: string[] = [];
    for (const id of ids) hub.watch(id, () => woken.push(id));
    turns.settle();
    woken.length = 0; // the first (full) pushes

    hub.applied(planOn(ids), noState);
    expect(woken).toHaveLength(0); // nothing in the applying turn
    let turnCount = 0;
    while (!turns.idle) {
      const before = woken.length;
      turns.turn();
      turnCount++;
      expect(woken.length - before).toBeLessThanOrEqual(100);
    }
    expect(turnCount).toBe(50);
    expect(woken).toEqual(ids);
  });

  it("coalesces marks made before the wake-up and keeps marks made after it", () => {
    const turns = new Turns();
    const hub = new AllocWatchHub({ streamsPerTurn: 1, defer: turns.defer });
    const [a, b] = nodes(2) as [string, string];
    const woken: string[] = [];
    hub.watch(a, () => woken.push(a));
    hub.watch(b, () => woken.push(b));
    turns.settle();
    woken.length = 0;

    hub.applied(planOn([a, b]), noState);
    hub.applied(planOn([a]), noState); // a is still pending: one wake-up covers both
    turns.turn();
    expect(woken).toEqual([a]);
    hub.applied(planOn([a]), noState); // after a's wake-up: a is queued behind b
    turns.settle();
    expect(woken).toEqual([a, b, a]);
  });

  it("makes each new stream's first push through the drain and forgets cancelled streams", () => {
    const turns = new Turns();
    const hub = new AllocWatchHub({ streamsPerTurn: 2, defer: turns.defer });
    const ids = nodes(5);
    const woken: string[] = [];
    const unsubscribe = ids.map((id) => hub.watch(id, () => woken.push(id)));
    expect(woken).toEqual([]);
    unsubscribe[1]?.();
    expect(hub.pending).toBe(4);
    turns.settle();
    expect(woken).toEqual([ids[0], ids[2], ids[3], ids[4]]);
    expect(hub.size).toBe(4);
  });

  it("converges every stream to its node's latest state under random writes", () => {
    // A node's "state" is a version counter; a stream reads it when woken, as the alloc watch
    // reads allocsByNode. Writes land between turns, as Raft entries apply between turns.
    const turns = new Turns();
    const hub = new AllocWatchHub({ streamsPerTurn: 7, defer: turns.defer });
    const ids = nodes(60);
    const version = new Map(ids.map((id) => [id, 0]));
    const seen = new Map<string, number[]>(ids.map((id) => [id, []]));
    for (const id of ids) hub.watch(id, () => seen.get(id)?.push(version.get(id) as number));
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let step = 0; step < 500; step++) {
      const touched = Array.from({ length: 1 + rand(20) }, () => ids[rand(ids.length)] as string);
      for (const id of touched) version.set(id, (version.get(id) as number) + 1);
      hub.applied(planOn(touched), noState);
      if (rand(3) === 0) turns.turn();
    }
    turns.settle();
    for (const id of ids) {
      const views = seen.get(id) as number[];
      expect(views.at(-1)).toBe(version.get(id));
      // In order: a stream never sees an older state after a newer one.
      expect([...views].sort((x, y) => x - y)).toEqual(views);
    }
  });

  it("wakes every stream when an alloc's node cannot be told", () => {
    const turns = new Turns();
    const hub = new AllocWatchHub({ defer: turns.defer });
    const ids = nodes(3);
    const woken: string[] = [];
    for (const id of ids) hub.watch(id, () => woken.push(id));
    turns.settle();
    woken.length = 0;
    const state = { allocByID: () => undefined } as unknown as StateReader;
    hub.applied(
      {
        type: "alloc-client-update",
        Allocs: [
          {
            ID: "gone",
            ClientStatus: "running",
            ClientDescription: "",
            TaskStates: {},
            DeploymentStatus: null,
            ModifyTime: 0,
          },
        ],
        Evals: [],
      } satisfies AllocClientUpdateCommand,
      state,
    );
    turns.settle();
    expect(woken.sort()).toEqual([...ids].sort());
  });

  it("tells a stream which allocations changed, merging the hints of coalesced marks", () => {
    const turns = new Turns();
    const hub = new AllocWatchHub({ defer: turns.defer });
    const [a, b] = nodes(2) as [string, string];
    const seen: Array<string[] | "all"> = [];
    hub.watch(a, (changes) => seen.push(changes === "all" ? "all" : [...changes].sort()));
    hub.watch(b, () => {});
    turns.settle();
    expect(seen).toEqual(["all"]); // the first push compares the whole set

    const placed = planOn([a, b]);
    const onA = placed.NodeAllocation[a]?.[0] as Allocation;
    hub.applied(placed, noState);
    const state = { allocByID: (id: string) => (id === onA.ID ? onA : undefined) } as unknown as StateReader;
    const report = {
      ID: onA.ID,
      ClientStatus: "running" as const,
      ClientDescription: "",
      TaskStates: {},
      DeploymentStatus: null,
      ModifyTime: 0,
    };
    hub.applied({ type: "alloc-client-update", Allocs: [report], Evals: [] }, state);
    turns.settle();
    expect(seen).toEqual(["all", [onA.ID]]);

    hub.applied(placed, noState);
    hub.applied({ type: "node-deregister", NodeIDs: [a], Evals: [] }, noState);
    turns.settle();
    expect(seen.at(-1)).toBe("all");
  });

  it("ends a turn on time before its stream count, waking at least one node per turn", () => {
    const turns = new Turns();
    let now = 0;
    // Each clock reading "takes" 1 ms.
    const hub = new AllocWatchHub({ streamsPerTurn: 100, turnMs: 3, clock: () => now++, defer: turns.defer });
    const ids = nodes(12);
    const woken: string[] = [];
    for (const id of ids) hub.watch(id, () => woken.push(id));
    const perTurn: number[] = [];
    while (!turns.idle) {
      const before = woken.length;
      turns.turn();
      perTurn.push(woken.length - before);
    }
    expect(woken).toEqual(ids);
    expect(Math.max(...perTurn)).toBeLessThan(12);
    expect(Math.min(...perTurn)).toBeGreaterThanOrEqual(1);
  });
});
