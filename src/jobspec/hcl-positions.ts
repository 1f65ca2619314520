/**
 * Where each block and attribute of an HCL file starts, since hcl2json's output carries no
 * positions. A light scan of the native syntax (comments, strings with nested templates,
 * heredocs, bracketed expressions) that only needs to find body items: it runs on text the HCL
 * parser has already accepted, and on anything it does not follow it stops, leaving the rest to
 * the nearest enclosing position.
 *
 * Keys are paths of body items joined by newlines (which no label can hold):
 * `job "web"⏎group "api"⏎count`; a labelled block is
 * `type "label"` (JSON-quoted), an unlabelled one `type#i` (i counts that type in its body), and
 * a second block with the same type and label gets `#i` as well (`group "api"#1`).
 */
export interface Pos {
  line: number;
  col: number;
}

export function blockKey(type: string, label: string | undefined, index = 0): string {
  if (label === undefined) return `${type}#${index}`;
  return index === 0 ? `${type} ${JSON.stringify(label)}` : `${type} ${JSON.stringify(label)}#${index}`;
}

export function joinKey(prefix: string, item: string): string {
  return prefix === "" ? item : `${prefix}\n${item}`;
}

class Stop extends Error {}

class Scanner {
  private i = 0;
  private line = 1;
  private col = 1;
  readonly positions = new Map<string, Pos>();

  constructor(private readonly text: string) {}

  private peek(offset = 0): string {
    return this.text[this.i + offset] ?? "";
  }

  private advance(): string {
    const c = this.text[this.i] ?? "";
    this.i++;
    if (c === "\n") {
      this.line++;
      this.col = 1;
    } else {
      this.col++;
    }
    return c;
  }

  private eof(): boolean {
    return this.i >= this.text.length;
  }

  /** Skips spaces and comments; newlines too when `newlines`. */
  private skipSpace(newlines: boolean): void {
    while (!this.eof()) {
      const c = this.peek();
      if (c === " " || c === "\t" || c === "\r" || (newlines && c === "\n")) this.advance();
      else if (c === "#" || (c === "/" && this.peek(1) === "/")) {
        while (!this.eof() && this.peek() !== "\n") this.advance();
      } else if (c === "/" && this.peek(1) === "*") {
        this.advance();
        this.advance();
        while (!this.eof() && !(this.peek() === "*" && this.peek(1) === "/")) this.advance();
        this.advance();
        this.advance();
      } else return;
    }
  }

  private ident(): string {
    const start = this.i;
    while (!this.eof() && /[\p{L}\p{N}_-]/u.test(this.peek())) this.advance();
    return this.text.slice(start, this.i);
  }

  /** A quoted string from its opening quote; returns its decoded text when it has no template. */
  private string(): string {
    this.advance();
    let out = "";
    while (!this.eof()) {
      const c = this.peek();
      if (c === '"') {
        this.advance();
        return out;
      }
      if (c === "\n") throw new Stop();
      if (c === "\\") {
        this.advance();
        const e = this.advance();
        out += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e;
        continue;
      }
      if ((c === "$" || c === "%") && this.peek(1) === "{") {
        this.advance();
        this.advance();
        this.expression("}");
        this.advance();
        out += "$" + "{…}";
        continue;
      }
      out += this.advance();
    }
    throw new Stop();
  }

  private heredoc(): void {
    this.advance();
    this.advance();
    if (this.peek() === "-") this.advance();
    const marker = this.ident();
    if (marker === "") throw new Stop();
    while (!this.eof()) {
      while (!this.eof() && this.peek() !== "\n") this.advance();
      this.advance();
      const start = this.i;
      while (!this.eof() && this.peek() !== "\n") this.advance();
      if (this.text.slice(start, this.i).trim() === marker) return;
    }
  }

  /**
   * Skips an expression. Without `close`, it ends at a newline or a "}" outside brackets (an
   * attribute's value); with it, at that closing character (a template interpolation).
   */
  private expression(close?: string): void {
    let depth = 0;
    while (!this.eof()) {
      this.skipSpace(depth > 0 || close !== undefined);
      const c = this.peek();
      if (c === "") return;
      if (depth === 0 && (c === close || (close === undefined && (c === "\n" || c === "}")))) return;
      if (c === '"') this.string();
      else if (c === "<" && this.peek(1) === "<" && /[-A-Za-z_]/.test(this.peek(2))) this.heredoc();
      else if (c === "(" || c === "[" || c === "{") {
        depth++;
        this.advance();
      } else if (c === ")" || c === "]" || c === "}") {
        depth--;
        this.advance();
      } else this.advance();
    }
  }

  body(prefix: string, nested: boolean): void {
    const seen = new Map<string, number>();
    for (;;) {
      this.skipSpace(true);
      if (this.eof()) return;
      if (this.peek() === "}") {
        if (nested) return;
        throw new Stop();
      }
      const at: Pos = { line: this.line, col: this.col };
      const name = this.ident();
      if (name === "") throw new Stop();
      this.skipSpace(false);
      if (this.peek() === "=" && this.peek(1) !== "=") {
        this.advance();
        this.positions.set(joinKey(prefix, name), at);
        this.expression();
        continue;
      }
      const labels: string[] = [];
      for (;;) {
        this.skipSpace(false);
        if (this.peek() === '"') labels.push(this.string());
        else if (/[\p{L}_]/u.test(this.peek())) labels.push(this.ident());
        else break;
      }
      if (this.peek() !== "{") throw new Stop();
      this.advance();
      const label = labels.length === 0 ? undefined : labels.join(" ");
      const counter = label === undefined ? name : `${name} ${label}`;
      const n = seen.get(counter) ?? 0;
      seen.set(counter, n + 1);
      const key = joinKey(prefix, blockKey(name, label, n));
      this.positions.set(key, at);
      this.body(key, true);
      if (this.peek() !== "}") throw new Stop();
      this.advance();
    }
  }
}

/** Positions of the blocks and attributes of an HCL file (best effort, never throws). */
export function scanPositions(text: string): Map<string, Pos> {
  const scanner = new Scanner(text);
  try {
    scanner.body("", false);
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
  }
  return scanner.positions;
}

/** The position of `key`, else of its nearest enclosing item, else the top of the file. */
export function locate(positions: ReadonlyMap<string, Pos>, key: string): Pos {
  let k = key;
  for (;;) {
    const pos = positions.get(k);
    if (pos !== undefined) return pos;
    const cut = k.lastIndexOf("\n");
    if (cut < 0) return { line: 1, col: 1 };
    k = k.slice(0, cut);
  }
}
