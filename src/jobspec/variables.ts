import { readFile } from "node:fs/promises";
import { ValidationError } from "../common/errors.js";
import {
  ExprError,
  evaluate,
  evaluateString,
  isKnownRuntimeRoot,
  parseExpression,
  type Scope,
} from "./hcl-expr.js";
import { parseHcl } from "./hcl-parse.js";
import { blockKey, joinKey, locate, type Pos } from "./hcl-positions.js";
import { didYouMean, type Issues, isObj, type Obj } from "./issues.js";

/**
 * HCL2 input variables, locals and interpolation, as Nomad's job files use them:
 *
 *   variable "image" { type = string  default = "nginx:1.27" }
 *   locals { name = "web-${var.env}" }
 *   job "x" { … image = var.image … }
 *
 * Values come from `-var name=value` (a string, converted to the declared type), then var files
 * (HCL `name = value`, or JSON when the name ends in .json), then the declared default. A
 * variable with none of them is an error at its declaration, as in Nomad.
 */

export interface VarFile {
  filename: string;
  text: string;
}

export interface VariableOptions {
  /** `-var` values: `{ name: "value" }` or `["name=value"]`. */
  vars?: Record<string, string> | readonly string[];
  /** `-var-file` files: paths to read, or their contents. */
  varFiles?: ReadonlyArray<string | VarFile>;
}

/** An error already reported as an issue; evaluation stops without saying it again. */
export class AlreadyReported extends ExprError {}

interface Declared {
  name: string;
  type: string | undefined;
  default: unknown;
  hasDefault: boolean;
  pos: Pos;
}

const VARIABLE_ATTRS = ["type", "default", "description", "sensitive", "nullable", "validation"];

export interface Variables {
  scope: Scope;
  /** Evaluates every string in `value` (deeply); ExprError on a failure. */
  resolve(value: unknown, onRuntime?: (root: string, src: string) => void): unknown;
}

function typeSource(type: unknown): string | undefined {
  if (type === undefined || type === null) return undefined;
  if (typeof type !== "string") return "any";
  const m = /^\$\{(.*)\}$/s.exec(type);
  return (m?.[1] ?? type).replace(/\s+/g, "");
}

/** Converts a value to a declared type (string, number, bool, list(…), set(…), map(…), any, …). */
export function convertToType(value: unknown, type: string | undefined, what: string): unknown {
  if (type === undefined || type === "any" || value === null) return value;
  if (type === "string") {
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    throw new ExprError(`${what}: a string is required`);
  }
  if (type === "number") {
    if (typeof value === "number") return value;
    if (typeof value === "string" && /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(value)) return Number(value);
    throw new ExprError(`${what}: a number is required, got ${JSON.stringify(value)}`);
  }
  if (type === "bool") {
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    throw new ExprError(`${what}: a bool is required, got ${JSON.stringify(value)}`);
  }
  const m = /^(list|set|map)\((.*)\)$/.exec(type);
  if (m !== null) {
    const inner = m[2];
    if (m[1] === "map") {
      if (!isObj(value)) throw new ExprError(`${what}: a map is required`);
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, convertToType(v, inner, `${what}["${k}"]`)]),
      );
    }
    if (!Array.isArray(value)) throw new ExprError(`${what}: a list is required`);
    return value.map((v, i) => convertToType(v, inner, `${what}[${i}]`));
  }
  // object({…}) and tuple([…]): taken as given.
  return value;
}

function parseVarArgs(vars: VariableOptions["vars"]): Array<[string, string]> {
  if (vars === undefined) return [];
  if (Array.isArray(vars)) {
    return (vars as readonly string[]).map((arg) => {
      const eq = arg.indexOf("=");
      if (eq <= 0) throw new ValidationError(`expected name=value, got ${JSON.stringify(arg)}`, "-var");
      return [arg.slice(0, eq).trim(), arg.slice(eq + 1)];
    });
  }
  return Object.entries(vars as Record<string, string>);
}

async function readVarFile(file: string | VarFile): Promise<VarFile> {
  if (typeof file !== "string") return file;
  try {
    return { filename: file, text: await readFile(file, "utf8") };
  } catch (error) {
    throw new ValidationError(`cannot read var file: ${(error as Error).message}`, file);
  }
}

