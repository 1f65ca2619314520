import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { get } from "./api";
import { useLive } from "./live";
import { enc } from "./router";

/** How long typing must pause before a search asks the agent again. */
const SETTLE_MS = 250;

/** A string literal for a filter expression. */
export function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * A list filter expression: the name contains `term` and each field of `equals` has its value,
 * leaving out what is empty; "" (no filter) when nothing is set.
 */
export function listFilter(term: string, equals: Record<string, string> = {}): string {
  const clauses: string[] = [];
  if (term !== "") clauses.push(`Name contains ${quote(term)}`);
  for (const [field, value] of Object.entries(equals)) {
    if (value !== "") clauses.push(`${field} == ${quote(value)}`);
  }
  return clauses.join(" and ");
}

/**
 * A search box's text and the term a list filters on: the text trimmed, once typing has paused,
 * so that a list is not asked for again on every key.
 */
export function useSearch(initial = ""): { text: string; setText: (text: string) => void; term: string } {
  const [text, setText] = useState(initial);
  const [term, setTerm] = useState(initial.trim());
  useEffect(() => {
    const t = setTimeout(() => setTerm(text.trim()), SETTLE_MS);
    return () => clearTimeout(t);
  }, [text]);
  return { text, setText, term };
}

export interface PagedList<T> {
  /** The rows read so far; undefined until the first page has come. */
  rows: T[] | undefined;
  /** The first page's error, else the last next page's (a failed next page is asked again). */
  error: unknown;
  /** For VirtualRows: reads the page after the last one, unless one is on its way or none is left. */
  onNearEnd: () => void;
}

interface MorePages<T> {
  /** The list the pages belong to: pages of another filter or order are dropped. */
  base: string;
  rows: T[];
  next: string | undefined;
  error: unknown;
}

/**
 * The list route `base` (with its per_page, filter and order) as one endless list: the first page
 * is live (a blocking query with `wait`), the pages after it are read as they scroll into view,
 * following X-Nomad-NextToken. A new `base` starts the list over.
 */
export function usePagedList<T>(base: string, wait?: string): PagedList<T> {
  const first = useLive<T[]>(base, true, wait);
  const [more, setMore] = useState<MorePages<T>>({ base, rows: [], next: undefined, error: undefined });
  const loading = useRef(false);
  const current: MorePages<T> =
    more.base === base ? more : { base, rows: [], next: undefined, error: undefined };
  const next = current.rows.length === 0 ? first.nextToken : current.next;
  const onNearEnd = useCallback(() => {
    if (loading.current || next === undefined) return;
    loading.current = true;
    get<T[]>(`${base}&next_token=${enc(next)}`)
      .then((answer) =>
        setMore((m) => ({
          base,
          rows: [...(m.base === base ? m.rows : []), ...answer.body],
          next: answer.nextToken,
          error: undefined,
        })),
      )
      // The error is shown; the page is asked again when the rows near the end are next rendered.
      .catch((error: unknown) => setMore((m) => ({ ...m, error })))
      .finally(() => {
        loading.current = false;
      });
  }, [base, next]);
  return {
    rows: first.data === undefined ? undefined : [...first.data, ...current.rows],
    error: first.error ?? current.error,
    onNearEnd,
  };
}
