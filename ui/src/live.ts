import { useEffect, useRef, useState } from "preact/hooks";
import { type Answer, get } from "./api";

/** No view asks the agent more than once per this many milliseconds. */
export const MIN_INTERVAL_MS = 1000;
/** How long one blocking query waits for a change before answering unchanged. */
const DEFAULT_WAIT = "30s";

export interface Live<T> {
  data: T | undefined;
  error: unknown;
  index: number;
  nextToken: string | undefined;
  /** Asks again now (after a write the page made). */
  refresh: () => void;
}

/**
 * `path` kept up to date with Nomad's blocking queries: each answer's X-Nomad-Index is sent back
 * as `?index=` with `&wait=`, so the agent answers only when the data changes (or after the wait).
 * Two requests of one view are at least MIN_INTERVAL_MS apart whatever the agent answers, so a
 * route without blocking support, or an error, costs one request a second at most. `path` null
 * pauses. Changing the path starts over. `wait` is shorter where the index a route blocks on does
 * not cover everything it answers (the jobs list's running counts come from job summaries).
 */
export function useLive<T>(path: string | null, blocking = true, wait = DEFAULT_WAIT): Live<T> {
  const [state, setState] = useState<{
    data: T | undefined;
    error: unknown;
    index: number;
    nextToken: string | undefined;
  }>({
    data: undefined,
    error: undefined,
    index: 0,
    nextToken: undefined,
  });
  const kick = useRef<() => void>(() => undefined);
  useEffect(() => {
    if (path === null) return undefined;
    setState({ data: undefined, error: undefined, index: 0, nextToken: undefined });
    const abort = new AbortController();
    let index = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wake: (() => void) | undefined;
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, ms);
      });
    kick.current = () => {
      index = 0;
      if (timer !== undefined) clearTimeout(timer);
      wake?.();
    };
    const loop = async () => {
      while (!abort.signal.aborted) {
        const started = performance.now();
        const sep = path.includes("?") ? "&" : "?";
        const url = blocking && index > 0 ? `${path}${sep}index=${index}&wait=${wait}` : path;
        try {
          const answer: Answer<T> = await get<T>(url, abort.signal);
          if (abort.signal.aborted) return;
          index = answer.index;
          setState({ data: answer.body, error: undefined, index: answer.index, nextToken: answer.nextToken });
        } catch (error) {
          if (abort.signal.aborted) return;
          setState((s) => ({ ...s, error }));
          index = 0;
        }
        const elapsed = performance.now() - started;
        await pause(Math.max(blocking ? MIN_INTERVAL_MS - elapsed : 2 * MIN_INTERVAL_MS, 0));
      }
    };
    void loop();
    return () => {
      abort.abort();
      if (timer !== undefined) clearTimeout(timer);
      wake?.();
    };
  }, [path, blocking, wait]);
  return { ...state, refresh: () => kick.current() };
}
