import { randomUUID } from "node:crypto";
import {
  type Acl,
  checkRequirement,
  hashSecret,
  ns,
  parsePolicy,
  resolveKnownToken,
  resolveToken,
  tokenBySecret,
} from "../../acl/index.js";
import { NotFoundError, PermissionDeniedError, ValidationError } from "../../common/errors.js";
import { ExpiringCache } from "../../common/expiring-cache.js";
import { currentToken } from "../../common/request-context.js";
import {
  ACL_POLICY_DESCRIPTION_MAX,
  ACL_POLICY_NAME_RE,
  type AclPolicy,
  type AclPolicySpec,
  type AclToken,
  type AclTokenSpec,
  aclTokenProblem,
  DEFAULT_NAMESPACE,
} from "../../fsm/index.js";
import type {
  AclPolicyInput,
  AclTokenInput,
  AclTokenView,
  QueryOptions,
  QueryResult,
  ResolvedAcl,
  ServerApi,
} from "../../rpc/server-api.js";
import type { EndpointContext } from "./endpoint-context.js";

type AclApi = Pick<
  ServerApi,
  | "aclBootstrap"
  | "aclPolicyUpsert"
  | "aclPolicyDelete"
  | "aclPolicyList"
  | "aclPolicyGet"
  | "aclTokenUpsert"
  | "aclTokenDelete"
  | "aclTokenList"
  | "aclTokenGet"
  | "aclTokenSelf"
  | "aclResolve"
  | "aclAuthorizeAlloc"
>;

/**
 * How long a server refuses, without asking again, a token the leader refused (Nomad's token TTL),
 * and for how many tokens at most.
 *
 * Without this memory every request with a wrong, deleted or made-up token would cost a call to
 * the leader, so that anyone who can reach a follower could load the leader at will. Remembering a
 * refusal is safe because secrets are made by the server that creates the token (random UUIDs): a
 * secret the leader did not know cannot become valid later, except by a snapshot restore that
 * brings back a deleted token, and a server resolves from its own state first, so such a token
 * works again as soon as the server has applied the restore.
 */
const REFUSED_SECRET_TTL_NS = 30e9;
const REFUSED_SECRETS_MAX = 4096;

/** The API's view of a stored token: no hash, and the secret only when the caller just made it. */
export function tokenView(token: AclToken, secretId = ""): AclTokenView {
  return {
    AccessorID: token.AccessorID,
    SecretID: secretId,
    Name: token.Name,
    Type: token.Type,
    Policies: [...token.Policies],
    Global: token.Global,
    CreateTime: token.CreateTime,
    ExpirationTime: token.ExpirationTime,
    CreateIndex: token.CreateIndex,
    ModifyIndex: token.ModifyIndex,
  };
}

/**
 * The ACL endpoints (Nomad's acl_endpoint.go). Who may call them is the caller's business (the
 * HTTP route table and the gRPC method table check the token before these run); here: policies
 * are parsed before they are proposed (a bad policy is a located 400 and no Raft entry), secrets
 * are made on the server that proposes and leave it only in the creating answer, and the
 * bootstrap is decided by the FSM in log order.
 */
export class AclEndpoints implements AclApi {
  /** The leader's refusals by secret hash (see REFUSED_SECRET_TTL_NS). */
  private readonly refusedSecrets = new ExpiringCache<string>(REFUSED_SECRET_TTL_NS, REFUSED_SECRETS_MAX);
  /** Questions to the leader about unknown tokens in flight, by secret hash. */
  private readonly asking = new Map<string, Promise<ResolvedAcl>>();

  constructor(private readonly c: EndpointContext) {}

