import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/**
 * The web UI's built files (`dist/ui`, written by `vite build`), served at `/ui/`.
 *
 * The bundle is a few files of a few hundred KB, so they are read once at start-up, each kept
 * as is and gzipped: a request is a map lookup, never a disk read, and a file cannot change under
 * a running agent. Vite names its assets by content hash (`assets/index-3f2a1c.js`): those are
 * cached for a year; index.html is never cached, so a new agent's UI is picked up on reload.
 * Every other path under `/ui/` is a client-side route and answers index.html.
 */
export interface UiFile {
  readonly body: Buffer;
  readonly gzipped: Buffer;
  readonly contentType: string;
  readonly cacheControl: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

const IMMUTABLE = "public, max-age=31536000, immutable";
const NO_CACHE = "no-cache";

export class UiFiles {
  private constructor(
    /** Path under /ui/ (no leading slash) → file; empty when the UI was not built. */
    private readonly files: ReadonlyMap<string, UiFile>,
    readonly dir: string,
  ) {}

  /** Reads every file under `dir`; a missing dir gives an empty set (the API still serves). */
  static load(dir: string): UiFiles {
    const files = new Map<string, UiFile>();
    if (existsSync(join(dir, "index.html"))) {
      for (const path of walk(dir)) {
        const name = relative(dir, path).split(sep).join("/");
        const body = readFileSync(path);
        files.set(name, {
          body,
          gzipped: gzipSync(body, { level: 9 }),
          contentType: TYPES[extname(name)] ?? "application/octet-stream",
          cacheControl: name.startsWith("assets/") ? IMMUTABLE : NO_CACHE,
        });
      }
    }
    return new UiFiles(files, dir);
  }

  get built(): boolean {
    return this.files.has("index.html");
  }

  /**
   * The file for `path` (what follows `/ui/`, without query): an asset by its name, index.html
   * for anything else that is not a missing asset (a client-side route such as `jobs/web`).
   */
  lookup(path: string): UiFile | undefined {
    const file = this.files.get(path);
    if (file !== undefined) return file;
    // A missing hashed asset is a 404 (an old page asking for a replaced bundle), not the app.
    if (path.startsWith("assets/")) return undefined;
    return this.files.get("index.html");
  }
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/**
 * `dist/ui` of the checkout or package this module runs from: compiled it lives in
 * `dist/src/api/`, under vitest in `src/api/`; both find the nearest package.json above.
 */
export function defaultUiDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "dist", "ui");
    const parent = dirname(dir);
    if (parent === dir) return join(dirname(fileURLToPath(import.meta.url)), "ui");
    dir = parent;
  }
}

/** Does an Accept-Encoding header admit gzip? (`gzip;q=0` refuses it.) */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(",") : (header ?? "");
  for (const part of value.split(",")) {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "*") continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
