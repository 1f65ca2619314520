/**
 * The part of HCL's expression language that job files use where hcl2json leaves an expression
 * as its source text (`"${var.image}"`, `"${upper(local.env)}"`, `"${var.n > 0 ? var.n : 1}"`):
 * literals, lists and objects, `var.*` and `local.*` references with `.attr` and `[index]`,
 * a few functions, arithmetic, comparison, logic and the conditional.
 *
 * References to anything else (`attr.*`, `meta.*`, `node.*`, `env["X"]`, `NOMAD_*`) are runtime
 * interpolations, filled in on the client when a task starts: a template part that is only such
 * a reference is kept as written; used inside a function or an operator it is an error, since its
 * value is not known here.
 */

import { didYouMean } from "./issues.js";

export class ExprError extends Error {
  override name = "ExprError";
}

export type Node =
  | { t: "lit"; v: unknown }
  | { t: "tmpl"; parts: Array<string | Node> }
  | { t: "list"; items: Node[] }
  | { t: "obj"; items: Array<[Node, Node]> }
  | { t: "ref"; root: string; steps: Array<string | Node>; src: string }
  | { t: "get"; x: Node; key: string | Node }
  | { t: "call"; name: string; args: Node[]; expand: boolean }
  | { t: "un"; op: string; x: Node }
  | { t: "bin"; op: string; l: Node; r: Node }
  | { t: "cond"; c: Node; a: Node; b: Node };

const BINARY: Record<string, number> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
  "%": 6,
};

/** A recursive-descent parser over HCL source text, from `pos` on. */
class Parser {
  pos: number;
  constructor(
    readonly src: string,
    start: number,
  ) {
    this.pos = start;
  }

  private fail(message: string): never {
    throw new ExprError(message);
  }

