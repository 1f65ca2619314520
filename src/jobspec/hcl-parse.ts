import { createRequire } from "node:module";
import { ValidationError } from "../common/errors.js";

/**
 * The one door to @cdktf/hcl2json (HCL2 → JSON through HashiCorp's own parser, compiled to
 * WebAssembly). Its type declarations pull in the DOM library, so it is loaded with `require`
 * and given a type here instead of being imported anywhere else.
 *
 * Its output is "hcl2json-shaped": an attribute is its value; a block is a list of bodies, keyed
 * by label (`group "api" {…}` → `group: { api: [{…}] }`, labels sorted, not in file order); an
 * expression it cannot reduce to a literal is kept as its source text in `"${…}"`.
 */
interface Hcl2Json {
  parse(filename: string, contents: string): Promise<Record<string, unknown>>;
}

let loaded: Hcl2Json | undefined;

function hcl2json(): Hcl2Json {
  loaded ??= createRequire(import.meta.url)("@cdktf/hcl2json") as Hcl2Json;
  return loaded;
}

/** A diagnostic as HCL writes it: `web.hcl:3,12-4,1: Summary; Detail`. */
function diagnosticRe(filename: string): RegExp {
  const name = filename.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`${name}:(\\d+),(\\d+)(?:-\\d+(?:,\\d+)?)?: `, "g");
}

/** Turns hcl2json's error text into a ValidationError located at the first diagnostic. */
export function hclError(raw: string, filename: string): ValidationError {
  const text = raw.replace(/^parse config: \[/, "").replace(/\]$/, "");
  const found = [...text.matchAll(diagnosticRe(filename))];
  const first = found[0];
  if (first === undefined || first.index === undefined) {
    return new ValidationError(text || "cannot parse HCL", filename);
  }
  const next = found[1]?.index ?? text.length;
  let message = text.slice(first.index + first[0].length, next).trim();
  if (found.length > 1) message += ` (and ${found.length - 1} more)`;
  return new ValidationError(message, `${filename}:${first[1]},${first[2]}`);
}

/** Parses HCL2 text; a syntax error is a ValidationError at `file:line,col`. */
export async function parseHcl(text: string, filename: string): Promise<Record<string, unknown>> {
  let result: unknown;
  try {
    result = await hcl2json().parse(filename, text);
  } catch (error) {
    throw hclError(error instanceof Error ? error.message : String(error), filename);
  }
  if (typeof result !== "object" || result === null || Array.isArray(result)) {
    throw new ValidationError("not an HCL body", filename);
  }
  return result as Record<string, unknown>;
}
