import type { Constraint, Node } from "../fsm/structs.js";
import { resolveTarget } from "./node-target.js";
import { versionSatisfies } from "./version-constraint.js";

/** The operators that depend on other allocations, checked by distinct-checker.ts, not here. */
export const DISTINCT_HOSTS = "distinct_hosts";
export const DISTINCT_PROPERTY = "distinct_property";

/** Does `node` satisfy `constraint`? (distinct_* operators are always true here.) */
export function nodeMeetsConstraint(node: Node, constraint: Constraint): boolean {
  if (constraint.Operand === DISTINCT_HOSTS || constraint.Operand === DISTINCT_PROPERTY) return true;
  const left = resolveTarget(constraint.LTarget, node);
  const right = resolveTarget(constraint.RTarget, node);
  return checkOperand(constraint.Operand, left.value, left.found, right.value, right.found);
}

/**
 * One comparison, with Nomad's rules for missing values: most operators are false when either
 * side is missing; `!=`/`not` are true when the sides differ, missing included; `is_set` and
 * `is_not_set` look only at the left side. An unknown operator is never satisfied.
 */
export function checkOperand(
  operand: string,
  left: string,
  leftFound: boolean,
  right: string,
  rightFound: boolean,
): boolean {
  switch (operand) {
    case "=":
    case "==":
    case "is":
      return leftFound && rightFound && left === right;
    case "!=":
    case "not":
      return leftFound !== rightFound || left !== right;
    case "<":
    case "<=":
    case ">":
    case ">=":
      return leftFound && rightFound && checkOrder(operand, left, right);
    case "is_set":
      return leftFound;
    case "is_not_set":
      return !leftFound;
    case "version":
      return leftFound && rightFound && versionSatisfies(left, right, false);
    case "semver":
      return leftFound && rightFound && versionSatisfies(left, right, true);
    case "regexp":
      return leftFound && rightFound && regexpMatches(left, right);
    case "set_contains":
    case "set_contains_all":
      return leftFound && rightFound && setContains(left, right, true);
    case "set_contains_any":
      return leftFound && rightFound && setContains(left, right, false);
    case DISTINCT_HOSTS:
    case DISTINCT_PROPERTY:
      return true;
    default:
      return false;
  }
}

/** Numeric order when both sides are numbers (Nomad tries int, then float), else lexical. */
function checkOrder(operand: string, left: string, right: string): boolean {
  const l = Number(left);
  const r = Number(right);
  const numeric = left.trim() !== "" && right.trim() !== "" && !Number.isNaN(l) && !Number.isNaN(r);
  const cmp = numeric ? (l < r ? -1 : l > r ? 1 : 0) : left < right ? -1 : left > right ? 1 : 0;
  switch (operand) {
    case "<":
      return cmp < 0;
    case "<=":
      return cmp <= 0;
    case ">":
      return cmp > 0;
    default:
      return cmp >= 0;
  }
}

const regexpCache = new Map<string, RegExp | null>();

function regexpMatches(value: string, pattern: string): boolean {
  let re = regexpCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern);
    } catch (error) {
      // An invalid pattern is a constraint nothing satisfies (Nomad's job validation rejects it
      // earlier); it is remembered so the error is not rebuilt for every node.
      if (!(error instanceof SyntaxError)) throw error;
      re = null;
    }
    if (regexpCache.size > 10_000) regexpCache.clear();
    regexpCache.set(pattern, re);
  }
  return re?.test(value) === true;
}

function splitSet(text: string): string[] {
  return text.split(",").map((s) => s.trim());
}

function setContains(left: string, right: string, all: boolean): boolean {
  const have = new Set(splitSet(left));
  const want = splitSet(right);
  return all ? want.every((w) => have.has(w)) : want.some((w) => have.has(w));
}
