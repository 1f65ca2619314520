// Public surface of src/acl: the policy language, token resolution and capability checks.
export { Acl, type AclResolution, type CoarseArea, type CoarseLevel, globMatch } from "./acl.js";
export { visibleAnswer } from "./answer.js";
export { parsePolicy } from "./policy-parse.js";
export * from "./requirement.js";
export {
  type AclStateView,
  ANONYMOUS_POLICY,
  hashSecret,
  resolveElsewhere,
  resolveKnownToken,
  resolveToken,
  tokenBySecret,
} from "./resolve.js";
