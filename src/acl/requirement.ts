import { PermissionDeniedError } from "../common/errors.js";
import type { Acl, CoarseArea, CoarseLevel } from "./acl.js";

/**
 * What one HTTP route or gRPC method needs of the caller's token. The tables that say it for
 * every route (src/api/route-acl.ts) and method (src/server/rpc/grpc-acl.ts) are checked once,
 * where requests enter, before any handler runs.
 */
export type AclRequirement =
  /** Anyone, even without a token (leader status, health, the bootstrap itself). */
  | { readonly kind: "public" }
  /** A valid token of any kind; the handler answers about the token itself (`token/self`). */
  | { readonly kind: "token" }
  | { readonly kind: "management" }
  /** A namespace capability on the request's namespace (`*`: in some namespace, then filtered). */
  | { readonly kind: "namespace"; readonly capability: string }
  /** A variable capability on the request's variable path in its namespace. */
  | { readonly kind: "variable"; readonly capability: "read" | "write" | "list" | "destroy" }
  | { readonly kind: "coarse"; readonly area: CoarseArea; readonly level: CoarseLevel };

/** What the requirement is checked against: the request's namespace and variable path. */
export interface AclTarget {
  namespace: string;
  /** The variable path (variable routes), or a prefix (lists). */
  path?: string;
}

export const PUBLIC: AclRequirement = { kind: "public" };
export const TOKEN: AclRequirement = { kind: "token" };
export const MANAGEMENT: AclRequirement = { kind: "management" };
export const ns = (capability: string): AclRequirement => ({ kind: "namespace", capability });
export const variable = (capability: "read" | "write" | "list" | "destroy"): AclRequirement => ({
  kind: "variable",
  capability,
});
export const coarse = (area: CoarseArea, level: CoarseLevel): AclRequirement => ({
  kind: "coarse",
  area,
  level,
});

/** Throws PermissionDeniedError naming what is missing unless `acl` meets `requirement`. */
export function checkRequirement(acl: Acl, requirement: AclRequirement, target: AclTarget): void {
  const who = acl.accessorId === "anonymous" ? " (anonymous request: send a token in X-Nomad-Token)" : "";
  switch (requirement.kind) {
    case "public":
      return;
    case "token":
      if (acl.accessorId === "anonymous")
        throw new PermissionDeniedError(`Permission denied: this request needs an ACL token${who}`);
      return;
    case "management":
      if (!acl.management)
        throw new PermissionDeniedError(`Permission denied: missing management token${who}`);
      return;
    case "namespace": {
      const allowed =
        target.namespace === "*"
          ? acl.allowNamespaceOpAnywhere(requirement.capability)
          : acl.allowNamespaceOp(target.namespace, requirement.capability);
      if (!allowed) {
        throw new PermissionDeniedError(
          `Permission denied: missing capability ${requirement.capability} on namespace ${target.namespace}${who}`,
        );
      }
      return;
    }
    case "variable": {
      const path = target.path;
      const allowed =
        path === undefined || requirement.capability === "list"
          ? acl.allowVariableOpAnywhere(target.namespace, requirement.capability)
          : acl.allowVariableOp(target.namespace, path, requirement.capability);
      if (!allowed) {
        const where = path === undefined ? "" : ` on path ${path}`;
        throw new PermissionDeniedError(
          `Permission denied: missing variable capability ${requirement.capability}${where} in namespace ${target.namespace}${who}`,
        );
      }
      return;
    }
    case "coarse":
      if (!acl.allowCoarse(requirement.area, requirement.level)) {
        throw new PermissionDeniedError(
          `Permission denied: missing ${requirement.area} policy ${requirement.level}${who}`,
        );
      }
      return;
  }
}
