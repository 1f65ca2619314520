import { PermissionDeniedError } from "../common/errors.js";
import type { Acl } from "./acl.js";
import type { AclRequirement } from "./requirement.js";

/** May the token see `item` (an object with `Namespace`, and `Path` for a variable)? */
function visible(acl: Acl, need: AclRequirement, item: unknown): boolean {
  if (typeof item !== "object" || item === null) return true;
  const namespace = (item as Record<string, unknown>)["Namespace"];
  if (typeof namespace !== "string") return true;
  if (need.kind === "variable") {
    const path = (item as Record<string, unknown>)["Path"];
    return typeof path !== "string" || acl.allowVariableOp(namespace, path, need.capability);
  }
  // Allocations listed by node routes: only those of namespaces the token may read jobs in.
  if (need.kind === "coarse") return need.area !== "node" || acl.allowNamespaceOp(namespace, "read-job");
  if (need.kind !== "namespace") return true;
  return acl.allowNamespaceOp(namespace, need.capability);
}

/**
 * The part of an answer the token may see, as Nomad filters: a list keeps only the objects of
 * namespaces (and variable paths) the token has the route's capability in; a single object the
 * token may not see is refused (403 naming the capability and the object's namespace). Objects
 * without a `Namespace` pass unchanged.
 */
export function visibleAnswer(acl: Acl, need: AclRequirement, body: unknown): unknown {
  if (acl.management || body === null || typeof body !== "object") return body;
  if (Array.isArray(body)) return body.filter((item) => visible(acl, need, item));
  if (!visible(acl, need, body)) {
    const namespace = String((body as Record<string, unknown>)["Namespace"]);
    const capability = need.kind === "namespace" || need.kind === "variable" ? need.capability : "read-job";
    throw new PermissionDeniedError(
      `Permission denied: missing capability ${capability} on namespace ${namespace}`,
    );
  }
  return body;
}
