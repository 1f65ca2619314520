import { ValidationError } from "../shared/errors.js";

/**
 * A small exact-match router for `/v1/...` paths with `:name` parameters. A parameter matches one
 * path segment, except a trailing `:name*`, which takes the rest of the path (variable paths
 * contain slashes: `/v1/var/app/db/password`).
 */
export type Params = Record<string, string>;

/** One pattern segment, parsed once when the route is added. */
type Segment =
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "param"; readonly name: string }
  | { readonly kind: "rest"; readonly name: string };

interface Route<H> {
  method: string;
  segments: readonly Segment[];
  handler: H;
}

export interface RouteMatch<H> {
  handler: H;
  params: Params;
}

/**
 * Routes are tried in the order they were added. Every request goes through here (the variable
 * write path at thousands per second among them), so a route is first checked against the path's
 * literal segments without allocating, and its params are built only for the route that matches.
 */
export class Router<H> {
  private readonly routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): this {
    const segments = pattern
      .split("/")
      .filter((s) => s !== "")
      .map((seg): Segment => {
        if (seg.startsWith(":") && seg.endsWith("*")) return { kind: "rest", name: seg.slice(1, -1) };
        if (seg.startsWith(":")) return { kind: "param", name: seg.slice(1) };
        return { kind: "literal", text: seg };
      });
    this.routes.push({ method, segments, handler });
    return this;
  }

  /** The handler for `method path`; `undefined` with `pathKnown` when only the method differs (405). */
  match(method: string, path: string): { found: RouteMatch<H> | undefined; pathKnown: boolean } {
    const parts = path.split("/").filter((s) => s !== "");
    let pathKnown = false;
    for (const route of this.routes) {
      if (!matchesShape(route.segments, parts)) continue;
      pathKnown = true;
      if (route.method === method)
        return { found: { handler: route.handler, params: params(route.segments, parts) }, pathKnown };
    }
    return { found: undefined, pathKnown };
  }
}

/** Does `parts` fit the pattern (literals equal, one part per param, a rest param takes ≥ 1)? */
function matchesShape(pattern: readonly Segment[], parts: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const seg = pattern[i] as Segment;
    if (seg.kind === "rest") return i < parts.length;
    const part = parts[i];
    if (part === undefined) return false;
    if (seg.kind === "literal" && seg.text !== part) return false;
  }
  return pattern.length === parts.length;
}

/** One URI-decoded path segment; a malformed escape ("%ff", "%") is the client's error (400). */
function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ValidationError(`malformed percent-encoding in ${JSON.stringify(part)}`, "path");
  }
}

/** The (URI-decoded) params of a path that matchesShape() accepted. */
function params(pattern: readonly Segment[], parts: readonly string[]): Params {
  const out: Params = {};
  for (let i = 0; i < pattern.length; i++) {
    const seg = pattern[i] as Segment;
    if (seg.kind === "rest") {
      out[seg.name] = parts.slice(i).map(decodeSegment).join("/");
      return out;
    }
    if (seg.kind === "param") out[seg.name] = decodeSegment(parts[i] as string);
  }
  return out;
}
