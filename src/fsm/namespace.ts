import { DEFAULT_NAMESPACE, type Namespace } from "./structs.js";

/** Nomad's rule for namespace names (nomad/structs: validNamespaceName). */
export const NAMESPACE_NAME_RE = /^[a-zA-Z0-9-]{1,128}$/;
/** Nomad's maxNamespaceDescriptionLength. */
export const NAMESPACE_DESCRIPTION_MAX = 256;

/** Fields of Nomad's namespace that Drover keeps as given without acting on them. */
export const OPAQUE_NAMESPACE_FIELDS = [
  "Quota",
  "Capabilities",
  "NodePoolConfiguration",
  "VaultConfiguration",
  "ConsulConfiguration",
] as const;
type OpaqueField = (typeof OPAQUE_NAMESPACE_FIELDS)[number];

/** What a writer submits: the namespace without its indexes. */
export type NamespaceSpec = Pick<Namespace, "Name" | "Description" | "Meta"> &
  Partial<Pick<Namespace, OpaqueField>>;

/**
 * `default` before anyone wrote it: Nomad creates it at bootstrap, Drover keeps it implicit so
 * that state written before namespaces were objects needs no migration. Index 0: it has existed
 * since the beginning. Upserting `default` stores it like any other namespace.
 */
export const IMPLICIT_DEFAULT_NAMESPACE: Namespace = Object.freeze({
  Name: DEFAULT_NAMESPACE,
  Description: "Default shared namespace",
  Meta: Object.freeze({}) as Record<string, string>,
  CreateIndex: 0,
  ModifyIndex: 0,
});

/** Why `spec` is not a namespace one may store ("Name: must match …"), or undefined when it is. */
export function namespaceProblem(spec: unknown): string | undefined {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) return "namespace must be an object";
  const { Name: name, Description: description, Meta: meta } = spec as Record<string, unknown>;
  if (typeof name !== "string" || !NAMESPACE_NAME_RE.test(name)) {
    return `Name: invalid namespace name ${JSON.stringify(name)}, must match ${NAMESPACE_NAME_RE.source}`;
  }
  if (typeof description !== "string") return `Description: must be a string`;
  if (description.length > NAMESPACE_DESCRIPTION_MAX) {
    return `Description: longer than ${NAMESPACE_DESCRIPTION_MAX} characters`;
  }
  if (typeof meta !== "object" || meta === null || Array.isArray(meta))
    return "Meta: must be an object of strings";
  for (const [key, value] of Object.entries(meta)) {
    if (typeof value !== "string") return `Meta.${key}: must be a string`;
  }
  return undefined;
}

/**
 * The stored form of a valid spec, fields in one fixed order (the record codec's Namespace
 * structure, and what `sameNamespace` compares). Opaque fields are kept only when present.
 */
export function storedNamespace(spec: NamespaceSpec, createIndex: number, modifyIndex: number): Namespace {
  const stored: Namespace = {
    Name: spec.Name,
    Description: spec.Description,
    Meta: { ...spec.Meta },
    CreateIndex: createIndex,
    ModifyIndex: modifyIndex,
  };
  for (const field of OPAQUE_NAMESPACE_FIELDS) {
    if (spec[field] !== undefined) (stored as unknown as Record<string, unknown>)[field] = spec[field];
  }
  return stored;
}

/** Whether two namespaces say the same thing (indexes aside): Nomad skips such an upsert. */
export function sameNamespace(a: Namespace, b: Namespace): boolean {
  const content = (n: Namespace): string => {
    const meta = Object.entries(n.Meta).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return JSON.stringify([n.Description, meta, ...OPAQUE_NAMESPACE_FIELDS.map((f) => n[f] ?? null)]);
  };
  return a.Name === b.Name && content(a) === content(b);
}
