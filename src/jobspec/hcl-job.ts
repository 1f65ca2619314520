import { ExprError } from "./hcl-expr.js";
import { blockKey, joinKey, locate, type Pos } from "./hcl-positions.js";
import { didYouMean, type Issues, isObj, type Obj } from "./issues.js";
import { AlreadyReported, isKnownRuntimeRoot, type Variables } from "./variables.js";

/**
 * A job file's `job` block (as hcl2json gives it, variables not yet substituted) → the job in
 * Nomad's JSON API form (PascalCase, Nomad's field names, durations in nanoseconds), which
 * canonicalize.ts then completes and validate.ts checks. It checks what only the file can tell:
 * unknown blocks and attributes (with the nearest valid name), values of the wrong kind, bad
 * durations; and it records, for every JSON path it writes, where in the file it came from, so
 * that later errors about `TaskGroups[0].Count` can be reported at `web.hcl:12,5`.
 *
 * Blocks Drover does not act on yet (service, template, artifact, volume, vault, …) are kept in
 * a side map, keyed by where they are, each with a warning, rather than dropped silently.
 */

/** Where a JSON path of the API form came from in the file. */
export interface Origin {
  /** Positions key of the attribute or block. */
  key: string;
  /** The enclosing blocks, for messages: `group "api"`, `group "api" task "web"`. */
  context: string;
  /** The HCL name of the field, as the user wrote it: `count`, `restart.attempts`. */
  name: string;
}

export interface HclJob {
  /** The job in JSON API form. */
  input: Obj;
  /** Kept-but-unused blocks and attributes: `group "api" task "web" service` → their bodies. */
  extras: Record<string, unknown>;
  origins: Map<string, Origin>;
}

type Kind = "string" | "int" | "number" | "bool" | "duration" | "strlist" | "strmap" | "any";

interface BlockCtx {
  /** Positions key of the block. */
  key: string;
  context: string;
  /** JSON path of the object being filled ("" for the job). */
  json: string;
  /** Prefix for field names in messages (`restart.`). */
  prefix: string;
}

interface Spec {
  attrs?: Record<string, [json: string, kind: Kind]>;
  blocks?: Record<string, (value: unknown, at: BlockCtx, name: string, out: Obj) => void>;
  /** Blocks and attributes kept but not acted on yet. */
  extras?: readonly string[];
}

const GO_DURATION = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** A Go duration string ("30s", "1h30m", "250ms") → nanoseconds; undefined if it is not one. */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === "0") return 0;
  const m = GO_DURATION.exec(s);
  if (m === null) return undefined;
  let total = 0;
  for (const part of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * (UNIT_NS[part[2] as string] as number);
  }
  return Math.round(m[1] === "-" ? -total : total);
}

const CONSTRAINT_SUGAR = [
  "distinct_hosts",
  "distinct_property",
  "version",
  "semver",
  "regexp",
  "set_contains",
  "set_contains_any",
  "set_contains_all",
];
const AFFINITY_SUGAR = ["version", "semver", "regexp", "set_contains_any", "set_contains_all"];