  private ws(): void {
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") this.pos++;
      else if (c === "#" || (c === "/" && this.src[this.pos + 1] === "/")) {
        while (this.pos < this.src.length && this.src[this.pos] !== "\n") this.pos++;
      } else if (c === "/" && this.src[this.pos + 1] === "*") {
        const end = this.src.indexOf("*/", this.pos + 2);
        this.pos = end < 0 ? this.src.length : end + 2;
      } else return;
    }
  }

  private eat(token: string): boolean {
    this.ws();
    if (this.src.startsWith(token, this.pos)) {
      this.pos += token.length;
      return true;
    }
    return false;
  }

  private expect(token: string): void {
    if (!this.eat(token)) {
      const got = this.src.slice(this.pos, this.pos + 10);
      this.fail(
        `expected ${JSON.stringify(token)}, found ${got === "" ? "end of input" : JSON.stringify(got)}`,
      );
    }
  }

  peekChar(): string {
    this.ws();
    return this.src[this.pos] ?? "";
  }

  expr(): Node {
    const c = this.binary(0);
    if (this.eat("?")) {
      const a = this.expr();
      this.expect(":");
      const b = this.expr();
      return { t: "cond", c, a, b };
    }
    return c;
  }

  private binaryOp(): string | undefined {
    this.ws();
    for (const op of ["||", "&&", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%"]) {
      if (this.src.startsWith(op, this.pos)) {
        // "=>" and "<<" are not binary operators here.
        if ((op === "<" || op === ">") && this.src[this.pos + 1] === op) return undefined;
        return op;
      }
    }
    return undefined;
  }

  private binary(minPrec: number): Node {
    let left = this.unary();
    for (;;) {
      const op = this.binaryOp();
      const prec = op === undefined ? undefined : BINARY[op];
      if (op === undefined || prec === undefined || prec <= minPrec) return left;
      this.pos += op.length;
      const right = this.binary(prec);
      left = { t: "bin", op, l: left, r: right };
    }
  }

  private unary(): Node {
    if (this.eat("!")) return { t: "un", op: "!", x: this.unary() };
    this.ws();
    if (this.src[this.pos] === "-" && !/[0-9]/.test(this.src[this.pos + 1] ?? "")) {
      this.pos++;
      return { t: "un", op: "-", x: this.unary() };
    }
    return this.postfix(this.primary());
  }

  private postfix(node: Node): Node {
    let x = node;
    for (;;) {
      this.ws();
      if (this.src.startsWith(".*", this.pos) || this.src.startsWith("[*]", this.pos)) {
        this.fail("splat expressions are not supported");
      }
      if (this.src[this.pos] === "." && /[A-Za-z_]/.test(this.src[this.pos + 1] ?? "")) {
        this.pos++;
        x = { t: "get", x, key: this.ident() };
      } else if (this.src[this.pos] === "[") {
        this.pos++;
        const key = this.expr();
        this.expect("]");
        x = { t: "get", x, key };
      } else return x;
    }
  }

  private ident(): string {
    const m = /^[\p{L}_][\p{L}\p{N}_-]*/u.exec(this.src.slice(this.pos));
    if (m === null)
      this.fail(`expected a name at ${JSON.stringify(this.src.slice(this.pos, this.pos + 10))}`);
    this.pos += m[0].length;
    return m[0];
  }

  private primary(): Node {
    this.ws();
    const c = this.src[this.pos] ?? "";
    if (c === "") this.fail("unexpected end of expression");
    if (c === '"') return this.template();
    if (c === "(") {
      this.pos++;
      const inner = this.expr();
      this.expect(")");
      return inner;
    }
    if (/[-0-9]/.test(c)) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(this.src.slice(this.pos));
      if (m === null) this.fail(`bad number at ${JSON.stringify(this.src.slice(this.pos, this.pos + 10))}`);
      this.pos += m[0].length;
      return { t: "lit", v: Number(m[0]) };
    }
    if (c === "[") {
      this.pos++;
      if (/^\s*for\s/.test(this.src.slice(this.pos))) this.fail("for expressions are not supported");
      const items: Node[] = [];
      while (!this.eat("]")) {
        items.push(this.expr());
        if (!this.eat(",")) {
          this.expect("]");
          break;
        }
      }
      return { t: "list", items };
    }
    if (c === "{") {
      this.pos++;
      if (/^\s*for\s/.test(this.src.slice(this.pos))) this.fail("for expressions are not supported");
      const items: Array<[Node, Node]> = [];
      while (!this.eat("}")) {
        this.ws();
        let key: Node;
        if (this.src[this.pos] === "(") key = this.primary();
        else if (this.src[this.pos] === '"') key = this.template();
        else key = { t: "lit", v: this.ident() };
        if (!this.eat("=")) this.expect(":");
        items.push([key, this.expr()]);
        this.eat(",");
      }
      return { t: "obj", items };
    }
    const start = this.pos;
    const name = this.ident();
    if (name === "true" || name === "false") return { t: "lit", v: name === "true" };
    if (name === "null") return { t: "lit", v: null };
    this.ws();
    if (this.src[this.pos] === "(") {
      this.pos++;
      const args: Node[] = [];
      let expand = false;
      while (!this.eat(")")) {
        args.push(this.expr());
        if (this.eat("...")) expand = true;
        if (!this.eat(",")) {
          this.expect(")");
          break;
        }
      }
      return { t: "call", name, args, expand };
    }
    this.pos = start + name.length;
    const steps: Array<string | Node> = [];
    for (;;) {
      if (this.src[this.pos] === "." && /[A-Za-z_]/.test(this.src[this.pos + 1] ?? "")) {
        this.pos++;
        steps.push(this.ident());
      } else if (this.src[this.pos] === "[" && this.src[this.pos + 1] !== "*") {
        this.pos++;
        steps.push(this.expr());
        this.expect("]");
      } else break;
    }
    return { t: "ref", root: name, steps, src: this.src.slice(start, this.pos) };
  }

  /** A quoted template from its opening quote. */
  template(): Node {
    this.pos++;
    const parts = this.templateParts('"');
    return { t: "tmpl", parts };
  }

  /** Template parts up to `end` (a closing quote) or the end of the text (`end` undefined). */
  templateParts(end: string | undefined): Array<string | Node> {
    const parts: Array<string | Node> = [];
    let text = "";
    const quoted = end !== undefined;
    for (;;) {
      if (this.pos >= this.src.length) {
        if (quoted) this.fail("unterminated string");
        break;
      }
      const c = this.src[this.pos] as string;
      if (quoted && c === end) {
        this.pos++;
        break;
      }
      if (quoted && c === "\\") {
        const e = this.src[this.pos + 1] ?? "";
        this.pos += 2;
        if (e === "n") text += "\n";
        else if (e === "t") text += "\t";
        else if (e === "r") text += "\r";
        else if (e === "u" || e === "U") {
          const len = e === "u" ? 4 : 8;
          const hex = this.src.slice(this.pos, this.pos + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail("bad unicode escape");
          text += String.fromCodePoint(Number.parseInt(hex, 16));
          this.pos += len;
        } else text += e;
        continue;
      }
      if ((c === "$" || c === "%") && this.src[this.pos + 1] === c && this.src[this.pos + 2] === "{") {
        text += `${c}{`;
        this.pos += 3;
        continue;
      }
      if (c === "%" && this.src[this.pos + 1] === "{") {
        this.fail("template directives (%{ if }, %{ for }) are not supported");
      }
      if (c === "$" && this.src[this.pos + 1] === "{") {
        if (text !== "") parts.push(text);
        text = "";
        this.pos += 2;
        this.eat("~");
        const node = this.expr();
        this.eat("~");
        this.expect("}");
        parts.push(node);
        continue;
      }
      text += c;
      this.pos++;
    }
    if (text !== "" || parts.length === 0) parts.push(text);
    return parts;
  }
}

