import { ValidationError } from "../../common/errors.js";
import { DEFAULT_NAMESPACE, type Variable } from "../../fsm/index.js";
import type {
  QueryOptions,
  QueryResult,
  ServerApi,
  VariableMetadata,
  VarResult,
} from "../../rpc/server-api.js";
import type { EndpointContext } from "./endpoint-context.js";
import { requireNamespace } from "./namespace-endpoints.js";

const VAR_PATH_RE = /^[a-zA-Z0-9\-_~/]{1,128}$/;
const VAR_MAX_BYTES = 64 * 1024;

/**
 * The variable endpoints (Nomad's variables_endpoint.go): get, check-and-set put and delete (a
 * lost CAS answers `conflict` with the current variable, not an error), and the metadata list.
 */
export class VarEndpoints implements Pick<ServerApi, "varGet" | "varPut" | "varDelete" | "varList"> {
  constructor(private readonly c: EndpointContext) {}

  varGet(namespace: string, path: string, query: QueryOptions): Promise<VarResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    return this.c
      .read(
        query,
        ["variables"],
        (s) => s.variable(ns, path),
        (c) => c.varGet(ns, path, query).then(toQueryResult),
      )
      .then((res) => ({ ok: res.value !== undefined, variable: res.value, conflict: false, meta: res.meta }));
  }

  varPut(
    namespace: string,
    path: string,
    items: Record<string, string>,
    casIndex: number | undefined,
  ): Promise<VarResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    validateVariable(path, items);
    return this.c.write(
      async () => {
        requireNamespace(this.c.state(), ns);
        const { index, result } = await this.c.propose({
          type: "var-put",
          Var: { Namespace: ns, Path: path, Items: items },
          CAS: casIndex ?? null,
          Now: this.c.now(),
        });
        return result.ok
          ? { ok: true, variable: result.Var, conflict: false, meta: this.c.meta(index) }
          : { ok: false, variable: result.Current ?? undefined, conflict: true, meta: this.c.meta(index) };
      },
      (c) => c.varPut(ns, path, items, casIndex),
    );
  }

  varDelete(namespace: string, path: string, casIndex: number | undefined): Promise<VarResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    return this.c.write(
      async () => {
        const { index, result } = await this.c.propose({
          type: "var-delete",
          Namespace: ns,
          Path: path,
          CAS: casIndex ?? null,
        });
        return result.ok
          ? { ok: true, variable: undefined, conflict: false, meta: this.c.meta(index) }
          : { ok: false, variable: result.Current ?? undefined, conflict: true, meta: this.c.meta(index) };
      },
      (c) => c.varDelete(ns, path, casIndex),
    );
  }

  varList(query: QueryOptions): Promise<QueryResult<VariableMetadata[]>> {
    const ns = query.namespace ?? DEFAULT_NAMESPACE;
    return this.c.read(
      query,
      ["variables"],
      // `*`: every namespace, as Nomad's list answers it.
      (s) =>
        (ns === "*" ? s.namespaces().map((n) => n.Name) : [ns]).flatMap((name) =>
          [...s.variablesByPrefix(name, query.prefix ?? "")].map(varMetadata),
        ),
      (c) => c.varList(query),
    );
  }
}

function toQueryResult(res: VarResult): QueryResult<Variable | undefined> {
  return { value: res.variable, meta: res.meta };
}

function validateVariable(path: string, items: Record<string, string>): void {
  if (typeof path !== "string" || !VAR_PATH_RE.test(path)) {
    throw new ValidationError(`path ${JSON.stringify(path)} must match ${VAR_PATH_RE.source}`, "variable");
  }
  if (typeof items !== "object" || items === null || Object.keys(items).length === 0) {
    throw new ValidationError("Items must hold at least one key", "variable");
  }
  let size = 0;
  for (const [key, value] of Object.entries(items)) {
    if (typeof value !== "string") throw new ValidationError(`Items.${key} must be a string`, "variable");
    size += key.length + value.length;
  }
  if (size > VAR_MAX_BYTES) throw new ValidationError(`Items exceed ${VAR_MAX_BYTES} bytes`, "variable");
}

function varMetadata(v: Variable): VariableMetadata {
  const { Items: _items, ...meta } = v;
  return meta;
}
