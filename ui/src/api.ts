/**
 * The UI's only way to the cluster: the HTTP API of the agent that served it. Every request
 * carries the ACL token the user saved (X-Nomad-Token); failures come back as values, so that a
 * page can show "403: permission denied" where the data would be.
 */
const TOKEN_KEY = "drover.token";

export function savedToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? "";
  } catch {
    return ""; // storage disabled: the UI works without a token
  }
}

export function saveToken(token: string): void {
  if (token === "") localStorage.removeItem(TOKEN_KEY);
  else localStorage.setItem(TOKEN_KEY, token);
}

/** A request index.html started before the bundle ran (the jobs page's first page). */
interface Prefetch {
  url: string;
  response: Promise<Response>;
}

function takePrefetched(path: string): Promise<Response> | undefined {
  const w = window as unknown as { __droverPrefetch?: Prefetch | undefined };
  const early = w.__droverPrefetch;
  if (early === undefined || early.url !== path) return undefined;
  w.__droverPrefetch = undefined;
  return early.response;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  /** What a page shows: the status, named when it is an ACL refusal. */
  describe(): string {
    if (this.status === 403) return `403 permission denied: ${this.message} (set an ACL token above)`;
    if (this.status === 0) return `cannot reach the agent: ${this.message}`;
    return `${this.status}: ${this.message}`;
  }
}

export interface Answer<T> {
  body: T;
  /** X-Nomad-Index (0 when absent). */
  index: number;
  nextToken: string | undefined;
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  const token = savedToken();
  if (token !== "") headers["X-Nomad-Token"] = token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    const early = method === "GET" ? takePrefetched(path) : undefined;
    res = await (early ??
      fetch(path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      }));
  } catch (error) {
    if (signal?.aborted === true) throw error;
    throw new ApiError(0, (error as Error).message);
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    // a plain-text answer (logs): kept as text
  }
  if (!res.ok) {
    const message =
      parsed !== null &&
      typeof parsed === "object" &&
      typeof (parsed as { error?: unknown }).error === "string"
        ? (parsed as { error: string }).error
        : text || res.statusText;
    throw new ApiError(res.status, message);
  }
  return {
    body: parsed as T,
    index: Number(res.headers.get("X-Nomad-Index") ?? "0"),
    nextToken: res.headers.get("X-Nomad-NextToken") ?? undefined,
  };
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>("GET", path, undefined, signal);
export const post = <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {});

/** A query string from defined values. */
export function qs(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

export function errorText(error: unknown): string {
  return error instanceof ApiError ? error.describe() : String((error as Error)?.message ?? error);
}