/** Parses one expression (the whole of `src`). */
export function parseExpression(src: string): Node {
  const p = new Parser(src, 0);
  const node = p.expr();
  if (p.peekChar() !== "") throw new ExprError(`unexpected ${JSON.stringify(src.slice(p.pos, p.pos + 10))}`);
  return node;
}

/** Parses a string as hcl2json leaves it: literal text with `${…}` parts (escapes already decoded). */
export function parseTemplate(text: string): Array<string | Node> {
  return new Parser(text, 0).templateParts(undefined);
}

/** What evaluation needs from its surroundings. */
export interface Scope {
  variable(name: string): unknown;
  local(name: string): unknown;
}

/** A template part that refers to a runtime value: kept as `${src}`. */
export function runtimeRef(node: Node): Extract<Node, { t: "ref" }> | undefined {
  return node.t === "ref" && node.root !== "var" && node.root !== "local" ? node : undefined;
}

const RUNTIME_ROOTS = new Set(["attr", "meta", "node", "env", "unique", "device", "driver", "NOMAD"]);

/** Whether a runtime reference looks like one Nomad knows (for a warning otherwise). */
export function isKnownRuntimeRoot(root: string): boolean {
  return RUNTIME_ROOTS.has(root) || /^[A-Z]/.test(root);
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  return typeof v === "object" ? "object" : typeof v;
}

export function toStr(v: unknown, what: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new ExprError(`${what}: a ${typeName(v)} cannot be used as a string`);
}

function toNum(v: unknown, what: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(v)) return Number(v);
  throw new ExprError(`${what}: ${JSON.stringify(v)} is not a number`);
}

function toBool(v: unknown, what: string): boolean {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  throw new ExprError(`${what}: ${JSON.stringify(v)} is not a bool`);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Go's fmt verbs as HCL's format() takes them: %s %d %f %v %q %t %%, with width and precision. */
function format(fmt: string, args: unknown[]): string {
  let i = 0;
  return fmt.replace(
    /%([-0]?)(\d*)(?:\.(\d+))?([sdfvqt%])/g,
    (_m, flag: string, width: string, prec, verb) => {
      if (verb === "%") return "%";
      if (i >= args.length) throw new ExprError(`format: not enough arguments for ${JSON.stringify(fmt)}`);
      const arg = args[i++];
      let out: string;
      if (verb === "d") {
        const n = toNum(arg, "format %d");
        if (!Number.isInteger(n)) throw new ExprError(`format %d: ${n} is not an integer`);
        out = String(n);
      } else if (verb === "f") out = toNum(arg, "format %f").toFixed(prec === undefined ? 6 : Number(prec));
      else if (verb === "q") out = JSON.stringify(toStr(arg, "format %q"));
      else if (verb === "t") out = String(toBool(arg, "format %t"));
      else if (verb === "v" && (Array.isArray(arg) || (typeof arg === "object" && arg !== null)))
        out = JSON.stringify(arg);
      else out = toStr(arg, `format %${verb}`);
      const w = width === "" ? 0 : Number(width);
      if (flag === "-") return out.padEnd(w);
      if (flag === "0" && (verb === "d" || verb === "f") && out.startsWith("-"))
        return `-${out.slice(1).padStart(w - 1, "0")}`;
      return out.padStart(w, flag === "0" ? "0" : " ");
    },
  );
}

function asList(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new ExprError(`${what}: expected a list, got a ${typeName(v)}`);
  return v;
}

function asMap(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ExprError(`${what}: expected a map, got a ${typeName(v)}`);
  }
  return v as Record<string, unknown>;
}