  aclBootstrap(): Promise<AclTokenView> {
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        const secret = randomUUID();
        const spec: AclTokenSpec = {
          AccessorID: randomUUID(),
          SecretHash: hashSecret(secret),
          Name: "Bootstrap Token",
          Type: "management",
          Policies: [],
          Global: true,
          CreateTime: this.c.now(),
          ExpirationTime: 0,
        };
        const { index } = await this.c.propose({ type: "acl-bootstrap", Token: spec });
        return tokenView({ ...spec, CreateIndex: index, ModifyIndex: index }, secret);
      },
      (c) => c.aclBootstrap(),
    );
  }

  async aclPolicyUpsert(policies: AclPolicyInput[]): Promise<number> {
    if (!Array.isArray(policies) || policies.length === 0) {
      throw new ValidationError("at least one policy is required", "policies");
    }
    const specs: AclPolicySpec[] = [];
    for (const [i, input] of policies.entries()) specs.push(await policySpec(input, i, policies.length));
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        const { index } = await this.c.propose({ type: "acl-policy-upsert", Policies: specs });
        return index;
      },
      (c) => c.aclPolicyUpsert(policies),
    );
  }

  aclPolicyDelete(names: string[]): Promise<number> {
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        for (const name of names) {
          if (this.c.state().aclPolicy(name) === undefined)
            throw new NotFoundError(`ACL policy ${JSON.stringify(name)} not found`);
        }
        const { index } = await this.c.propose({ type: "acl-policy-delete", Names: names });
        return index;
      },
      (c) => c.aclPolicyDelete(names),
    );
  }

  aclPolicyList(query: QueryOptions): Promise<QueryResult<AclPolicy[]>> {
    const prefix = query.prefix ?? "";
    return this.c.read(
      query,
      ["acl_policies"],
      (s) => s.aclPolicies().filter((p) => p.Name.startsWith(prefix)),
      (c) => c.aclPolicyList(query),
    );
  }

  aclPolicyGet(name: string, query: QueryOptions): Promise<QueryResult<AclPolicy | undefined>> {
    return this.c.read(
      query,
      ["acl_policies"],
      (s) => s.aclPolicy(name),
      (c) => c.aclPolicyGet(name, query),
    );
  }

  aclTokenUpsert(tokens: AclTokenInput[]): Promise<AclTokenView[]> {
    if (!Array.isArray(tokens) || tokens.length === 0) {
      throw new ValidationError("at least one token is required", "tokens");
    }
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        const state = this.c.state();
        const now = this.c.now();
        const secrets = new Map<string, string>();
        const specs = tokens.map((input, i) => {
          const where = tokens.length === 1 ? "token" : `tokens[${i}]`;
          const current =
            input.AccessorID === undefined || input.AccessorID === ""
              ? undefined
              : state.aclToken(input.AccessorID);
          if (input.AccessorID !== undefined && input.AccessorID !== "" && current === undefined)
            throw new NotFoundError(`ACL token ${input.AccessorID} not found`);
          for (const name of input.Policies ?? []) {
            if (state.aclPolicy(name) === undefined)
              throw new ValidationError(`policy ${JSON.stringify(name)} does not exist`, where);
          }
          let secretHash = current?.SecretHash;
          let accessorId = current?.AccessorID;
          if (current === undefined) {
            const secret = randomUUID();
            accessorId = randomUUID();
            secretHash = hashSecret(secret);
            secrets.set(accessorId, secret);
          }
          const spec: AclTokenSpec = {
            AccessorID: accessorId as string,
            SecretHash: secretHash as string,
            Name: input.Name ?? "",
            Type: input.Type ?? "client",
            Policies: input.Type === "management" ? [] : [...(input.Policies ?? [])],
            Global: input.Global ?? false,
            CreateTime: current?.CreateTime ?? now,
            ExpirationTime: expirationOf(input, current, now, where),
          };
          const problem = aclTokenProblem(spec);
          if (problem !== undefined) throw new ValidationError(problem, where);
          return spec;
        });
        const { index } = await this.c.propose({ type: "acl-token-upsert", Tokens: specs });
        const after = this.c.state();
        return specs.map((spec) => {
          const stored = after.aclToken(spec.AccessorID) ?? {
            ...spec,
            CreateIndex: index,
            ModifyIndex: index,
          };
          return tokenView(stored, secrets.get(spec.AccessorID));
        });
      },
      (c) => c.aclTokenUpsert(tokens),
    );
  }

  aclTokenDelete(accessorIds: string[]): Promise<number> {
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        for (const id of accessorIds) {
          if (this.c.state().aclToken(id) === undefined) throw new NotFoundError(`ACL token ${id} not found`);
        }
        const { index } = await this.c.propose({ type: "acl-token-delete", AccessorIDs: accessorIds });
        return index;
      },
      (c) => c.aclTokenDelete(accessorIds),
    );
  }

  aclTokenList(query: QueryOptions): Promise<QueryResult<AclTokenView[]>> {
    const prefix = query.prefix ?? "";
    return this.c.read(
      query,
      ["acl_tokens"],
      (s) =>
        s
          .aclTokens()
          .filter((t) => t.AccessorID.startsWith(prefix))
          .map((t) => tokenView(t)),
      (c) => c.aclTokenList(query),
    );
  }

  aclTokenGet(accessorId: string, query: QueryOptions): Promise<QueryResult<AclTokenView | undefined>> {
    return this.c.read(
      query,
      ["acl_tokens"],
      (s) => {
        const token = s.aclToken(accessorId);
        return token === undefined ? undefined : tokenView(token);
      },
      (c) => c.aclTokenGet(accessorId, query),
    );
  }

  /** Answered from local state, as Nomad resolves tokens: no leader round trip per request. */
  async aclTokenSelf(): Promise<AclTokenView> {
    const secret = currentToken();
    if (secret === undefined) throw new PermissionDeniedError("Permission denied: no ACL token given");
    const token = tokenBySecret(this.c.state(), secret);
    if (token === undefined) throw new PermissionDeniedError("Permission denied: ACL token not found");
    return tokenView(token);
  }

  /**
   * What the calling token may do. From this server's state, as Nomad resolves tokens; but a
   * token this server does not know may have been created a moment ago and not be applied here
   * yet, so then the leader's state decides (asked as writes are forwarded): a token works on
   * every server once its creation has returned. Only a token the leader does not know either is
   * refused.
   */
  async aclResolve(): Promise<ResolvedAcl> {
    const secret = currentToken();
    const known = resolveKnownToken(this.c.state(), secret, this.c.now());
    if (known !== undefined) return this.resolution(known);
    // Left: a token given that this server does not hold (no token resolved as anonymous above).
    // A wrong token is refused without asking again, and requests that arrive together with one
    // unknown token share one question (the answer depends on the secret only).
    const hash = hashSecret(secret ?? "");
    const refusal = this.refusedSecrets.get(hash, this.c.now());
    if (refusal !== undefined) throw new PermissionDeniedError(refusal);
    let asked = this.asking.get(hash);
    if (asked === undefined) {
      asked = this.askLeader(hash).finally(() => this.asking.delete(hash));
      this.asking.set(hash, asked);
    }
    return asked;
  }

  private async askLeader(secretHash: string): Promise<ResolvedAcl> {
    try {
      return await this.c.write(
        async () => this.resolution(resolveToken(this.c.state(), currentToken(), this.c.now())),
        (c) => c.aclResolve(),
        true,
      );
    } catch (error) {
      if (error instanceof PermissionDeniedError) {
        this.refusedSecrets.set(secretHash, error.message, this.c.now());
      }
      throw error;
    }
  }

  /** A resolved token as a client agent receives it: its rules, for the policies that exist. */
  private resolution(acl: Acl): ResolvedAcl {
    const state = this.c.state();
    const token = acl.accessorId === "anonymous" ? undefined : state.aclToken(acl.accessorId);
    const expirationTime = token?.ExpirationTime ?? 0;
    if (acl.management) return { accessorId: acl.accessorId, management: true, rules: [], expirationTime };
    const names = token === undefined ? ["anonymous"] : token.Policies;
    const rules = names.flatMap((n) => {
      const p = state.aclPolicy(n);
      return p === undefined ? [] : [p.Parsed];
    });
    return { accessorId: acl.accessorId, management: false, rules, expirationTime };
  }

  /** From local state, like every token resolution; an unknown allocation is checked as `default`'s. */
  async aclAuthorizeAlloc(allocId: string, capability: string): Promise<void> {
    const state = this.c.state();
    const acl = resolveToken(state, currentToken(), this.c.now());
    const namespace = state.allocByID(allocId)?.Namespace ?? DEFAULT_NAMESPACE;
    checkRequirement(acl, ns(capability), { namespace });
  }
}

