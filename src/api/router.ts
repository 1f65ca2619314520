/**
 * The API's route table: what every route module declares with `router.add(method, pattern,
 * handler, schema?)`, handed to Fastify (whose router, find-my-way, does the matching) when the
 * HTTP server starts serving. Patterns are `/v1/...` paths with `:name` parameters, each taking one
 * path segment, and an optional trailing `:name*` that takes the rest of the path (variable paths
 * contain slashes: `/v1/var/app/db/password`).
 */
export type Params = Record<string, string>;

/**
 * JSON schemas checked before the handler runs (the first line of input validation: envelope
 * shapes only; the handler and the jobspec layer still check values, with located errors). Query
 * values and params are strings; no keyword may rely on type coercion.
 */
export interface RouteSchema {
  readonly body?: object;
  readonly querystring?: object;
  readonly params?: object;
}

export interface RouteEntry<H> {
  readonly method: string;
  readonly pattern: string;
  readonly handler: H;
  readonly schema: RouteSchema | undefined;
}

export class Router<H> {
  private readonly table: RouteEntry<H>[] = [];
  private sealed = false;

  /**
   * Declares one route. A path may carry several methods; the same method and path twice is a
   * programming error, refused when the server starts.
   */
  add(method: string, pattern: string, handler: H, schema?: RouteSchema): this {
    // Routes added once the server serves would never be seen: say so where the mistake is made.
    if (this.sealed)
      throw new Error(`router: ${method} ${pattern} added after the HTTP server started serving`);
    if (!pattern.startsWith("/"))
      throw new Error(`router: pattern ${JSON.stringify(pattern)} must start with "/"`);
    const rest = pattern.indexOf("*");
    if (rest >= 0 && (rest !== pattern.length - 1 || !/\/:[A-Za-z_]+\*$/.test(pattern))) {
      throw new Error(`router: ${pattern}: only a trailing "/:name*" segment may take the rest of the path`);
    }
    this.table.push({ method: method.toUpperCase(), pattern, handler, schema });
    return this;
  }

  /** The routes in the order they were added; no route can be added afterwards. */
  seal(): readonly RouteEntry<H>[] {
    this.sealed = true;
    return this.table;
  }
}

/** The name of a pattern's trailing rest parameter (`path` in `/v1/var/:path*`), if it has one. */
export function restParamName(pattern: string): string | undefined {
  const match = /\/:([A-Za-z_]+)\*$/.exec(pattern);
  return match?.[1];
}

/** The pattern as find-my-way spells it: `:name*` becomes its wildcard `*`. */
export function fastifyPattern(pattern: string): string {
  return pattern.replace(/:[A-Za-z_]+\*$/, "*");
}
