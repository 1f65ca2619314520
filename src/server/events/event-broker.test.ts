import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { subscribeRequest } from "../../api/event-routes.js";
import { mockAlloc, mockEval, mockId, mockJob, mockNode } from "../../fsm/mock.js";
import { StateStore } from "../../fsm/state-store.js";
import { eventsOfCommit } from "./commit-events.js";
import { type EventBatch, EventBroker, type StreamEvent, type SubscribeRequest } from "./event-broker.js";

function event(index: number, overrides: Partial<StreamEvent> = {}): StreamEvent {
  return {
    Topic: "Job",
    Type: "JobRegistered",
    Key: "web",
    FilterKeys: [],
    Namespace: "default",
    Index: index,
    Payload: { Job: { ID: "web" } },
    ...overrides,
  };
}

function batch(index: number, events: StreamEvent[] = [event(index)]): EventBatch {
  return { Index: index, Events: events };
}

function everything(index = 0): SubscribeRequest {
  return { topics: new Map([["*", new Set(["*"])]]), namespace: "*", index };
}

async function nextIndex(sub: ReturnType<EventBroker["subscribe"]>): Promise<number | string> {
  const next = await sub.next();
  return next.kind === "batch" ? next.batch.Index : next.reason;
}

describe("EventBroker", () => {
  it("delivers batches published after subscribing, in index order, waiting for new ones", async () => {
    const broker = new EventBroker();
    broker.publish(batch(1));
    const sub = broker.subscribe(everything());
    const waiting = sub.next();
    broker.publish(batch(2));
    broker.publish(batch(3));
    expect(((await waiting) as { batch: EventBatch }).batch.Index).toBe(2);
    expect(await nextIndex(sub)).toBe(3);
  });

  it("resumes from ?index= (inclusive) and starts at the oldest batch held for an older index", async () => {
    const broker = new EventBroker({ maxEvents: 3 });
    for (let i = 1; i <= 5; i++) broker.publish(batch(i * 10));
    expect(broker.firstIndex()).toBe(30);
    const resumed = broker.subscribe(everything(40));
    expect(await nextIndex(resumed)).toBe(40);
    expect(await nextIndex(resumed)).toBe(50);
    const old = broker.subscribe(everything(5));
    expect(await nextIndex(old)).toBe(30);
    const between = broker.subscribe(everything(41));
    expect(await nextIndex(between)).toBe(50);
  });

  it("filters by topic, key, filter key and namespace, dropping batches with nothing left", async () => {
    const broker = new EventBroker();
    const allocOfWeb = event(2, {
      Topic: "Allocation",
      Key: "a1",
      FilterKeys: ["web"],
      Payload: { Allocation: { ID: "a1" } },
    });
    broker.publish(batch(1, [event(1, { Key: "api" })]));
    broker.publish(batch(2, [allocOfWeb, event(2, { Topic: "Evaluation", Key: "e1" })]));
    broker.publish(batch(3, [event(3, { Namespace: "other" })]));
    broker.publish(batch(4, [event(4, { Topic: "Node", Key: "n1", Namespace: "" })]));
    const request = (query: string): SubscribeRequest => ({
      ...subscribeRequest(new URLSearchParams(query)),
      index: 1,
    });
    const byKey = broker.subscribe(request("topic=Job:api&topic=Allocation:web"));
    const first = await byKey.next();
    expect(first.kind === "batch" && first.batch.Index).toBe(1);
    const second = await byKey.next();
    expect(second.kind === "batch" && second.batch.Events).toEqual([allocOfWeb]);
    // Namespace "default" skips index 3; nodes have no namespace and always match.
    const jobsAndNodes = broker.subscribe(request("topic=Job&topic=Node:*"));
    expect(await nextIndex(jobsAndNodes)).toBe(1);
    expect(await nextIndex(jobsAndNodes)).toBe(4);
    const everyNamespace = broker.subscribe(request("topic=Job:*&namespace=*"));
    expect([await nextIndex(everyNamespace), await nextIndex(everyNamespace)]).toEqual([1, 3]);
    expect(() => subscribeRequest(new URLSearchParams("topic=Jobs"))).toThrow(/unknown topic/);
  });

  it("closes a subscriber that fell behind the buffer instead of skipping events", async () => {
    const broker = new EventBroker({ maxEvents: 2 });
    const slow = broker.subscribe(everything());
    for (let i = 1; i <= 4; i++) broker.publish(batch(i));
    const next = await slow.next();
    expect(next.kind).toBe("closed");
    expect(next.kind === "closed" && next.reason).toMatch(/fell behind/);
    expect(broker.subscriberCount()).toBe(0);
  });

  it("lets go of evicted batches and what their events hold", async () => {
    // A full collection on demand, to show that nothing keeps an evicted batch alive.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const broker = new EventBroker({ maxEvents: 4 });
    const payloads: WeakRef<object>[] = [];
    for (let i = 1; i <= 40; i++) {
      const payload = { Allocation: { ID: `a${i}` } };
      payloads.push(new WeakRef(payload));
      broker.publish(batch(i, [event(i, { Topic: "Allocation", Payload: payload })]));
    }
    // WeakRefs made in this turn hold their targets until it ends.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const alive = payloads.map((ref, i) => (ref.deref() === undefined ? 0 : i + 1)).filter((i) => i > 0);
    expect(alive).toEqual([37, 38, 39, 40]);
    expect(broker.firstIndex()).toBe(37);
  });

  it("ends every subscription on reset (the state was replaced) and on abort", async () => {
    const broker = new EventBroker();
    const sub = broker.subscribe(everything());
    const waiting = sub.next();
    broker.reset("restored");
    expect(await waiting).toEqual({ kind: "closed", reason: "restored" });
    const other = broker.subscribe(everything());
    const controller = new AbortController();
    const aborted = other.next(controller.signal);
    controller.abort();
    expect(await aborted).toEqual({ kind: "closed", reason: "aborted" });
  });
});

