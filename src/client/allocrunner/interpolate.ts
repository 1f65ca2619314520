import type { Node } from "../../fsm/index.js";

/**
 * Nomad's `${…}` runtime interpolation of a task's `config` and `env` values.
 *
 * A reference is resolved from, in order:
 *   `env["X"]`                       the task environment's X
 *   `attr.<name>`                    the node's attribute
 *   `meta.<key>`                     the node's meta
 *   `node.unique.id`, `node.unique.name`, `node.datacenter`, `node.region`, `node.class`,
 *   `node.pool`                      the node's own fields
 *   anything else                    the task environment (NOMAD_* and the task's env)
 * A reference that resolves to nothing stays exactly as written (Nomad's behaviour: the task sees
 * `${attr.missing}` and the user can tell what did not resolve). No nesting, no expressions.
 */
export interface InterpolationContext {
  env: Readonly<Record<string, string>>;
  node: Pick<Node, "ID" | "Name" | "Datacenter" | "NodeClass" | "NodePool" | "Attributes" | "Meta">;
  region: string;
}

const REFERENCE = /\$\{([^}]+)\}/g;
const ENV_INDEX = /^env\[\s*"([^"]*)"\s*\]$/;

export function interpolateString(text: string, ctx: InterpolationContext): string {
  return text.replace(REFERENCE, (whole, inner: string) => resolve(inner.trim(), ctx) ?? whole);
}

/**
 * Interpolates every string inside `value`: through arrays and plain objects, at any depth. Map
 * keys are left alone (a config's keys are the driver's field names). Returns new containers;
 * the input is not modified.
 */
export function interpolateDeep(value: unknown, ctx: InterpolationContext): unknown {
  if (typeof value === "string") return interpolateString(value, ctx);
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, ctx));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateDeep(item, ctx);
    return out;
  }
  return value;
}

export function interpolateConfig(
  config: Readonly<Record<string, unknown>>,
  ctx: InterpolationContext,
): Record<string, unknown> {
  return interpolateDeep(config, ctx) as Record<string, unknown>;
}

function resolve(ref: string, ctx: InterpolationContext): string | undefined {
  const envIndex = ENV_INDEX.exec(ref);
  if (envIndex !== null) return own(ctx.env, envIndex[1] as string);
  if (ref.startsWith("attr.")) return own(ctx.node.Attributes, ref.slice("attr.".length));
  if (ref.startsWith("meta.")) return own(ctx.node.Meta, ref.slice("meta.".length));
  if (ref.startsWith("node.")) return nodeField(ref, ctx);
  return own(ctx.env, ref);
}

function nodeField(ref: string, ctx: InterpolationContext): string | undefined {
  switch (ref) {
    case "node.unique.id":
      return ctx.node.ID;
    case "node.unique.name":
      return ctx.node.Name;
    case "node.datacenter":
      return ctx.node.Datacenter;
    case "node.region":
      return ctx.region;
    case "node.class":
      return ctx.node.NodeClass;
    case "node.pool":
      return ctx.node.NodePool;
    default:
      return undefined;
  }
}

/** Own properties only: `${constructor}` must not resolve to Object.prototype's. */
function own(record: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
