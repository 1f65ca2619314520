import { ValidationError } from "../common/errors.js";

/**
 * Nomad's `?filter=` expressions (go-bexpr) over the objects a list answers:
 *
 *   Status == "running" and (Type != batch or Priority > 50)
 *   Name contains "web"      "api" in Datacenters      Meta is not empty      ID matches "^a1"
 *
 * Selectors are dotted field paths (`JobSummary.Summary.web.Running`, `Meta["rack"]`); values are
 * quoted ("…" or `…`) or bare words and numbers, read as the field's type (a number field compares
 * numbers, a boolean field true/false). A syntax error is a ValidationError naming the position.
 */
export type Predicate = (item: unknown) => boolean;

type Token =
  | { kind: "word"; text: string; at: number }
  | { kind: "string"; text: string; at: number }
  | { kind: "op"; text: string; at: number };

const WHERE = "?filter";

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (c === '"' || c === "`") {
      let text = "";
      i++;
      while (i < source.length && source[i] !== c) {
        if (c === '"' && source[i] === "\\" && i + 1 < source.length) i++;
        text += source[i];
        i++;
      }
      if (i >= source.length) throw new ValidationError(`unterminated string at position ${at}`, WHERE);
      i++;
      tokens.push({ kind: "string", text, at });
      continue;
    }
    const two = source.slice(i, i + 2);
    if (two === "==" || two === "!=" || two === "<=" || two === ">=") {
      tokens.push({ kind: "op", text: two, at });
      i += 2;
      continue;
    }
    if ("()[]<>.".includes(c)) {
      tokens.push({ kind: "op", text: c, at });
      i++;
      continue;
    }
    const word = /^[A-Za-z0-9_\-+:/*]+/.exec(source.slice(i));
    if (word === null) throw new ValidationError(`unexpected ${JSON.stringify(c)} at position ${at}`, WHERE);
    tokens.push({ kind: "word", text: word[0], at });
    i += word[0].length;
  }
  return tokens;
}

const KEYWORDS = new Set(["and", "or", "not", "in", "contains", "matches", "is", "empty"]);

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly length: number,
  ) {}

  parse(): Predicate {
    const predicate = this.or();
    const extra = this.tokens[this.pos];
    if (extra !== undefined) throw this.error(`unexpected ${JSON.stringify(extra.text)}`, extra.at);
    return predicate;
  }

  private error(message: string, at: number): ValidationError {
    return new ValidationError(`${message} at position ${at}`, WHERE);
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private isWord(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t !== undefined && t.kind === "word" && t.text === text;
  }

  private isOp(text: string): boolean {
    const t = this.peek();
    return t !== undefined && t.kind === "op" && t.text === text;
  }

  private next(what: string): Token {
    const t = this.tokens[this.pos];
    if (t === undefined) throw this.error(`expected ${what}, found the end`, this.length);
    this.pos++;
    return t;
  }

  private or(): Predicate {
    const parts = [this.and()];
    while (this.isWord("or")) {
      this.pos++;
      parts.push(this.and());
    }
    return parts.length === 1 ? (parts[0] as Predicate) : (item) => parts.some((p) => p(item));
  }

  private and(): Predicate {
    const parts = [this.not()];
    while (this.isWord("and")) {
      this.pos++;
      parts.push(this.not());
    }
    return parts.length === 1 ? (parts[0] as Predicate) : (item) => parts.every((p) => p(item));
  }

  private not(): Predicate {
    if (this.isWord("not")) {
      this.pos++;
      const inner = this.not();
      return (item) => !inner(item);
    }
    if (this.isOp("(")) {
      this.pos++;
      const inner = this.or();
      const close = this.next('")"');
      if (close.text !== ")") throw this.error('expected ")"', close.at);
      return inner;
    }
    return this.match();
  }

  /** `value in Selector`, `value not in Selector`, or a selector with its operator. */
  private match(): Predicate {
    const first = this.peek();
    if (first === undefined) throw this.error("expected an expression, found the end", this.length);
    const valueFirst =
      first.kind === "string" ||
      (first.kind === "word" && (this.isWord("in", 1) || (this.isWord("not", 1) && this.isWord("in", 2))));
    if (valueFirst) {
      const value = this.next("a value").text;
      const negate = this.isWord("not");
      if (negate) this.pos++;
      if (!this.isWord("in")) throw this.error('expected "in"', this.peek()?.at ?? this.length);
      this.pos++;
      const path = this.selector();
      const test = (item: unknown) => contains(get(item, path), value);
      return negate ? (item) => !test(item) : test;
    }
    const path = this.selector();
    const op = this.next("an operator");
    if (op.kind === "word" && op.text === "is") {
      const negate = this.isWord("not");
      if (negate) this.pos++;
      const empty = this.next('"empty"');
      if (empty.text !== "empty") throw this.error('expected "empty"', empty.at);
      return negate ? (item) => !isEmpty(get(item, path)) : (item) => isEmpty(get(item, path));
    }
    let negate = false;
    let name = op.text;
    if (op.kind === "word" && op.text === "not") {
      negate = true;
      name = this.next('"contains", "matches" or "in"').text;
    }
    const value = this.value();
    let test: Predicate;
    switch (name) {
      case "==":
        test = (item) => equals(get(item, path), value);
        break;
      case "!=":
        test = (item) => !equals(get(item, path), value);
        break;
      case "<":
      case "<=":
      case ">":
      case ">=":
        test = compare(path, name, value, op.at, this);
        break;
      case "contains":
        test = (item) => contains(get(item, path), value);
        break;
      case "matches": {
        let regex: RegExp;
        try {
          regex = new RegExp(value);
        } catch {
          throw this.error(`bad regular expression ${JSON.stringify(value)}`, op.at);
        }
        test = (item) => {
          const v = get(item, path);
          return typeof v === "string" && regex.test(v);
        };
        break;
      }
      case "in":
        // `Selector in "a,b"` is not bexpr; Nomad's form is `"a" in Selector`.
        throw this.error('"in" takes the value first: "value" in Selector', op.at);
      default:
        throw this.error(`unknown operator ${JSON.stringify(name)}`, op.at);
    }
    if (negate && name !== "contains" && name !== "matches") {
      throw this.error(`"not ${name}" is not an operator`, op.at);
    }
    return negate ? (item) => !test(item) : test;
  }

  errorAt(message: string, at: number): ValidationError {
    return this.error(message, at);
  }

  private selector(): string[] {
    const first = this.next("a selector");
    if (first.kind !== "word" || KEYWORDS.has(first.text)) {
      throw this.error(`expected a selector, found ${JSON.stringify(first.text)}`, first.at);
    }
    const path = [first.text];
    for (;;) {
      if (this.isOp(".")) {
        this.pos++;
        const part = this.next("a field name");
        if (part.kind === "op") throw this.error("expected a field name", part.at);
        path.push(part.text);
      } else if (this.isOp("[")) {
        this.pos++;
        const key = this.next("a key");
        if (key.kind === "op") throw this.error("expected a key", key.at);
        const close = this.next('"]"');
        if (close.text !== "]") throw this.error('expected "]"', close.at);
        path.push(key.text);
      } else {
        return path;
      }
    }
  }

  private value(): string {
    const t = this.next("a value");
    if (t.kind === "op") throw this.error(`expected a value, found ${JSON.stringify(t.text)}`, t.at);
    return t.text;
  }
}