describe("eventsOfCommit", () => {
  it("turns each applied entry's changes into Nomad's events, typed by the command", () => {
    const store = new StateStore();
    const batches: EventBatch[] = [];
    store.onCommit((commit) => {
      const events = eventsOfCommit(commit);
      if (events !== undefined) batches.push(events);
    });
    const node = mockNode({ ID: mockId(1, 1), SecretID: "secret" });
    store.apply(1, { type: "node-register", Nodes: [node], Evals: [] });
    const evaluation = mockEval({ ID: mockId(1, 9), JobID: "web" });
    store.apply(2, { type: "job-register", Job: mockJob({ ID: "web" }), Eval: evaluation });
    store.apply(3, { type: "eval-upsert", Evals: [{ ...evaluation, Status: "complete" }] });
    store.apply(4, {
      type: "var-put",
      Var: { Namespace: "default", Path: "a/b", Items: { k: "v" } },
      CAS: null,
      Now: 1,
    });
    const alloc = mockAlloc({ ID: mockId(1, 0xa), JobID: "web", NodeID: node.ID, EvalID: evaluation.ID });
    store.apply(5, {
      type: "plan-apply",
      EvalID: evaluation.ID,
      NodeUpdate: {},
      NodeAllocation: { [node.ID]: [alloc] },
      NodePreemptions: {},
      Deployment: null,
      DeploymentUpdates: [],
      Evals: [],
      Now: 1,
    });
    const summary = batches.map((b) => [b.Index, b.Events.map((e) => `${e.Topic}/${e.Type}/${e.Key}`)]);
    expect(summary[0]).toEqual([1, [`Node/NodeRegistration/${node.ID}`]]);
    expect(summary[1]).toEqual([2, ["Job/JobRegistered/web", `Evaluation/JobRegistered/${evaluation.ID}`]]);
    // The job's status moved with its eval: that change is an event of the entry's type too.
    expect(summary[2]?.[1]).toEqual([
      "Job/EvaluationUpdated/web",
      `Evaluation/EvaluationUpdated/${evaluation.ID}`,
    ]);
    expect(summary[3]?.[0]).toBe(5);
    expect(summary[3]?.[1]).toContain(`Allocation/PlanResult/${alloc.ID}`);
    const placed = batches[3]?.Events.find((e) => e.Topic === "Allocation");
    expect(placed?.FilterKeys).toContain("web");
    expect(placed?.Payload["Allocation"]).toMatchObject({ CreateIndex: 5 });
  });
});
