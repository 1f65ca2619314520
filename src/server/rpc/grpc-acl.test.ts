import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { Acl, hashSecret } from "../../acl/index.js";
import { PermissionDeniedError } from "../../common/errors.js";
import {
  type AclNamespaceRule,
  mockAlloc,
  mockDeployment,
  mockEval,
  mockJob,
  StateStore,
} from "../../fsm/index.js";
import { packValue, unpackValue } from "../../rpc/codec.js";
import { serverProto } from "../../rpc/server-client.js";
import { type Admission, admitCall, type GrpcAclOptions, METHOD_ACL } from "./grpc-acl.js";

function withToken(secret: string | undefined): Metadata {
  const m = new Metadata();
  if (secret !== undefined) m.set("x-nomad-token", secret);
  return m;
}

/** admitCall for options without `resolveUnknown`, which always answers at once. */
function admitNow(
  options: GrpcAclOptions,
  method: string,
  request: Record<string, unknown>,
  metadata: Metadata,
): Admission {
  const admission = admitCall(options, method, request, metadata);
  if (admission instanceof Promise) throw new Error(`${method}: admitted asynchronously`);
  return admission;
}

/** A store holding one policy `name` of `rule` and a client token `<name>-secret` with it. */
function storeWithToken(name: string, rule: AclNamespaceRule): StateStore {
  const store = new StateStore();
  store.apply(1, {
    type: "acl-policy-upsert",
    Policies: [
      {
        Name: name,
        Description: "",
        Rules: "",
        Parsed: { Namespaces: [rule], Node: "", Agent: "", Operator: "", Quota: "" },
      },
    ],
  });
  store.apply(2, {
    type: "acl-token-upsert",
    Tokens: [
      {
        AccessorID: "00000000-0000-4000-8000-000000000001",
        SecretHash: hashSecret(`${name}-secret`),
        Name: name,
        Type: "client",
        Policies: [name],
        Global: false,
        CreateTime: 0,
        ExpirationTime: 0,
      },
    ],
  });
  return store;
}

