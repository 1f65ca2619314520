// Public surface of src/acl: the policy language, token resolution and capability checks.
export { Acl, type CoarseArea, type CoarseLevel, globMatch } from "./acl.js";
export { visibleAnswer } from "./answer.js";
export { parsePolicy } from "./policy-parse.js";
export * from "./requirement.js";
export {
  type AclStateView,
  ANONYMOUS_POLICY,
  hashSecret,
  resolveKnownToken,
  resolveToken,
  tokenBySecret,
} from "./resolve.js";