/** The field at `path` as the JSON answer shows it (a value with toJSON, e.g. packed metrics, as its JSON form). */
function get(item: unknown, path: readonly string[]): unknown {
  let value = asJson(item);
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = asJson((value as Record<string, unknown>)[key]);
  }
  return value;
}

function asJson(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  return typeof toJSON === "function" ? (toJSON as () => unknown).call(value) : value;
}

function equals(field: unknown, value: string): boolean {
  if (typeof field === "number") return value.trim() !== "" && field === Number(value);
  if (typeof field === "boolean") return String(field) === value;
  if (field === null || field === undefined) return value === "" || value === "null";
  return field === value;
}

function contains(field: unknown, value: string): boolean {
  if (typeof field === "string") return field.includes(value);
  if (Array.isArray(field)) return field.some((f) => equals(f, value));
  if (field !== null && typeof field === "object") return Object.hasOwn(field, value);
  return false;
}

function isEmpty(field: unknown): boolean {
  if (field === null || field === undefined || field === "") return true;
  if (Array.isArray(field)) return field.length === 0;
  if (typeof field === "object") return Object.keys(field).length === 0;
  return false;
}

function compare(path: string[], op: string, value: string, at: number, parser: Parser): Predicate {
  const n = Number(value);
  if (value.trim() === "" || Number.isNaN(n))
    throw parser.errorAt(`${op} needs a number, got ${JSON.stringify(value)}`, at);
  return (item) => {
    const v = get(item, path);
    if (typeof v !== "number") return false;
    return op === "<" ? v < n : op === "<=" ? v <= n : op === ">" ? v > n : v >= n;
  };
}

/** Parses a filter expression; a syntax error is a ValidationError (HTTP 400). */
export function parseFilter(source: string): Predicate {
  return new Parser(tokenize(source), source.length).parse();
}