function arity(name: string, args: unknown[], min: number, max = min): unknown[] {
  if (args.length < min || args.length > max) {
    const want =
      min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
    throw new ExprError(`${name}() takes ${want} argument(s), got ${args.length}`);
  }
  return args;
}

type Fn = (args: unknown[]) => unknown;

export const FUNCTIONS: Record<string, Fn> = {
  upper: (a) => toStr(arity("upper", a, 1)[0], "upper").toUpperCase(),
  lower: (a) => toStr(arity("lower", a, 1)[0], "lower").toLowerCase(),
  trimspace: (a) => toStr(arity("trimspace", a, 1)[0], "trimspace").trim(),
  format: (a) => format(toStr(arity("format", a, 1, Number.POSITIVE_INFINITY)[0], "format"), a.slice(1)),
  join: (a) => {
    arity("join", a, 2, Number.POSITIVE_INFINITY);
    const sep = toStr(a[0], "join");
    return a
      .slice(1)
      .flatMap((l) => asList(l, "join"))
      .map((v) => toStr(v, "join"))
      .join(sep);
  },
  concat: (a) => a.flatMap((l) => asList(l, "concat")),
  lookup: (a) => {
    arity("lookup", a, 2, 3);
    const map = asMap(a[0], "lookup");
    const key = toStr(a[1], "lookup");
    if (Object.hasOwn(map, key)) return map[key];
    if (a.length === 3) return a[2];
    throw new ExprError(`lookup: no key ${JSON.stringify(key)} and no default`);
  },
  replace: (a) => {
    arity("replace", a, 3);
    const s = toStr(a[0], "replace");
    const find = toStr(a[1], "replace");
    const by = toStr(a[2], "replace");
    if (find.length > 1 && find.startsWith("/") && find.endsWith("/")) {
      let re: RegExp;
      try {
        re = new RegExp(find.slice(1, -1), "g");
      } catch (error) {
        throw new ExprError(`replace: bad regular expression ${find}: ${(error as Error).message}`);
      }
      return s.replace(re, by);
    }
    return s.split(find).join(by);
  },
  jsonencode: (a) => JSON.stringify(arity("jsonencode", a, 1)[0] ?? null),
  tostring: (a) => {
    arity("tostring", a, 1);
    return a[0] === null ? null : toStr(a[0], "tostring");
  },
  tonumber: (a) => {
    arity("tonumber", a, 1);
    return a[0] === null ? null : toNum(a[0], "tonumber");
  },
};

export const FUNCTION_NAMES = Object.keys(FUNCTIONS);

function index(x: unknown, key: unknown, what: string): unknown {
  if (Array.isArray(x)) {
    const i = toNum(key, what);
    if (!Number.isInteger(i) || i < 0 || i >= x.length) {
      throw new ExprError(`${what}: index ${i} is out of range (the list has ${x.length} elements)`);
    }
    return x[i];
  }
  if (typeof x === "object" && x !== null) {
    const k = toStr(key, what);
    const map = x as Record<string, unknown>;
    if (!Object.hasOwn(map, k)) throw new ExprError(`${what}: no attribute or key ${JSON.stringify(k)}`);
    return map[k];
  }
  throw new ExprError(`${what}: a ${typeName(x)} has no attributes or elements`);
}

