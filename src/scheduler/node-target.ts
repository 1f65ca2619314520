// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation targets are plain strings
import type { Node } from "../fsm/structs.js";

/** A constraint side resolved against a node: its value, and whether the node has it at all. */
export interface ResolvedTarget {
  value: string;
  found: boolean;
}

const NOT_FOUND: ResolvedTarget = { value: "", found: false };

/**
 * Resolves a constraint or affinity target against a node, as Nomad's resolveTarget:
 * a literal (no `${`) is itself; `${node.unique.id}`, `${node.unique.name}`, `${node.datacenter}`,
 * `${node.class}`, `${node.pool}`; `${attr.<key>}` and `${meta.<key>}`. Driver attributes are read
 * from the node's drivers when they are not in its attributes: `${attr.driver.<name>}` is "1" for
 * a detected and healthy driver, `${attr.driver.<name>.<key>}` is one of its attributes.
 */
export function resolveTarget(target: string, node: Node): ResolvedTarget {
  if (!target.startsWith("${")) return { value: target, found: true };
  if (!target.endsWith("}")) return NOT_FOUND;
  const inner = target.slice(2, -1);
  switch (inner) {
    case "node.unique.id":
      return { value: node.ID, found: true };
    case "node.unique.name":
      return { value: node.Name, found: true };
    case "node.datacenter":
      return { value: node.Datacenter, found: true };
    case "node.class":
      return { value: node.NodeClass, found: true };
    case "node.pool":
      return { value: node.NodePool, found: true };
  }
  if (inner.startsWith("attr.")) {
    const key = inner.slice(5);
    const value = node.Attributes[key];
    if (value !== undefined) return { value, found: true };
    return driverAttribute(key, node);
  }
  if (inner.startsWith("meta.")) {
    const value = node.Meta[inner.slice(5)];
    return value === undefined ? NOT_FOUND : { value, found: true };
  }
  return NOT_FOUND;
}

function driverAttribute(key: string, node: Node): ResolvedTarget {
  if (!key.startsWith("driver.")) return NOT_FOUND;
  const rest = key.slice(7);
  const dot = rest.indexOf(".");
  const name = dot < 0 ? rest : rest.slice(0, dot);
  const driver = node.Drivers[name];
  if (driver === undefined) return NOT_FOUND;
  if (dot < 0) return driver.Detected && driver.Healthy ? { value: "1", found: true } : NOT_FOUND;
  const value = driver.Attributes[rest.slice(dot + 1)] ?? driver.Attributes[key];
  return value === undefined ? NOT_FOUND : { value, found: true };
}

/**
 * True when a target's value can differ between nodes of one computed class, so that a check
 * using it must run per node and a blocked eval must escape class-based unblocking.
 */
export function isUniqueTarget(target: string): boolean {
  return (
    target.includes("${node.unique.") ||
    target.includes("${attr.unique.") ||
    target.includes("${meta.unique.")
  );
}
