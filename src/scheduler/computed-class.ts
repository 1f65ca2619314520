import type { Node } from "../fsm/structs.js";

/**
 * A node's computed class: a hash of everything about the node that feasibility may depend on,
 * except what is unique to it. Nodes with the same computed class are interchangeable for
 * constraint and driver checks, so the schedulers evaluate one node per class and reuse the answer,
 * and a blocked eval remembers which classes it already found (in)eligible.
 *
 * Included (as Nomad's node_class.go): datacenter, node class, node pool, attributes and meta
 * except keys under "unique.", and the drivers with their detected/healthy state and attributes
 * (Drover keeps drivers beside the attributes rather than inside them). Excluded: ID, name,
 * status, eligibility, drain and resources (fit is always checked per node).
 */
export function computeNodeClass(node: Node): string {
  const parts: string[] = [`dc=${node.Datacenter}`, `class=${node.NodeClass}`, `pool=${node.NodePool}`];
  appendMap(parts, "attr", node.Attributes);
  appendMap(parts, "meta", node.Meta);
  for (const name of Object.keys(node.Drivers).sort()) {
    const driver = node.Drivers[name];
    if (driver === undefined) continue;
    parts.push(`driver.${name}=${driver.Detected ? 1 : 0}${driver.Healthy ? 1 : 0}`);
    appendMap(parts, `driver.${name}.attr`, driver.Attributes);
  }
  return `v1:${hash64Hex(parts.join("\u0000"))}`;
}

/** True for attribute and meta keys that identify one node and so must not enter the class. */
export function isUniqueKey(key: string): boolean {
  return key.startsWith("unique.");
}

function appendMap(parts: string[], prefix: string, map: Record<string, string>): void {
  for (const key of Object.keys(map).sort()) {
    if (isUniqueKey(key)) continue;
    parts.push(`${prefix}.${key}=${map[key]}`);
  }
}

/**
 * 64-bit FNV-1a over UTF-16 code units, computed in two 32-bit halves so that it needs no BigInt.
 * Stable across processes and versions: the class is stored with the node and compared across
 * servers.
 */
function hash64Hex(text: string): string {
  let high = 0xcbf29ce4;
  let low = 0x84222325;
  for (let i = 0; i < text.length; i++) {
    low ^= text.charCodeAt(i);
    // Multiply the 64-bit (high, low) by the FNV prime 0x100000001b3 = 2^40 + 0x1b3.
    const lowTimes = low * 0x1b3;
    const carry = Math.floor(lowTimes / 0x100000000);
    const newLow = lowTimes >>> 0;
    const newHigh = (Math.imul(high, 0x1b3) + carry + (low << 8)) >>> 0;
    high = newHigh;
    low = newLow;
  }
  return high.toString(16).padStart(8, "0") + low.toString(16).padStart(8, "0");
}