describe("the gRPC method ACL table", () => {
  it("declares how every method of the Server service is authorized", () => {
    const methods = Object.keys(serverProto().drover.server.Server.service);
    expect(methods.length).toBeGreaterThan(40);
    expect(methods.filter((m) => METHOD_ACL[m] === undefined)).toEqual([]);
    expect(Object.keys(METHOD_ACL).filter((m) => !methods.includes(m))).toEqual([]);
  });

  it("checks the token in the call's metadata and filters answers", () => {
    const store = storeWithToken("ro", { Name: "default", Policy: "read", Capabilities: [], Variables: [] });
    const options = { state: () => store.snapshot(), now: () => 0 };
    const register = { job: packValue(mockJob({ ID: "x" })) };
    const denied = admitNow(options, "JobRegister", register, withToken("ro-secret"));
    expect(denied.ok).toBe(false);
    expect(!denied.ok && denied.error).toBeInstanceOf(PermissionDeniedError);
    expect(!denied.ok && denied.error.message).toBe(
      "Permission denied: missing capability submit-job on namespace default",
    );
    expect(admitNow(options, "JobRegister", register, withToken(undefined)).ok).toBe(false);
    // Client agents' calls are authenticated by their node secret, not a token.
    expect(admitNow(options, "NodeHeartbeat", { nodeId: "n", secretId: "s" }, withToken(undefined)).ok).toBe(
      true,
    );
    const list = admitNow(options, "JobList", { query: { namespace: "*" } }, withToken("ro-secret"));
    expect(list.ok).toBe(true);
    const filter = list.ok ? list.filter : undefined;
    const answer = filter?.({
      items: packValue([mockJob({ ID: "a" }), mockJob({ ID: "b", Namespace: "prod" })]),
      meta: null,
    });
    expect(unpackValue<Array<{ ID: string }>>(answer?.["items"] as Uint8Array).map((j) => j.ID)).toEqual([
      "a",
    ]);
  });

  it("checks each method against the namespace its request names, or the one its object lives in", () => {
    const store = storeWithToken("prod", {
      Name: "prod",
      Policy: "write",
      Capabilities: [],
      Variables: [{ Path: "*", Capabilities: ["read", "write", "destroy", "list"] }],
    });
    const alloc = mockAlloc({ Namespace: "prod" });
    const deployment = mockDeployment({ Namespace: "prod" });
    const evaluation = mockEval({ Namespace: "prod" });
    store.apply(3, { type: "namespace-upsert", Namespaces: [{ Name: "prod", Description: "", Meta: {} }] });
    store.apply(4, { type: "job-register", Job: mockJob({ Namespace: "prod" }), Eval: null });
    store.apply(5, {
      type: "plan-apply",
      EvalID: "",
      NodeUpdate: {},
      NodeAllocation: { [alloc.NodeID]: [alloc] },
      NodePreemptions: {},
      Deployment: deployment,
      DeploymentUpdates: [],
      Evals: [],
      Now: 0,
    });
    store.apply(6, { type: "eval-upsert", Evals: [evaluation] });
    const options = { state: () => store.snapshot(), now: () => 0 };
    const admitted = (method: string, request: Record<string, unknown>, token?: string): boolean =>
      admitNow(options, method, request, withToken(token)).ok;
    const prodQuery = { query: { namespace: "prod" } };
    const defaultQuery = { query: { namespace: "default" } };
    // [method, a request the prod token may make, the same call aimed at the default namespace]
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      ["JobList", prodQuery, defaultQuery],
      ["JobDeregister", { namespace: "prod", jobId: "x" }, { jobId: "x" }],
      ["JobPlan", { job: packValue(mockJob({ Namespace: "prod" })) }, { job: packValue(mockJob()) }],
      // A get by ID: the stored object's namespace, whatever the query says; the query's when
      // there is no such object.
      ["AllocGet", { id: alloc.ID, ...defaultQuery }, { id: "missing", ...defaultQuery }],
      ["AllocGet", { id: "missing", ...prodQuery }, { id: "missing" }],
      ["EvalGet", { id: evaluation.ID, ...defaultQuery }, { id: "missing" }],
      ["DeploymentGet", { id: deployment.ID, ...defaultQuery }, { id: "missing" }],
      ["AllocStop", { allocId: alloc.ID }, { allocId: "missing" }],
      ["DeploymentUpdate", { deploymentId: deployment.ID, action: "pause" }, { deploymentId: "missing" }],
      ["VarGet", { namespace: "prod", path: "a/b" }, { path: "a/b" }],
      ["VarList", prodQuery, defaultQuery],
    ];
    for (const [method, allowed, denied] of cases) {
      expect({ method, allowed, ok: admitted(method, allowed, "prod-secret") }).toEqual({
        method,
        allowed,
        ok: true,
      });
      expect({ method, denied, ok: admitted(method, denied, "prod-secret") }).toEqual({
        method,
        denied,
        ok: false,
      });
    }
    // Cluster-wide capabilities ignore any namespace the request names.
    expect(admitted("NodeList", prodQuery, "prod-secret")).toBe(false);
    expect(admitted("SystemGc", { namespace: "prod" }, "prod-secret")).toBe(false);
    expect(admitted("StatusLeader", {})).toBe(true);
    // ACL calls need what their operation needs: any valid token for token-self, management else.
    expect(admitted("AclRead", { op: "token-self" }, "prod-secret")).toBe(true);
    expect(admitted("AclRead", { op: "token-self" })).toBe(false);
    expect(admitted("AclRead", { op: "policy-list" }, "prod-secret")).toBe(false);
    expect(admitted("AclWrite", { op: "bootstrap" })).toBe(true);
    // Server-to-server and node calls carry no token.
    expect(admitted("EvalDequeue", {})).toBe(true);
    expect(admitted("NodeHeartbeat", { nodeId: "n", secretId: "s" })).toBe(true);
  });

  it("asks the leader about a token this server does not know yet, and only then", async () => {
    const store = storeWithToken("ro", { Name: "default", Policy: "read", Capabilities: [], Variables: [] });
    const asked: string[] = [];
    const options: GrpcAclOptions = {
      state: () => store.snapshot(),
      now: () => 0,
      resolveUnknown: async (secret) => {
        asked.push(secret);
        if (secret === "fresh-management") return Acl.management("fresh");
        throw new PermissionDeniedError("Permission denied: ACL token not found");
      },
    };
    const register = { job: packValue(mockJob({ ID: "x" })) };
    // Created a moment ago on the leader, not applied here yet: the leader's answer decides.
    const fresh = admitCall(options, "JobRegister", register, withToken("fresh-management"));
    expect(fresh).toBeInstanceOf(Promise);
    expect(await fresh).toEqual({ ok: true, filter: undefined });
    // Unknown to the leader too: refused with the leader's error.
    const unknown = await admitCall(options, "JobRegister", register, withToken("nobody"));
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.error.message).toBe("Permission denied: ACL token not found");
    // A token known here, no token, and public methods never leave the server.
    expect(admitCall(options, "JobRegister", register, withToken("ro-secret"))).toMatchObject({ ok: false });
    expect(admitCall(options, "JobList", { query: {} }, withToken("ro-secret"))).toMatchObject({ ok: true });
    expect(admitCall(options, "JobList", { query: {} }, withToken(undefined))).toMatchObject({ ok: false });
    expect(admitCall(options, "StatusLeader", {}, withToken("nobody"))).toEqual({
      ok: true,
      filter: undefined,
    });
    expect(asked).toEqual(["fresh-management", "nobody"]);
  });
});