/** Values of a var file: JSON for *.json, HCL attributes otherwise (literal expressions only). */
async function varFileValues(file: VarFile): Promise<Obj> {
  if (file.filename.endsWith(".json")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(file.text);
    } catch (error) {
      throw new ValidationError(`invalid JSON: ${(error as Error).message}`, file.filename);
    }
    if (!isObj(parsed)) throw new ValidationError("a var file must hold an object", file.filename);
    return parsed;
  }
  const body = await parseHcl(file.text, file.filename);
  const out: Obj = {};
  const none: Scope = {
    variable: (name) => {
      throw new ExprError(`var.${name} cannot be used in a var file`);
    },
    local: (name) => {
      throw new ExprError(`local.${name} cannot be used in a var file`);
    },
  };
  for (const [name, value] of Object.entries(body)) {
    if (Array.isArray(value) && value.every(isObj) && value.length > 0) {
      throw new ValidationError(`${name}: blocks are not allowed in a var file`, file.filename);
    }
    try {
      out[name] = resolveDeep(value, none);
    } catch (error) {
      if (error instanceof ExprError) throw new ValidationError(`${name}: ${error.message}`, file.filename);
      throw error;
    }
  }
  return out;
}

function resolveDeep(value: unknown, scope: Scope, onRuntime?: (root: string, src: string) => void): unknown {
  if (typeof value === "string") return evaluateString(value, scope, onRuntime);
  if (Array.isArray(value)) return value.map((v) => resolveDeep(v, scope, onRuntime));
  if (isObj(value)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveDeep(v, scope, onRuntime);
    return out;
  }
  return value;
}

/**
 * Reads the variable declarations and locals of a job file, gives each variable its value, and
 * returns a scope to evaluate the rest of the file in. Problems are added to `issues`, located.
 */
