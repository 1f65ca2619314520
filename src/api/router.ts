/**
 * A small exact-match router for `/v1/...` paths with `:name` parameters. A parameter matches one
 * path segment, except a trailing `:name*`, which takes the rest of the path (variable paths
 * contain slashes: `/v1/var/app/db/password`).
 */
export type Params = Record<string, string>;

interface Route<H> {
  method: string;
  segments: string[];
  handler: H;
}

export interface RouteMatch<H> {
  handler: H;
  params: Params;
}

export class Router<H> {
  private readonly routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): this {
    this.routes.push({ method, segments: pattern.split("/").filter((s) => s !== ""), handler });
    return this;
  }

  /** The handler for `method path`; `undefined` with `pathKnown` when only the method differs (405). */
  match(method: string, path: string): { found: RouteMatch<H> | undefined; pathKnown: boolean } {
    const parts = path.split("/").filter((s) => s !== "");
    let pathKnown = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (params === undefined) continue;
      pathKnown = true;
      if (route.method === method) return { found: { handler: route.handler, params }, pathKnown };
    }
    return { found: undefined, pathKnown };
  }
}

function matchSegments(pattern: readonly string[], parts: readonly string[]): Params | undefined {
  const params: Params = {};
  for (let i = 0; i < pattern.length; i++) {
    const seg = pattern[i] as string;
    if (seg.startsWith(":") && seg.endsWith("*")) {
      if (i >= parts.length) return undefined;
      params[seg.slice(1, -1)] = parts.slice(i).map(decodeURIComponent).join("/");
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (seg.startsWith(":")) params[seg.slice(1)] = decodeURIComponent(part);
    else if (seg !== part) return undefined;
  }
  return pattern.length === parts.length ? params : undefined;
}