/** A submitted policy, parsed: a ValidationError names the policy and the line. */
async function policySpec(input: AclPolicyInput, i: number, count: number): Promise<AclPolicySpec> {
  const where = count === 1 ? "policy" : `policies[${i}]`;
  if (typeof input !== "object" || input === null) throw new ValidationError("must be an object", where);
  const { Name: name, Description: description = "", Rules: rules } = input;
  if (typeof name !== "string" || !ACL_POLICY_NAME_RE.test(name)) {
    throw new ValidationError(
      `Name: invalid policy name ${JSON.stringify(name)}, must match ${ACL_POLICY_NAME_RE.source}`,
      where,
    );
  }
  if (typeof description !== "string" || description.length > ACL_POLICY_DESCRIPTION_MAX) {
    throw new ValidationError(
      `Description: must be a string of at most ${ACL_POLICY_DESCRIPTION_MAX} characters`,
      where,
    );
  }
  if (typeof rules !== "string") throw new ValidationError("Rules: must be a string", where);
  const parsed = await parsePolicy(rules, `policy ${JSON.stringify(name)}`);
  return { Name: name, Description: description, Rules: rules, Parsed: parsed };
}

function expirationOf(
  input: AclTokenInput,
  current: AclToken | undefined,
  now: number,
  where: string,
): number {
  const { ExpirationTime: at, ExpirationTTL: ttl } = input;
  if (ttl !== undefined && ttl !== 0) {
    if (typeof ttl !== "number" || !Number.isSafeInteger(ttl) || ttl < 0)
      throw new ValidationError("ExpirationTTL: must be a positive number of nanoseconds", where);
    return (current?.CreateTime ?? now) + ttl;
  }
  if (at !== undefined && at !== 0) {
    if (typeof at !== "number" || !Number.isSafeInteger(at) || at <= now)
      throw new ValidationError("ExpirationTime: must be in the future", where);
    return at;
  }
  return current?.ExpirationTime ?? 0;
}
