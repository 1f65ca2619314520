import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { hashSecret } from "../../acl/index.js";
import { PermissionDeniedError } from "../../common/errors.js";
import { mockJob, StateStore } from "../../fsm/index.js";
import { packValue, unpackValue } from "../../rpc/codec.js";
import { serverProto } from "../../rpc/server-client.js";
import { admitCall, METHOD_ACL } from "./grpc-acl.js";

function withToken(secret: string | undefined): Metadata {
  const m = new Metadata();
  if (secret !== undefined) m.set("x-nomad-token", secret);
  return m;
}

describe("the gRPC method ACL table", () => {
  it("declares how every method of the Server service is authorized", () => {
    const methods = Object.keys(serverProto().drover.server.Server.service);
    expect(methods.length).toBeGreaterThan(40);
    expect(methods.filter((m) => METHOD_ACL[m] === undefined)).toEqual([]);
    expect(Object.keys(METHOD_ACL).filter((m) => !methods.includes(m))).toEqual([]);
  });

  it("checks the token in the call's metadata and filters answers", () => {
    const store = new StateStore();
    store.apply(1, {
      type: "acl-policy-upsert",
      Policies: [
        {
          Name: "ro",
          Description: "",
          Rules: "",
          Parsed: {
            Namespaces: [{ Name: "default", Policy: "read", Capabilities: [], Variables: [] }],
            Node: "",
            Agent: "",
            Operator: "",
            Quota: "",
          },
        },
      ],
    });
    store.apply(2, {
      type: "acl-token-upsert",
      Tokens: [
        {
          AccessorID: "00000000-0000-4000-8000-000000000001",
          SecretHash: hashSecret("ro-secret"),
          Name: "ro",
          Type: "client",
          Policies: ["ro"],
          Global: false,
          CreateTime: 0,
          ExpirationTime: 0,
        },
      ],
    });
    const options = { state: () => store.snapshot(), now: () => 0 };
    const register = { job: packValue(mockJob({ ID: "x" })) };
    const denied = admitCall(options, "JobRegister", register, withToken("ro-secret"));
    expect(denied.ok).toBe(false);
    expect(!denied.ok && denied.error).toBeInstanceOf(PermissionDeniedError);
    expect(!denied.ok && denied.error.message).toBe(
      "Permission denied: missing capability submit-job on namespace default",
    );
    expect(admitCall(options, "JobRegister", register, withToken(undefined)).ok).toBe(false);
    // Client agents' calls are authenticated by their node secret, not a token.
    expect(admitCall(options, "NodeHeartbeat", { nodeId: "n", secretId: "s" }, withToken(undefined)).ok).toBe(
      true,
    );
    const list = admitCall(options, "JobList", { query: { namespace: "*" } }, withToken("ro-secret"));
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
});
