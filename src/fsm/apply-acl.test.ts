import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AclRules, AclTokenSpec } from "./acl.js";
import { decodeCommand, encodeCommand } from "./command-codec.js";
import { InvalidCommandError } from "./errors.js";
import { tablesFromSnapshot, writeSnapshotStream } from "./snapshot-stream.js";
import { StateStore } from "./state-store.js";

const RULES: AclRules = {
  Namespaces: [{ Name: "default", Policy: "read", Capabilities: [], Variables: [] }],
  Node: "",
  Agent: "",
  Operator: "",
  Quota: "",
};

const hash = (secret: string): string => createHash("sha256").update(secret).digest("hex");

function token(n: number, overrides: Partial<AclTokenSpec> = {}): AclTokenSpec {
  return {
    AccessorID: `00000000-0000-4000-8000-00000000000${n}`,
    SecretHash: hash(`secret-${n}`),
    Name: `t${n}`,
    Type: "client",
    Policies: ["ro"],
    Global: false,
    CreateTime: 1_000,
    ExpirationTime: 0,
    ...overrides,
  };
}

async function roundTrip(store: StateStore): Promise<StateStore> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of writeSnapshotStream(store.tables())) chunks.push(chunk);
  async function* once(): AsyncGenerator<Uint8Array> {
    yield Buffer.concat(chunks);
  }
  return new StateStore(await tablesFromSnapshot(once()));
}

describe("ACL objects in the state store", () => {
  it("bootstraps once: a second bootstrap, however close, is rejected in log order", () => {
    const store = new StateStore();
    const first = token(1, { Type: "management", Policies: [] });
    expect(store.apply(1, { type: "acl-bootstrap", Token: first })).toEqual({ Index: 1 });
    expect(() =>
      store.apply(2, { type: "acl-bootstrap", Token: token(2, { Type: "management", Policies: [] }) }),
    ).toThrow(/ACL bootstrap already done \(at index 1\)/);
    const snap = store.snapshot();
    expect(snap.aclBootstrap()).toEqual({ BootstrapIndex: 1, AccessorID: first.AccessorID });
    expect(snap.aclTokens().map((t) => t.AccessorID)).toEqual([first.AccessorID]);
    expect(snap.aclTokenBySecretHash(hash("secret-1"))?.Type).toBe("management");
  });

  it("stores tokens by accessor and by secret hash; an update keeps the secret and CreateIndex", () => {
    const store = new StateStore();
    store.apply(1, {
      type: "acl-policy-upsert",
      Policies: [{ Name: "ro", Description: "", Rules: "x", Parsed: RULES }],
    });
    store.apply(2, { type: "acl-token-upsert", Tokens: [token(1)] });
    store.apply(3, { type: "acl-token-upsert", Tokens: [token(1, { Name: "renamed", CreateTime: 99 })] });
    const t = store.snapshot().aclToken(token(1).AccessorID);
    expect(t).toMatchObject({ Name: "renamed", CreateIndex: 2, ModifyIndex: 3, CreateTime: 1_000 });
    expect(() =>
      store.apply(4, { type: "acl-token-upsert", Tokens: [token(1, { SecretHash: hash("other") })] }),
    ).toThrow(/its secret cannot change/);
    expect(() =>
      store.apply(4, { type: "acl-token-upsert", Tokens: [token(2, { SecretHash: hash("secret-1") })] }),
    ).toThrow(/another token's/);
    store.apply(5, { type: "acl-token-delete", AccessorIDs: [token(1).AccessorID] });
    expect(store.snapshot().aclTokenBySecretHash(hash("secret-1"))).toBeUndefined();
    expect(() => store.apply(6, { type: "acl-token-delete", AccessorIDs: [token(1).AccessorID] })).toThrow(
      InvalidCommandError,
    );
  });

  it("refuses malformed policies and tokens as a whole batch", () => {
    const store = new StateStore();
    expect(() =>
      store.apply(1, {
        type: "acl-policy-upsert",
        Policies: [
          { Name: "ok", Description: "", Rules: "", Parsed: RULES },
          { Name: "bad name!", Description: "", Rules: "", Parsed: RULES },
        ],
      }),
    ).toThrow(/invalid policy name/);
    expect(store.snapshot().aclPolicies()).toEqual([]);
    expect(() =>
      store.apply(1, { type: "acl-token-upsert", Tokens: [token(1, { SecretHash: "plain" })] }),
    ).toThrow(/SecretHash/);
    expect(() =>
      store.apply(1, { type: "acl-token-upsert", Tokens: [token(1, { Type: "management" })] }),
    ).toThrow(/management token takes no policies/);
  });

  it("keeps ACL objects in snapshots and through the command codec", async () => {
    const store = new StateStore();
    store.apply(1, {
      type: "acl-policy-upsert",
      Policies: [{ Name: "ro", Description: "d", Rules: "r", Parsed: RULES }],
    });
    store.apply(2, { type: "acl-bootstrap", Token: token(1, { Type: "management", Policies: [] }) });
    store.apply(3, { type: "acl-token-upsert", Tokens: [token(2)] });
    const copy = await roundTrip(store);
    expect(copy.snapshot().aclPolicies()).toEqual(store.snapshot().aclPolicies());
    expect(copy.snapshot().aclTokens()).toEqual(store.snapshot().aclTokens());
    expect(copy.snapshot().aclBootstrap()).toEqual({ BootstrapIndex: 2, AccessorID: token(1).AccessorID });
    expect(copy.snapshot().aclTokenBySecretHash(hash("secret-2"))?.Name).toBe("t2");
    // The bootstrap stays done after a restore.
    expect(() =>
      copy.apply(4, { type: "acl-bootstrap", Token: token(3, { Type: "management", Policies: [] }) }),
    ).toThrow(/already done/);
    const command = { type: "acl-token-delete" as const, AccessorIDs: ["a"] };
    expect(decodeCommand(encodeCommand(command))).toEqual(command);
  });
});