export async function readVariables(
  root: Obj,
  options: VariableOptions,
  filename: string,
  positions: ReadonlyMap<string, Pos>,
  issues: Issues,
): Promise<Variables> {
  const where = (key: string): string => {
    const pos = locate(positions, key);
    return `${filename}:${pos.line},${pos.col}`;
  };
  const declared = new Map<string, Declared>();

  const declare = (
    name: string,
    body: Obj,
    key: string,
    hasDefault: boolean,
    def: unknown,
    type: unknown,
  ) => {
    if (declared.has(name)) {
      issues.error(where(key), `variable ${JSON.stringify(name)} is declared twice`);
      return;
    }
    declared.set(name, {
      name,
      type: typeSource(type),
      default: def,
      hasDefault,
      pos: locate(positions, key),
    });
    for (const attr of Object.keys(body)) {
      if (!VARIABLE_ATTRS.includes(attr)) {
        issues.error(
          where(joinKey(key, attr)),
          `variable ${JSON.stringify(name)}: unknown attribute ${JSON.stringify(attr)}${didYouMean(attr, VARIABLE_ATTRS)}`,
        );
      }
    }
  };

  const variableBlocks = root["variable"];
  if (variableBlocks !== undefined) {
    if (!isObj(variableBlocks)) issues.error(where("variable#0"), "a variable block needs a name label");
    else {
      for (const [name, bodies] of Object.entries(variableBlocks)) {
        const list = Array.isArray(bodies) ? bodies : [bodies];
        list.forEach((body, i) => {
          const key = blockKey("variable", name, i);
          if (!isObj(body)) {
            issues.error(where(key), `variable ${JSON.stringify(name)} must be a block`);
            return;
          }
          declare(name, body, key, Object.hasOwn(body, "default"), body["default"], body["type"]);
        });
      }
    }
  }
  // The older `variables { name = default }` form.
  const variablesBlocks = root["variables"];
  if (Array.isArray(variablesBlocks)) {
    variablesBlocks.forEach((body, i) => {
      if (!isObj(body)) return;
      for (const [name, def] of Object.entries(body)) {
        declare(name, {}, joinKey(blockKey("variables", undefined, i), name), true, def, undefined);
      }
    });
  }

  const values = new Map<string, unknown>();
  const noScope: Scope = {
    variable: (name) => {
      throw new ExprError(`var.${name}: a variable's default cannot refer to variables`);
    },
    local: (name) => {
      throw new ExprError(`local.${name}: a variable's default cannot refer to locals`);
    },
  };
  const assign = (name: string, raw: unknown, fromCli: boolean, source: string) => {
    const decl = declared.get(name);
    if (decl === undefined) return;
    try {
      let value = raw;
      if (
        fromCli &&
        typeof raw === "string" &&
        decl.type !== undefined &&
        /^(list|set|map|object|tuple)\(/.test(decl.type)
      ) {
        value = evaluate(parseExpression(raw), noScope);
      }
      values.set(name, convertToType(value, decl.type, `variable ${JSON.stringify(name)}`));
    } catch (error) {
      if (!(error instanceof ExprError)) throw error;
      issues.error(source, error.message);
      values.set(name, null);
    }
  };

  // Defaults first, then var files in order, then -var (the last word wins).
  for (const decl of declared.values()) {
    if (!decl.hasDefault) continue;
    try {
      assign(
        decl.name,
        resolveDeep(decl.default, noScope),
        false,
        `${filename}:${decl.pos.line},${decl.pos.col}`,
      );
    } catch (error) {
      if (!(error instanceof ExprError)) throw error;
      issues.error(
        `${filename}:${decl.pos.line},${decl.pos.col}`,
        `variable ${JSON.stringify(decl.name)}: ${error.message}`,
      );
    }
  }
  for (const file of options.varFiles ?? []) {
    const read = await readVarFile(file);
    const fileValues = await varFileValues(read);
    for (const [name, value] of Object.entries(fileValues)) {
      if (!declared.has(name)) {
        issues.warn(read.filename, `variable ${JSON.stringify(name)} is set but not declared in ${filename}`);
        continue;
      }
      assign(name, value, false, read.filename);
    }
  }
  for (const [name, value] of parseVarArgs(options.vars)) {
    if (!declared.has(name)) {
      issues.error(
        `-var ${name}`,
        `no variable ${JSON.stringify(name)} is declared in ${filename}${didYouMean(name, declared.keys())}`,
      );
      continue;
    }
    assign(name, value, true, `-var ${name}`);
  }
  for (const decl of declared.values()) {
    if (!values.has(decl.name)) {
      issues.error(
        `${filename}:${decl.pos.line},${decl.pos.col}`,
        `variable ${JSON.stringify(decl.name)}: a value is required (give it with -var ${decl.name}=… or in a var file)`,
      );
      values.set(decl.name, null);
    }
  }

  // Locals, evaluated when first used (they may refer to each other, not in a cycle).
  const localSources = new Map<string, { value: unknown; key: string }>();
  const localsBlocks = root["locals"];
  if (localsBlocks !== undefined) {
    const list = Array.isArray(localsBlocks) ? localsBlocks : [localsBlocks];
    list.forEach((body, i) => {
      if (!isObj(body)) return;
      for (const [name, value] of Object.entries(body)) {
        const key = joinKey(blockKey("locals", undefined, i), name);
        if (localSources.has(name))
          issues.error(where(key), `local ${JSON.stringify(name)} is defined twice`);
        else localSources.set(name, { value, key });
      }
    });
  }
  const localValues = new Map<string, unknown>();
  const evaluating = new Set<string>();
  const failed = new Set<string>();

  const scope: Scope = {
    variable(name) {
      if (!values.has(name)) {
        throw new ExprError(`undeclared variable var.${name}${didYouMean(name, values.keys())}`);
      }
      return values.get(name);
    },
    local(name) {
      if (localValues.has(name)) return localValues.get(name);
      if (failed.has(name)) throw new AlreadyReported(`local.${name}`);
      const source = localSources.get(name);
      if (source === undefined) {
        throw new ExprError(`undefined local.${name}${didYouMean(name, localSources.keys())}`);
      }
      if (evaluating.has(name)) throw new ExprError(`local.${name} refers to itself`);
      evaluating.add(name);
      try {
        const value = resolveDeep(source.value, scope);
        localValues.set(name, value);
        return value;
      } catch (error) {
        if (error instanceof AlreadyReported || !(error instanceof ExprError)) throw error;
        failed.add(name);
        issues.error(where(source.key), `local ${JSON.stringify(name)}: ${error.message}`);
        throw new AlreadyReported(`local.${name}`);
      } finally {
        evaluating.delete(name);
      }
    },
  };
  // Every local is evaluated, used or not, so a broken one is reported.
  for (const name of localSources.keys()) {
    try {
      scope.local(name);
    } catch (error) {
      if (!(error instanceof ExprError)) throw error;
    }
  }
  return {
    scope,
    resolve: (value, onRuntime) => resolveDeep(value, scope, onRuntime),
  };
}

export { isKnownRuntimeRoot };
