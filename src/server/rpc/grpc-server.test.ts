import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../common/log.js";
import { mockEval, type Plan, type PlanResult } from "../../fsm/index.js";
import type { DequeueResult, ServerApi } from "../../rpc/server-api.js";
import { ServerRpcClient } from "../../rpc/server-client.js";
import { addServerService } from "./grpc-server.js";

/**
 * The gRPC edge of the server RPCs, against a stand-in ServerApi that records what the edge
 * asks of it: what matters here is what grpc-js does with a caller that goes away.
 */
describe("server gRPC service: a caller that goes away", () => {
  const closers: Array<() => void> = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  async function serve(api: Partial<ServerApi>, defaultDeadlineMs = 10_000): Promise<ServerRpcClient> {
    const server = new grpc.Server();
    addServerService(server, api as ServerApi, silentLogger());
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
        e === null ? resolve(p) : reject(e),
      ),
    );
    const client = new ServerRpcClient(`127.0.0.1:${port}`, { defaultDeadlineMs });
    closers.push(() => {
      client.close();
      server.forceShutdown();
    });
    return client;
  }

  it("aborts a waiting EvalDequeue and nacks an eval handed to a caller already gone", async () => {
    const evaluation = mockEval();
    let release: (result: DequeueResult) => void = () => {};
    let aborted: Promise<void> = Promise.resolve();
    let reached: () => void = () => {};
    const waiting = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const nacks: Array<[string, string]> = [];
    const client = await serve({
      evalDequeue: (_schedulers, _timeoutMs, signal) => {
        aborted = new Promise((resolve) =>
          signal?.addEventListener("abort", () => resolve(), { once: true }),
        );
        return new Promise((resolve) => {
          release = resolve;
          reached();
        });
      },
      evalNack: async (evalId, token) => {
        nacks.push([evalId, token]);
      },
    });
    const caller = new AbortController();
    const call = client.evalDequeue(["service"], 30_000, caller.signal);
    call.catch(() => undefined);
    // The request reaches the server (the stand-in records its signal), then the caller leaves.
    await waiting;
    caller.abort();
    await aborted;
    // The broker hands the eval out anyway (it raced the cancellation): it goes back at once.
    release({ eval: evaluation, token: "t-1", waitIndex: 1 });
    await expect.poll(() => nacks, { timeout: 10_000 }).toEqual([[evaluation.ID, "t-1"]]);
  });

  it("waits for a plan longer than an ordinary call's deadline (it may queue behind others)", async () => {
    const evaluation = mockEval();
    const emptyResult: PlanResult = {
      NodeUpdate: {},
      NodeAllocation: {},
      NodePreemptions: {},
      Deployment: null,
      DeploymentUpdates: [],
      RejectedNodes: [],
      RefreshIndex: 0,
      AllocIndex: 0,
    };
    const client = await serve(
      {
        // The leader's plan queue holds the plan for four times the ordinary deadline.
        planSubmit: (plan: Plan) =>
          new Promise<PlanResult>((resolve) =>
            setTimeout(() => resolve({ ...emptyResult, AllocIndex: 7, RejectedNodes: [plan.EvalID] }), 800),
          ),
        evalGet: () => new Promise(() => undefined),
      },
      200,
    );
    const plan = { EvalID: evaluation.ID, EvalToken: "t-1" } as unknown as Plan;
    await expect(client.planSubmit(plan)).resolves.toEqual({
      ...emptyResult,
      AllocIndex: 7,
      RejectedNodes: [evaluation.ID],
    });
    // An ordinary call still ends at the deadline.
    await expect(
      client.evalGet(evaluation.ID, { minIndex: 0, maxWaitMs: 0, stale: true } as never),
    ).rejects.toThrow(/DEADLINE_EXCEEDED/);
  });
});
