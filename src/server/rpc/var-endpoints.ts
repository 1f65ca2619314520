import { ValidationError } from "../../common/errors.js";
import { MAX_VARIABLE_BYTES, MAX_VARIABLE_ITEMS } from "../../common/limits.js";
import { validateVariablePath } from "../../common/names.js";
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

/**
 * The variable endpoints (Nomad's variables_endpoint.go): get, check-and-set put and delete (a
 * lost CAS answers `conflict` with the current variable, not an error), and the metadata list.
 */
export class VarEndpoints implements Pick<ServerApi, "varGet" | "varPut" | "varDelete" | "varList"> {
  constructor(private readonly c: EndpointContext) {}

  varGet(namespace: string, path: string, query: QueryOptions): Promise<VarResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    validateVariablePath(path);
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
    validateVariablePath(path);
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
  validateVariablePath(path);
  if (typeof items !== "object" || items === null || Object.keys(items).length === 0) {
    throw new ValidationError("must hold at least one key", "Items");
  }
  const entries = Object.entries(items);
  if (entries.length > MAX_VARIABLE_ITEMS)
    throw new ValidationError(`holds ${entries.length} keys, at most ${MAX_VARIABLE_ITEMS} allowed`, "Items");
  let size = 0;
  for (const [key, value] of entries) {
    if (typeof value !== "string") throw new ValidationError("must be a string", `Items.${key}`);
    size += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (size > MAX_VARIABLE_BYTES)
    throw new ValidationError(`hold ${size} bytes, at most ${MAX_VARIABLE_BYTES} allowed`, "Items");
}

function varMetadata(v: Variable): VariableMetadata {
  const { Items: _items, ...meta } = v;
  return meta;
}
