import { NotFoundError, ValidationError } from "../../common/errors.js";
import {
  type Namespace,
  type NamespaceSpec,
  namespaceDeleteProblem,
  namespaceProblem,
  OPAQUE_NAMESPACE_FIELDS,
  readerContents,
  type StateReader,
} from "../../fsm/index.js";
import type { QueryOptions, QueryResult, ServerApi } from "../../rpc/server-api.js";
import type { EndpointContext } from "./endpoint-context.js";

type NamespaceApi = Pick<ServerApi, "namespaceList" | "namespaceGet" | "namespaceUpsert" | "namespaceDelete">;

/**
 * The namespace endpoints (Nomad's namespace_endpoint.go): list and get (blocking on the
 * namespaces table), batch upsert and delete on the leader. A delete is checked on the leader
 * (never `default`, no live job, no variable), and the FSM checks again in log order.
 */
export class NamespaceEndpoints implements NamespaceApi {
  constructor(private readonly c: EndpointContext) {}

  namespaceList(query: QueryOptions): Promise<QueryResult<Namespace[]>> {
    const prefix = query.prefix ?? "";
    return this.c.read(
      query,
      ["namespaces"],
      (s) => s.namespaces().filter((n) => n.Name.startsWith(prefix)),
      (c) => c.namespaceList(query),
    );
  }

  namespaceGet(name: string, query: QueryOptions): Promise<QueryResult<Namespace | undefined>> {
    return this.c.read(
      query,
      ["namespaces"],
      (s) => s.namespaceByName(name),
      (c) => c.namespaceGet(name, query),
    );
  }

  namespaceUpsert(namespaces: NamespaceSpec[]): Promise<number> {
    if (!Array.isArray(namespaces) || namespaces.length === 0) {
      throw new ValidationError("at least one namespace is required", "namespaces");
    }
    const specs = namespaces.map((n, i) =>
      specOf(n, namespaces.length === 1 ? "namespace" : `namespaces[${i}]`),
    );
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        const { index } = await this.c.propose({ type: "namespace-upsert", Namespaces: specs });
        return index;
      },
      (c) => c.namespaceUpsert(specs),
    );
  }

  namespaceDelete(name: string): Promise<number> {
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        const state = this.c.state();
        if (state.namespaceByName(name) === undefined) {
          throw new NotFoundError(`namespace ${JSON.stringify(name)} not found`);
        }
        // The same rule as apply's, asked first for a clear answer without a Raft entry; apply
        // asks again in log order (a job may be registered in between).
        const problem = namespaceDeleteProblem(readerContents(state), name);
        if (problem !== undefined) throw new ValidationError(problem);
        const { index } = await this.c.propose({ type: "namespace-delete", Names: [name] });
        return index;
      },
      (c) => c.namespaceDelete(name),
    );
  }
}

/**
 * Refuses a write into a namespace that does not exist, on the leader before proposing (the FSM
 * refuses it again in log order, for a namespace deleted in between).
 */
export function requireNamespace(state: StateReader, name: string): void {
  if (state.namespaceByName(name) === undefined) {
    throw new ValidationError(`namespace ${JSON.stringify(name)} does not exist`);
  }
}

/** A submitted namespace, validated, with only the fields a namespace has (indexes dropped). */
function specOf(input: NamespaceSpec, where: string): NamespaceSpec {
  const problem = namespaceProblem(input);
  if (problem !== undefined) throw new ValidationError(problem, where);
  const spec: NamespaceSpec = { Name: input.Name, Description: input.Description, Meta: { ...input.Meta } };
  for (const field of OPAQUE_NAMESPACE_FIELDS) {
    if (input[field] !== undefined && input[field] !== null)
      (spec as Record<string, unknown>)[field] = input[field];
  }
  return spec;
}