export function hclJobToApi(
  root: Obj,
  filename: string,
  positions: ReadonlyMap<string, Pos>,
  variables: Variables,
  issues: Issues,
): HclJob {
  const origins = new Map<string, Origin>();
  const extras: Record<string, unknown> = {};

  const where = (key: string): string => {
    const pos = locate(positions, key);
    return `${filename}:${pos.line},${pos.col}`;
  };
  const say = (context: string, text: string) => (context === "" ? text : `${context}: ${text}`);
  const error = (key: string, context: string, text: string) => issues.error(where(key), say(context, text));
  const warn = (key: string, context: string, text: string) => issues.warn(where(key), say(context, text));
  const record = (json: string, key: string, context: string, name: string) => {
    if (!origins.has(json)) origins.set(json, { key, context, name });
  };
  const jsonJoin = (base: string, field: string) => (base === "" ? field : `${base}.${field}`);

  /** A value with variables substituted; undefined (and an error) when that fails. */
  const resolve = (value: unknown, key: string, context: string, name: string): unknown => {
    try {
      return variables.resolve(value, (rootName, src) => {
        if (!isKnownRuntimeRoot(rootName)) {
          warn(
            key,
            context,
            `${name}: \${${src}} is left for runtime interpolation (did you mean var.${rootName}?)`,
          );
        }
      });
    } catch (e) {
      if (!(e instanceof ExprError)) throw e;
      if (!(e instanceof AlreadyReported)) error(key, context, `${name}: ${e.message}`);
      return undefined;
    }
  };

  const convert = (value: unknown, kind: Kind, key: string, context: string, name: string): unknown => {
    const bad = (what: string) => {
      error(key, context, `${name} must be ${what}, got ${JSON.stringify(value)}`);
      return undefined;
    };
    switch (kind) {
      case "any":
        return value;
      case "string":
        if (typeof value === "string") return value;
        if (typeof value === "number" || typeof value === "boolean") return String(value);
        return bad("a string");
      case "int":
      case "number": {
        const n = typeof value === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
        if (typeof n !== "number" || !Number.isFinite(n)) return bad("a number");
        if (kind === "int" && !Number.isInteger(n)) return bad("a whole number");
        return n;
      }
      case "bool":
        if (typeof value === "boolean") return value;
        if (value === "true" || value === "false") return value === "true";
        return bad("true or false");
      case "duration": {
        if (typeof value === "number" && Number.isInteger(value)) return value;
        if (typeof value !== "string") return bad('a duration such as "30s"');
        const ns = parseGoDuration(value);
        if (ns === undefined) {
          error(
            key,
            context,
            `${name}: invalid duration ${JSON.stringify(value)} (expected e.g. "30s", "1m30s", "1h")`,
          );
        }
        return ns;
      }
      case "strlist": {
        if (!Array.isArray(value)) return bad("a list of strings");
        const out: string[] = [];
        for (const item of value) {
          const s = convert(item, "string", key, context, `${name}[]`);
          if (typeof s === "string") out.push(s);
        }
        return out;
      }
      case "strmap": {
        // `meta = { … }` is a map; `meta { … }` a list of one (or more) bodies.
        const bodies = Array.isArray(value) ? value : [value];
        const out: Record<string, string> = {};
        for (const body of bodies) {
          if (!isObj(body)) return bad("a map of strings");
          for (const [k, v] of Object.entries(body)) {
            const s = convert(v, "string", key, context, `${name}.${k}`);
            if (typeof s === "string") out[k] = s;
          }
        }
        return out;
      }
    }
  };

  /** Whether `name` in the block at `key` was written as an attribute (not a block). */
  const isAttribute = (key: string, name: string) => positions.has(joinKey(key, name));

  const readBody = (body: Obj, at: BlockCtx, out: Obj, spec: Spec): void => {
    const known = [
      ...Object.keys(spec.attrs ?? {}),
      ...Object.keys(spec.blocks ?? {}),
      ...(spec.extras ?? []),
    ];
    for (const [name, raw] of Object.entries(body)) {
      const key = joinKey(at.key, name);
      const attr = spec.attrs?.[name];
      const label = `${at.prefix}${name}`;
      if (attr !== undefined) {
        const [jsonName, kind] = attr;
        const json = jsonJoin(at.json, jsonName);
        record(json, key, at.context, label);
        const value = resolve(raw, key, at.context, label);
        if (value === undefined) continue;
        if (value === null) continue;
        const converted = convert(value, kind, key, at.context, label);
        if (converted !== undefined) out[jsonName] = converted;
        continue;
      }
      const block = spec.blocks?.[name];
      if (block !== undefined) {
        block(raw, at, name, out);
        continue;
      }
      if (spec.extras?.includes(name)) {
        const extraKey = `${at.context === "" ? "" : `${at.context} `}${label}`;
        extras[extraKey] = resolve(raw, key, at.context, label);
        const what = isAttribute(at.key, name) ? `the ${label} attribute is` : `${label} blocks are`;
        warn(
          isAttribute(at.key, name) ? key : firstBlockKey(at.key, name, raw),
          at.context,
          `${what} kept but not acted on yet`,
        );
        continue;
      }
      const attrLike = isAttribute(at.key, name);
      error(
        attrLike ? key : firstBlockKey(at.key, name, raw),
        at.context,
        `unknown ${attrLike ? "attribute" : "block"} ${JSON.stringify(label)}${didYouMean(name, known)}`,
      );
    }
  };

  /** Positions key of the first block named `name` in the block at `parent`. */
  const firstBlockKey = (parent: string, name: string, raw: unknown): string => {
    if (isObj(raw)) {
      const first = labelled(parent, name, raw)[0];
      if (first !== undefined) return first.key;
    }
    return joinKey(parent, blockKey(name, undefined, 0));
  };

  /** Labelled blocks (`group "a" {…}`), in file order. */
  const labelled = (
    parent: string,
    type: string,
    raw: unknown,
  ): Array<{ label: string; body: Obj; key: string }> => {
    if (!isObj(raw)) return [];
    const out: Array<{ label: string; body: Obj; key: string; pos: Pos }> = [];
    for (const [label, bodies] of Object.entries(raw)) {
      const list = Array.isArray(bodies) ? bodies : [bodies];
      list.forEach((body, i) => {
        const key = joinKey(parent, blockKey(type, label, i));
        out.push({ label, body: isObj(body) ? body : {}, key, pos: locate(positions, key) });
      });
    }
    out.sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
    return out;
  };

  /** Unlabelled blocks (`constraint {…}`), in file order. */
  const unlabelled = (parent: BlockCtx, type: string, raw: unknown): Array<{ body: Obj; key: string }> => {
    const key0 = joinKey(parent.key, blockKey(type, undefined, 0));
    if (!Array.isArray(raw) || !raw.every(isObj)) {
      if (isObj(raw) && isAttribute(parent.key, type)) return [{ body: raw, key: joinKey(parent.key, type) }];
      error(key0, parent.context, `${parent.prefix}${type} must be a block`);
      return [];
    }
    return raw.map((body, i) => ({ body, key: joinKey(parent.key, blockKey(type, undefined, i)) }));
  };

  /** A block that may appear once: its body, or undefined (with an error when repeated). */
  const single = (parent: BlockCtx, type: string, raw: unknown): { body: Obj; key: string } | undefined => {
    const blocks = unlabelled(parent, type, raw);
    if (blocks.length > 1) {
      error(
        (blocks[1] as { key: string }).key,
        parent.context,
        `only one ${parent.prefix}${type} block is allowed`,
      );
    }
    return blocks[0];
  };

  /** A single sub-block read with `spec` into `parentOut[jsonName]`. */
  const sub =
    (jsonName: string, spec: Spec, after?: (out: Obj, body: Obj, at: BlockCtx) => void) =>
    (raw: unknown, at: BlockCtx, name: string, parent: Obj): void => {
      const block = single(at, name, raw);
      if (block === undefined) return;
      const out: Obj = {};
      const json = jsonJoin(at.json, jsonName);
      const inner: BlockCtx = { key: block.key, context: at.context, json, prefix: `${at.prefix}${name}.` };
      record(json, block.key, at.context, `${at.prefix}${name}`);
      readBody(block.body, inner, out, spec);
      after?.(out, block.body, inner);
      parent[jsonName] = out;
    };

  /** A repeated unlabelled block appended to `parentOut[jsonName]`. */
  const many =
    (jsonName: string, read: (body: Obj, at: BlockCtx) => Obj | undefined) =>
    (raw: unknown, at: BlockCtx, name: string, parent: Obj): void => {
      const list: Obj[] = [];
      for (const { body, key } of unlabelled(at, name, raw)) {
        const json = `${jsonJoin(at.json, jsonName)}[${list.length}]`;
        record(json, key, at.context, `${at.prefix}${name}`);
        const item = read(body, { key, context: at.context, json, prefix: `${at.prefix}${name}.` });
        if (item !== undefined) list.push(item);
      }
      parent[jsonName] = list;
    };

  const RESTART: Spec = {
    attrs: {
      attempts: ["Attempts", "int"],
      interval: ["Interval", "duration"],
      delay: ["Delay", "duration"],
      mode: ["Mode", "string"],
    },
    extras: ["render_templates"],
  };
  const RESCHEDULE: Spec = {
    attrs: {
      attempts: ["Attempts", "int"],
      interval: ["Interval", "duration"],
      delay: ["Delay", "duration"],
      delay_function: ["DelayFunction", "string"],
      max_delay: ["MaxDelay", "duration"],
      unlimited: ["Unlimited", "bool"],
    },
  };
  const UPDATE: Spec = {
    attrs: {
      stagger: ["Stagger", "duration"],
      max_parallel: ["MaxParallel", "int"],
      health_check: ["HealthCheck", "string"],
      min_healthy_time: ["MinHealthyTime", "duration"],
      healthy_deadline: ["HealthyDeadline", "duration"],
      progress_deadline: ["ProgressDeadline", "duration"],
      auto_revert: ["AutoRevert", "bool"],
      auto_promote: ["AutoPromote", "bool"],
      canary: ["Canary", "int"],
    },
  };
  const MIGRATE: Spec = {
    attrs: {
      max_parallel: ["MaxParallel", "int"],
      health_check: ["HealthCheck", "string"],
      min_healthy_time: ["MinHealthyTime", "duration"],
      healthy_deadline: ["HealthyDeadline", "duration"],
    },
  };

  /** constraint and affinity: attribute/operator/value, or one of the sugar attributes. */
  const targetRule = (affinity: boolean) => (body: Obj, at: BlockCtx) => {
    const sugar = affinity ? AFFINITY_SUGAR : CONSTRAINT_SUGAR;
    const plain: Obj = {};
    const sugared = Object.keys(body).filter((k) => sugar.includes(k));
    const attrs: Record<string, [string, Kind]> = {
      attribute: ["LTarget", "string"],
      operator: ["Operand", "string"],
      value: ["RTarget", "string"],
    };
    if (affinity) attrs["weight"] = ["Weight", "int"];
    for (const s of sugar) attrs[s] = [`$${s}`, s === "distinct_hosts" ? "bool" : "string"];
    readBody(body, at, plain, { attrs });
    if (sugared.length > 1) {
      error(at.key, at.context, `${at.prefix.slice(0, -1)} may use only one of ${sugared.join(", ")}`);
    }
    const out: Obj = {};
    for (const [k, v] of Object.entries(plain)) if (!k.startsWith("$")) out[k] = v;
    const op = sugared[0];
    if (op !== undefined) {
      const value = plain[`$${op}`];
      if (op === "distinct_hosts") {
        if (value === false) return undefined;
        out["Operand"] = "distinct_hosts";
        out["RTarget"] = "true";
      } else if (op === "distinct_property") {
        out["Operand"] = "distinct_property";
        out["LTarget"] = value;
        record(`${at.json}.LTarget`, joinKey(at.key, op), at.context, `${at.prefix}${op}`);
      } else {
        out["Operand"] = op;
        out["RTarget"] = value;
        record(`${at.json}.RTarget`, joinKey(at.key, op), at.context, `${at.prefix}${op}`);
      }
      if (plain["Operand"] !== undefined && plain["Operand"] !== op) {
        error(
          at.key,
          at.context,
          `${at.prefix}operator ${JSON.stringify(plain["Operand"])} conflicts with ${op}`,
        );
      }
    }
    return out;
  };

  const spread = (body: Obj, at: BlockCtx): Obj => {
    const out: Obj = {};
    readBody(body, at, out, {
      attrs: { attribute: ["Attribute", "string"], weight: ["Weight", "int"] },
      blocks: {
        target: (raw, inner, name) => {
          const targetsOut: Obj[] = [];
          for (const t of labelled(inner.key, name, raw)) {
            const json = `${inner.json}.SpreadTarget[${targetsOut.length}]`;
            const one: Obj = { Value: t.label };
            record(json, t.key, inner.context, `${inner.prefix}target ${JSON.stringify(t.label)}`);
            readBody(
              t.body,
              { key: t.key, context: inner.context, json, prefix: `${inner.prefix}target.` },
              one,
              {
                attrs: { value: ["Value", "string"], percent: ["Percent", "int"] },
              },
            );
            targetsOut.push(one);
          }
          out["SpreadTarget"] = targetsOut;
        },
      },
    });
    return out;
  };

  const network = (body: Obj, at: BlockCtx): Obj => {
    const out: Obj = { ReservedPorts: [], DynamicPorts: [] };
    readBody(body, at, out, {
      attrs: { mode: ["Mode", "string"], mbits: ["MBits", "int"] },
      blocks: {
        port: (raw, inner, name) => {
          if (!isObj(raw) || isAttribute(inner.key, name)) {
            error(
              joinKey(inner.key, name),
              inner.context,
              `${inner.prefix}port must be a block with a label`,
            );
            return;
          }
          for (const p of labelled(inner.key, name, raw)) {
            const port: Obj = { Label: p.label };
            const portAt: BlockCtx = {
              key: p.key,
              context: inner.context,
              json: "",
              prefix: `${inner.prefix}port "${p.label}".`,
            };
            readBody(p.body, portAt, port, {
              attrs: { static: ["Value", "int"], to: ["To", "int"], host_network: ["HostNetwork", "string"] },
              extras: ["ignore_collision"],
            });
            const reserved = port["Value"] !== undefined;
            const list = out[reserved ? "ReservedPorts" : "DynamicPorts"] as Obj[];
            const json = `${inner.json}.${reserved ? "ReservedPorts" : "DynamicPorts"}[${list.length}]`;
            record(json, p.key, inner.context, `${inner.prefix}port ${JSON.stringify(p.label)}`);
            for (const [hcl, field] of [
              ["static", "Value"],
              ["to", "To"],
              ["host_network", "HostNetwork"],
            ] as const) {
              record(
                `${json}.${field}`,
                joinKey(p.key, hcl),
                inner.context,
                `${inner.prefix}port "${p.label}".${hcl}`,
              );
            }
            record(`${json}.Label`, p.key, inner.context, `${inner.prefix}port label`);
            list.push(port);
          }
        },
      },
      extras: ["dns", "hostname", "cni"],
    });
    return out;
  };

  const resources = (raw: unknown, at: BlockCtx, name: string, parent: Obj): void => {
    const block = single(at, name, raw);
    if (block === undefined) return;
    const json = jsonJoin(at.json, "Resources");
    const out: Obj = {};
    const inner: BlockCtx = { key: block.key, context: at.context, json, prefix: "resources." };
    record(json, block.key, at.context, "resources");
    readBody(block.body, inner, out, {
      attrs: {
        cpu: ["CPU", "int"],
        cores: ["Cores", "int"],
        memory: ["MemoryMB", "int"],
        memory_max: ["MemoryMaxMB", "int"],
        disk: ["DiskMB", "int"],
      },
      blocks: { network: many("Networks", network) },
      extras: ["device", "numa", "secrets"],
    });
    parent["Resources"] = out;
  };

  const task = (body: Obj, at: BlockCtx, out: Obj): void => {
    readBody(body, at, out, {
      attrs: {
        driver: ["Driver", "string"],
        user: ["User", "string"],
        kill_timeout: ["KillTimeout", "duration"],
        kill_signal: ["KillSignal", "string"],
        leader: ["Leader", "bool"],
        env: ["Env", "strmap"],
        meta: ["Meta", "strmap"],
      },
      blocks: {
        config: (raw, inner, name) => {
          const block = single(inner, name, raw);
          if (block === undefined) return;
          const json = jsonJoin(inner.json, "Config");
          record(json, block.key, inner.context, "config");
          const value = resolve(block.body, block.key, inner.context, "config");
          if (isObj(value)) out["Config"] = value;
        },
        env: (raw, inner, name) => {
          record(jsonJoin(inner.json, "Env"), joinKey(inner.key, name), inner.context, "env");
          const v = resolve(raw, joinKey(inner.key, name), inner.context, "env");
          if (v !== undefined)
            out["Env"] = convert(v, "strmap", joinKey(inner.key, name), inner.context, "env");
        },
        meta: (raw, inner, name) => {
          record(jsonJoin(inner.json, "Meta"), joinKey(inner.key, name), inner.context, "meta");
          const v = resolve(raw, joinKey(inner.key, name), inner.context, "meta");
          if (v !== undefined)
            out["Meta"] = convert(v, "strmap", joinKey(inner.key, name), inner.context, "meta");
        },
        resources,
        constraint: many("Constraints", targetRule(false)),
        affinity: many("Affinities", targetRule(true)),
        restart: sub("RestartPolicy", RESTART),
        logs: sub("LogConfig", {
          attrs: { max_files: ["MaxFiles", "int"], max_file_size: ["MaxFileSizeMB", "int"] },
          extras: ["disabled", "enabled"],
        }),
        lifecycle: sub("Lifecycle", { attrs: { hook: ["Hook", "string"], sidecar: ["Sidecar", "bool"] } }),
        dispatch_payload: sub("DispatchPayload", { attrs: { file: ["File", "string"] } }),
      },
      extras: [
        "service",
        "template",
        "artifact",
        "volume_mount",
        "vault",
        "consul",
        "identity",
        "csi_plugin",
        "scaling",
        "action",
        "schedule",
        "secret",
        "kind",
        "shutdown_delay",
      ],
    });
  };

  const group = (body: Obj, at: BlockCtx, out: Obj): void => {
    readBody(body, at, out, {
      attrs: {
        count: ["Count", "int"],
        meta: ["Meta", "strmap"],
        stop_after_client_disconnect: ["StopAfterClientDisconnect", "duration"],
        max_client_disconnect: ["MaxClientDisconnect", "duration"],
      },
      blocks: {
        task: (raw, inner, name) => {
          const tasks: Obj[] = [];
          if (!isObj(raw) || isAttribute(inner.key, name)) {
            error(joinKey(inner.key, name), inner.context, "task must be a block with a name label");
            return;
          }
          for (const t of labelled(inner.key, name, raw)) {
            const json = `${inner.json}.Tasks[${tasks.length}]`;
            const one: Obj = { Name: t.label };
            const context = `${inner.context} task ${JSON.stringify(t.label)}`;
            record(json, t.key, context, "");
            record(`${json}.Name`, t.key, context, "task name");
            task(t.body, { key: t.key, context, json, prefix: "" }, one);
            tasks.push(one);
          }
          out["Tasks"] = tasks;
        },
        meta: (raw, inner, name) => {
          record(jsonJoin(inner.json, "Meta"), joinKey(inner.key, name), inner.context, "meta");
          const v = resolve(raw, joinKey(inner.key, name), inner.context, "meta");
          if (v !== undefined)
            out["Meta"] = convert(v, "strmap", joinKey(inner.key, name), inner.context, "meta");
        },
        constraint: many("Constraints", targetRule(false)),
        affinity: many("Affinities", targetRule(true)),
        spread: many("Spreads", spread),
        network: many("Networks", network),
        restart: sub("RestartPolicy", RESTART),
        reschedule: sub("ReschedulePolicy", RESCHEDULE),
        update: sub("Update", UPDATE),
        migrate: sub("Migrate", MIGRATE),
        ephemeral_disk: sub("EphemeralDisk", {
          attrs: { sticky: ["Sticky", "bool"], size: ["SizeMB", "int"], migrate: ["Migrate", "bool"] },
        }),
        disconnect: sub("Disconnect", {
          attrs: {
            lost_after: ["LostAfter", "duration"],
            replace: ["Replace", "bool"],
            reconcile: ["Reconcile", "string"],
            stop_on_client_after: ["StopOnClientAfter", "duration"],
          },
        }),
      },
      extras: ["service", "volume", "scaling", "consul", "shutdown_delay", "prevent_reschedule_on_lost"],
    });
  };

  // ── the job ──
  const input: Obj = {};
  for (const name of Object.keys(root)) {
    if (!["job", "variable", "variables", "locals"].includes(name)) {
      const attrLike = positions.has(name);
      error(
        attrLike ? name : firstBlockKey("", name, root[name]),
        "",
        `unknown ${attrLike ? "attribute" : "block"} ${JSON.stringify(name)} at the top of the file${didYouMean(name, ["job", "variable", "locals"])}`,
      );
    }
  }
  const jobs = labelled("", "job", root["job"]);
  if (jobs.length === 0) {
    error("", "", `no job block (expected job "name" { … })`);
    return { input, extras, origins };
  }
  if (jobs.length > 1) error((jobs[1] as { key: string }).key, "", "a file may hold only one job block");
  const job = jobs[0] as { label: string; body: Obj; key: string };
  const context = `job ${JSON.stringify(job.label)}`;
  const at: BlockCtx = { key: job.key, context, json: "", prefix: "" };
  input["ID"] = job.label;
  record("ID", job.key, context, "job name");
  record("", job.key, context, "");
  readBody(job.body, at, input, {
    attrs: {
      region: ["Region", "string"],
      namespace: ["Namespace", "string"],
      name: ["Name", "string"],
      type: ["Type", "string"],
      priority: ["Priority", "int"],
      all_at_once: ["AllAtOnce", "bool"],
      datacenters: ["Datacenters", "strlist"],
      node_pool: ["NodePool", "string"],
      meta: ["Meta", "strmap"],
    },
    blocks: {
      group: (raw, inner, name) => {
        const groups: Obj[] = [];
        if (!isObj(raw) || isAttribute(inner.key, name)) {
          error(joinKey(inner.key, name), inner.context, "group must be a block with a name label");
          return;
        }
        for (const g of labelled(inner.key, name, raw)) {
          const json = `TaskGroups[${groups.length}]`;
          const one: Obj = { Name: g.label };
          const groupContext = `group ${JSON.stringify(g.label)}`;
          record(json, g.key, groupContext, "");
          record(`${json}.Name`, g.key, groupContext, "group name");
          group(g.body, { key: g.key, context: groupContext, json, prefix: "" }, one);
          groups.push(one);
        }
        input["TaskGroups"] = groups;
      },
      meta: (raw, inner, name) => {
        record("Meta", joinKey(inner.key, name), inner.context, "meta");
        const v = resolve(raw, joinKey(inner.key, name), inner.context, "meta");
        if (v !== undefined)
          input["Meta"] = convert(v, "strmap", joinKey(inner.key, name), inner.context, "meta");
      },
      constraint: many("Constraints", targetRule(false)),
      affinity: many("Affinities", targetRule(true)),
      spread: many("Spreads", spread),
      update: sub("Update", UPDATE),
      migrate: sub("Migrate", MIGRATE),
      reschedule: sub("Reschedule", RESCHEDULE),
      periodic: sub(
        "Periodic",
        {
          attrs: {
            cron: ["Spec", "string"],
            crons: ["Specs", "strlist"],
            prohibit_overlap: ["ProhibitOverlap", "bool"],
            time_zone: ["TimeZone", "string"],
            enabled: ["Enabled", "bool"],
          },
        },
        (out, _body, inner) => {
          if (out["Specs"] !== undefined)
            record(`${inner.json}.Spec`, joinKey(inner.key, "crons"), inner.context, "periodic.crons");
        },
      ),
      parameterized: sub("ParameterizedJob", {
        attrs: {
          payload: ["Payload", "string"],
          meta_required: ["MetaRequired", "strlist"],
          meta_optional: ["MetaOptional", "strlist"],
        },
      }),
    },
    extras: ["vault", "consul", "multiregion", "ui", "vault_token", "consul_token", "version_tag"],
  });
  return { input, extras, origins };
}
