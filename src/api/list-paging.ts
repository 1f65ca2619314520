import { ValidationError } from "../common/errors.js";
import { type Predicate, parseFilter } from "./filter-expr.js";
import { flagParam, intParam } from "./query-params.js";

/**
 * Nomad's list paging, filtering and ordering, on the lists that grow with the cluster (jobs,
 * allocations, nodes, evaluations):
 *
 * - `?filter=` keeps the items whose list stub matches the expression (filter-expr.ts);
 * - `?sort=<Field>` orders by a stub field (Drover's addition, for the UI's sortable columns;
 *   default: ID), ties broken by ID; `?reverse=true` reverses the order;
 * - `?per_page=N` (0: all) answers at most N items and, when more follow, the header X-Nomad-NextToken;
 *   `?next_token=` (that header's value) starts the page there.
 *
 * A token names the first item of the next page by its position in the order (the sort value and
 * the ID), not by an offset, so that a page is neither skipped nor repeated when items before it
 * come or go between requests. With the default order the token is the item's ID, as Nomad's.
 */
export interface ListQuery {
  filter: Predicate | undefined;
  sort: string | undefined;
  reverse: boolean;
  perPage: number | undefined;
  nextToken: string | undefined;
}

const MAX_PER_PAGE = 10_000;

export function listQuery(params: URLSearchParams): ListQuery {
  const filterText = params.get("filter");
  // 0 is no paging, as in Nomad (its clients send per_page=0 for "everything").
  const perPageParam = intParam(params, "per_page");
  const perPage = perPageParam === 0 ? undefined : perPageParam;
  if (perPage !== undefined && perPage > MAX_PER_PAGE) {
    throw new ValidationError(`must be at most ${MAX_PER_PAGE}, got ${perPage}`, "?per_page");
  }
  const sort = params.get("sort");
  if (sort !== null && !/^[A-Za-z][A-Za-z0-9]*$/.test(sort)) {
    throw new ValidationError(`must be a field name, got ${JSON.stringify(sort)}`, "?sort");
  }
  const token = params.get("next_token");
  return {
    filter: filterText === null || filterText.trim() === "" ? undefined : parseFilter(filterText),
    sort: sort === null || sort === "" || sort === "ID" ? undefined : sort,
    reverse: flagParam(params, "reverse"),
    perPage,
    nextToken: token === null || token === "" ? undefined : token,
  };
}

export interface Page<S> {
  items: S[];
  /** The token of the next page; undefined on the last one. */
  nextToken: string | undefined;
}

type SortValue = string | number;

function sortValue(stub: unknown, field: string): SortValue {
  const v = (stub as Record<string, unknown>)[field];
  if (typeof v === "number" || typeof v === "string") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  return "";
}

function compareValues(a: SortValue, b: SortValue): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function encodeToken(value: SortValue, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString("base64url");
}

function decodeToken(token: string): [SortValue, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      (typeof parsed[0] === "string" || typeof parsed[0] === "number") &&
      typeof parsed[1] === "string"
    ) {
      return [parsed[0], parsed[1]];
    }
  } catch {
    // reported below
  }
  throw new ValidationError("is not a token this list answered (X-Nomad-NextToken)", "?next_token");
}

/**
 * One page of `items` in the query's order. `stub` turns an item into what the list answers (and
 * what filters and sort fields see); it runs only on the items a filter or sort must look at, and
 * on the page, so that an unfiltered page of a 100,000-item list stubs 50 items, not all.
 */
export function pageOf<T, S>(
  items: readonly T[],
  query: ListQuery,
  idOf: (item: T) => string,
  stub: (item: T) => S,
): Page<S> {
  const { sort, reverse, perPage, nextToken } = query;
  // A plain list (no paging, filter or order asked for) keeps the order the state answers in.
  if (
    query.filter === undefined &&
    sort === undefined &&
    !reverse &&
    perPage === undefined &&
    nextToken === undefined
  ) {
    return { items: items.map(stub), nextToken: undefined };
  }
  let rows: Array<{ item: T; id: string; stub: S | undefined; key: SortValue }> = items.map((item) => ({
    item,
    id: idOf(item),
    stub: undefined,
    key: "",
  }));
  if (query.filter !== undefined || sort !== undefined) {
    for (const row of rows) row.stub = stub(row.item);
  }
  const filter = query.filter;
  if (filter !== undefined) rows = rows.filter((row) => filter(row.stub));
  if (sort !== undefined) for (const row of rows) row.key = sortValue(row.stub, sort);
  const direction = reverse ? -1 : 1;
  if (sort === undefined) {
    // ID order (the default, and Nomad's): IDs are unique strings, compared directly.
    rows.sort((a, b) => (a.id < b.id ? -direction : a.id > b.id ? direction : 0));
  } else {
    rows.sort((a, b) => direction * (compareValues(a.key, b.key) || compareValues(a.id, b.id)));
  }

  let start = 0;
  if (nextToken !== undefined) {
    const [key, id] = sort === undefined ? ["" as SortValue, nextToken] : decodeToken(nextToken);
    // The first row at or after the token's position (the named item itself, or the one that
    // took its place if it is gone).
    start = rows.findIndex(
      (row) => direction * (compareValues(row.key, key) || compareValues(row.id, id)) >= 0,
    );
    if (start < 0) start = rows.length;
  }
  const end = perPage === undefined ? rows.length : Math.min(rows.length, start + perPage);
  const page = rows.slice(start, end).map((row) => (row.stub === undefined ? stub(row.item) : row.stub));
  const next = rows[end];
  return {
    items: page,
    nextToken: next === undefined ? undefined : sort === undefined ? next.id : encodeToken(next.key, next.id),
  };
}

/** The headers of a page: X-Nomad-NextToken when another page follows. */
export function pageHeaders(page: Page<unknown>): Record<string, string> | undefined {
  return page.nextToken === undefined ? undefined : { "X-Nomad-NextToken": page.nextToken };
}
