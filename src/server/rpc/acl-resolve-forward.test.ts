import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashSecret } from "../../acl/index.js";
import { agentGuardOptions } from "../../api/route-acl.js";
import { PermissionDeniedError } from "../../common/errors.js";
import { withToken } from "../../common/request-context.js";
import { StateStore } from "../../fsm/state-store.js";
import type { ServerAddress } from "../../rpc/server-api.js";
import { ServerRpcClient } from "../../rpc/server-client.js";
import { SystemClock } from "../clock.js";
import { InProcessContext } from "../in-process-context.js";
import type { ServerEndpoints } from "./endpoints.js";
import { serverAclOptions } from "./grpc-acl.js";
import { clusterView, startEndpoints } from "./test-endpoints.js";

const SECRET = "5ecre7-0000-4000-a000-000000000001";

/**
 * A leader whose state holds a management token, and a follower whose state does not (yet):
 * each with its own store, as a follower that has not applied the token's entry.
 */
interface Pair {
  leaderCtx: InProcessContext;
  followerCtx: InProcessContext;
  follower: ServerEndpoints;
  /** A gRPC client of the follower, which checks every call as a server with ACLs on does. */
  followerClient: ServerRpcClient;
  /** Stops the leader's gRPC service: the follower can no longer ask it. */
  stopLeader(): Promise<void>;
  close(): Promise<void>;
}

async function pair(): Promise<Pair> {
  const leaderCtx = new InProcessContext(new StateStore(), new SystemClock());
  await leaderCtx.propose({
    type: "acl-bootstrap",
    Token: {
      AccessorID: "a0000000-0000-4000-a000-000000000001",
      SecretHash: hashSecret(SECRET),
      Name: "Bootstrap Token",
      Type: "management",
      Policies: [],
      Global: true,
      CreateTime: 0,
      ExpirationTime: 0,
    },
  });
  let leaderAddress: ServerAddress = { id: "s1", rpcAddress: "" };
  const leader = await startEndpoints({
    ctx: leaderCtx,
    cluster: clusterView(leaderAddress, () => leaderAddress),
  });
  leaderAddress = { id: "s1", rpcAddress: leader.address };

  const followerCtx = new InProcessContext(new StateStore(), new SystemClock());
  const follower = await startEndpoints(
    { ctx: followerCtx, cluster: clusterView({ id: "s2", rpcAddress: "" }, () => leaderAddress) },
    (endpoints) =>
      serverAclOptions(
        () => followerCtx.state(),
        () => Date.now() * 1e6,
        endpoints,
      ),
  );
  const followerClient = new ServerRpcClient(follower.address);
  return {
    leaderCtx,
    followerCtx,
    follower: follower.endpoints,
    followerClient,
    stopLeader: () => leader.close(),
    close: async () => {
      followerClient.close();
      await leader.close();
      await follower.close();
    },
  };
}

describe("a token the follower has not applied yet", () => {
  let p: Pair;
  beforeEach(async () => {
    p = await pair();
  });
  afterEach(async () => {
    await p.close();
  });

  it("is resolved by the leader, for the endpoints and for the HTTP guard", async () => {
    expect(p.followerCtx.state().aclTokens()).toEqual([]);
    const resolved = await withToken(SECRET, () => p.follower.aclResolve());
    expect(resolved).toMatchObject({ management: true, accessorId: "a0000000-0000-4000-a000-000000000001" });
    const guard = agentGuardOptions(p.follower, () => p.followerCtx.state());
    expect((await guard.resolve(SECRET)).management).toBe(true);
  });

  it("is admitted by the follower's gRPC service once the leader knows it", async () => {
    // A client agent passes a user's call on to a server with the user's token: the follower
    // must not refuse a token that the leader has already created.
    const written = await withToken(SECRET, () =>
      p.followerClient.varPut("default", "fresh/token", { k: "v" }, undefined),
    );
    expect(written.ok).toBe(true);
    expect(written.variable?.Path).toBe("fresh/token");
    await expect(
      withToken("not-a-token", () =>
        p.followerClient.varPut("default", "fresh/other", { k: "v" }, undefined),
      ),
    ).rejects.toThrow(/ACL token not found/);
  });

  it("is refused when the leader does not know it either", async () => {
    await expect(withToken("not-a-token", () => p.follower.aclResolve())).rejects.toThrow(
      /ACL token not found/,
    );
    const guard = agentGuardOptions(p.follower, () => p.followerCtx.state());
    await expect(guard.resolve("not-a-token")).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("is reused by a client agent's guard for the token TTL, a refusal too", async () => {
    let nowMs = 0;
    // A client agent's guard: no state of its own, it asks a server (here the follower).
    const guard = agentGuardOptions(p.followerClient, undefined, { ttlMs: 30_000, now: () => nowMs });
    expect((await guard.resolve(SECRET)).management).toBe(true);
    await expect(guard.resolve("not-a-token")).rejects.toBeInstanceOf(PermissionDeniedError);
    await p.stopLeader();
    // The follower can no longer resolve the token; the client still holds both answers.
    nowMs = 29_999;
    expect((await guard.resolve(SECRET)).management).toBe(true);
    await expect(guard.resolve("not-a-token")).rejects.toBeInstanceOf(PermissionDeniedError);
    nowMs = 30_000;
    const expired = guard.resolve(SECRET);
    await expect(expired).rejects.toThrow();
    await expect(expired).rejects.not.toBeInstanceOf(PermissionDeniedError);
  });

  it("is refused again without asking the leader once the leader refused it", async () => {
    await expect(withToken("not-a-token", () => p.follower.aclResolve())).rejects.toThrow(
      /ACL token not found/,
    );
    await p.stopLeader();
    // The follower remembers the leader's answer: a stream of wrong tokens costs one question.
    await expect(withToken("not-a-token", () => p.follower.aclResolve())).rejects.toThrow(
      /ACL token not found/,
    );
    await expect(
      withToken("not-a-token", () => p.followerClient.varPut("default", "x/y", { k: "v" }, undefined)),
    ).rejects.toThrow(/ACL token not found/);
    // Another unknown token still needs the leader, which is gone now.
    const other = withToken("another-wrong-token", () => p.follower.aclResolve());
    await expect(other).rejects.toThrow();
    await expect(other).rejects.not.toBeInstanceOf(PermissionDeniedError);
  });
});
