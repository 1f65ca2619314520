import { describe, expect, it } from "vitest";
import { silentLogger } from "../common/log.js";
import {
  type Allocation,
  type DisconnectStrategy,
  type Job,
  mockAlloc,
  mockJob,
  mockTaskGroup,
} from "../fsm/index.js";
import type { AllocClientFields } from "../rpc/server-api.js";
import type { AllocRunnerHandle, LogFrame } from "./allocrunner/alloc-runner-api.js";
import { HEARTBEAT_STOP_REASON, HeartbeatStop } from "./heartbeat-stop.js";

/** Stands in for the alloc runner (another component): records the stops it is asked for. */
class StopRecorder implements AllocRunnerHandle {
  readonly stops: string[] = [];
  terminal = false;
  constructor(readonly alloc: Allocation) {}
  get allocId(): string {
    return this.alloc.ID;
  }
  run(): void {}
  async restore(): Promise<void> {}
  update(): void {}
  async stop(reason: string): Promise<void> {
    this.stops.push(reason);
    this.terminal = true;
  }
  async destroy(): Promise<void> {}
  async shutdown(): Promise<void> {}
  clientFields(): AllocClientFields {
    return { ID: this.alloc.ID, NodeID: this.alloc.NodeID, ClientStatus: "running", ClientDescription: "" };
  }
  async *logs(): AsyncIterable<LogFrame> {}
}

function jobWith(group: string, disconnect: DisconnectStrategy | null): Job {
  return mockJob({ ID: group, TaskGroups: [mockTaskGroup({ Name: group, Disconnect: disconnect })] });
}

describe("HeartbeatStop", () => {
  const stopAfter = (ns: number | null): DisconnectStrategy => ({
    LostAfter: 0,
    Replace: true,
    Reconcile: "best_score",
    StopOnClientAfter: ns,
  });

  function setup() {
    let now = 1_000_000;
    const entries = [
      { job: jobWith("short", stopAfter(30e9)), id: "00000000-0000-4000-a000-000000000001" },
      { job: jobWith("long", stopAfter(120e9)), id: "00000000-0000-4000-a000-000000000002" },
      { job: jobWith("never", null), id: "00000000-0000-4000-a000-000000000003" },
    ].map(({ job, id }) => {
      const alloc = mockAlloc({ ID: id, JobID: job.ID, TaskGroup: job.ID, ClientStatus: "running" });
      return { alloc, job, runner: new StopRecorder(alloc) };
    });
    const stop = new HeartbeatStop({ nowMs: () => now, logger: silentLogger(), allocs: () => entries });
    const advance = (ms: number) => {
      now += ms;
    };
    const runner = (group: string) => entries.find((e) => e.job.ID === group)!.runner;
    return { stop, advance, runner };
  }

  it("stops an allocation's tasks once no server answered for longer than its stop_on_client_after", () => {
    const { stop, advance, runner } = setup();
    advance(29_999);
    expect(stop.check()).toEqual([]);
    advance(1);
    expect(stop.check()).toEqual([runner("short").alloc.ID]);
    expect(runner("short").stops).toEqual([HEARTBEAT_STOP_REASON]);
    expect(runner("long").stops).toEqual([]);
    advance(90_000);
    expect(stop.check()).toEqual([runner("long").alloc.ID]);
    advance(3_600_000);
    expect(stop.check()).toEqual([]);
    expect(runner("never").stops).toEqual([]);
    expect(runner("short").stops).toHaveLength(1);
  });

  it("restarts the count whenever a server answers", () => {
    const { stop, advance, runner } = setup();
    for (let i = 0; i < 10; i++) {
      advance(20_000);
      stop.contact();
      expect(stop.check()).toEqual([]);
    }
    advance(30_000);
    expect(stop.check()).toEqual([runner("short").alloc.ID]);
  });
});