/** Evaluates an expression; `unknownFn` names functions that exist in HCL but not here. */
export function evaluate(node: Node, scope: Scope): unknown {
  switch (node.t) {
    case "lit":
      return node.v;
    case "tmpl": {
      const only = node.parts.length === 1 ? node.parts[0] : undefined;
      if (only !== undefined && typeof only !== "string") return evaluate(only, scope);
      return node.parts
        .map((p) => (typeof p === "string" ? p : toStr(evaluate(p, scope), "template")))
        .join("");
    }
    case "list":
      return node.items.map((n) => evaluate(n, scope));
    case "obj": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of node.items) out[toStr(evaluate(k, scope), "object key")] = evaluate(v, scope);
      return out;
    }
    case "ref": {
      if (runtimeRef(node) !== undefined) {
        throw new ExprError(
          `${node.src} is a runtime value (known only when the task starts); it cannot be computed with here`,
        );
      }
      const [first, ...rest] = node.steps;
      if (typeof first !== "string") throw new ExprError(`${node.root} must be followed by .name`);
      let value = node.root === "var" ? scope.variable(first) : scope.local(first);
      let path = `${node.root}.${first}`;
      for (const step of rest) {
        const key = typeof step === "string" ? step : evaluate(step, scope);
        value = index(value, key, path);
        path += typeof step === "string" ? `.${step}` : `[${JSON.stringify(key)}]`;
      }
      return value;
    }
    case "get": {
      const x = evaluate(node.x, scope);
      return index(x, typeof node.key === "string" ? node.key : evaluate(node.key, scope), "index");
    }
    case "call": {
      const fn = FUNCTIONS[node.name];
      if (fn === undefined) {
        throw new ExprError(
          `function ${JSON.stringify(node.name)} is not supported${didYouMean(node.name, FUNCTION_NAMES)}; the supported functions are ${FUNCTION_NAMES.join(", ")}`,
          { cause: node.name },
        );
      }
      let args = node.args.map((a) => evaluate(a, scope));
      if (node.expand) {
        const last = args.pop();
        args = [...args, ...asList(last, `${node.name}(...)`)];
      }
      return fn(args);
    }
    case "un": {
      const x = evaluate(node.x, scope);
      return node.op === "!" ? !toBool(x, "!") : -toNum(x, "-");
    }
    case "cond":
      return toBool(evaluate(node.c, scope), "condition") ? evaluate(node.a, scope) : evaluate(node.b, scope);
    case "bin": {
      const l = evaluate(node.l, scope);
      if (node.op === "&&") return toBool(l, "&&") && toBool(evaluate(node.r, scope), "&&");
      if (node.op === "||") return toBool(l, "||") || toBool(evaluate(node.r, scope), "||");
      const r = evaluate(node.r, scope);
      switch (node.op) {
        case "==":
          return deepEqual(l, r);
        case "!=":
          return !deepEqual(l, r);
        case "<":
          return toNum(l, "<") < toNum(r, "<");
        case "<=":
          return toNum(l, "<=") <= toNum(r, "<=");
        case ">":
          return toNum(l, ">") > toNum(r, ">");
        case ">=":
          return toNum(l, ">=") >= toNum(r, ">=");
        case "+":
          return toNum(l, "+") + toNum(r, "+");
        case "-":
          return toNum(l, "-") - toNum(r, "-");
        case "*":
          return toNum(l, "*") * toNum(r, "*");
        case "/": {
          const d = toNum(r, "/");
          if (d === 0) throw new ExprError("division by zero");
          return toNum(l, "/") / d;
        }
        default: {
          const d = toNum(r, "%");
          if (d === 0) throw new ExprError("division by zero");
          return toNum(l, "%") % d;
        }
      }
    }
  }
}

/**
 * Evaluates a string as hcl2json leaves it. A string that is exactly one `${…}` takes that
 * expression's value (a number stays a number); runtime references are kept as written.
 */
export function evaluateString(
  text: string,
  scope: Scope,
  onRuntime?: (root: string, src: string) => void,
): unknown {
  if (!text.includes("${") && !text.includes("%{")) return text;
  const parts = parseTemplate(text);
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only !== undefined && typeof only !== "string" && runtimeRef(only) === undefined)
    return evaluate(only, scope);
  let out = "";
  for (const part of parts) {
    const ref = typeof part === "string" ? undefined : runtimeRef(part);
    if (typeof part === "string") out += part;
    else if (ref !== undefined) {
      onRuntime?.(ref.root, ref.src);
      out += `\${${ref.src}}`;
    } else out += toStr(evaluate(part, scope), "template");
  }
  return out;
}
