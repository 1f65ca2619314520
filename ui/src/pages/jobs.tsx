import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { get, qs } from "../api";
import { ErrorBox, Loading, Status } from "../components/bits";
import { VirtualRows } from "../components/virtual-rows";
import { useLive } from "../live";
import { enc, Link, routeQuery } from "../router";

export interface JobRow {
  ID: string;
  Name: string;
  Namespace: string;
  Type: string;
  Status: string;
  Priority: number;
  Version: number;
  SubmitTime: number;
  JobSummary: {
    Summary: Record<string, { Running: number; Starting: number; Failed: number; Queued: number }>;
  } | null;
  GroupCounts: Record<string, number>;
}

const PAGE = 100;

/** A string literal for a filter expression. */
export function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function groups(job: JobRow): string {
  return Object.entries(job.GroupCounts)
    .map(([name, desired]) => {
      const s = job.JobSummary?.Summary[name];
      return `${name} ${s?.Running ?? 0}/${desired}`;
    })
    .join(", ");
}

export function JobsPage(props: { route: string }) {
  const initial = routeQuery(props.route);
  const [search, setSearch] = useState(initial.get("search") ?? "");
  const [term, setTerm] = useState(search);
  const [status, setStatus] = useState("");
  const [type, setType] = useState("");
  const [sort, setSort] = useState("ID");
  const [reverse, setReverse] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setTerm(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);
  const clauses: string[] = [];
  if (term !== "") clauses.push(`Name contains ${quote(term)}`);
  if (status !== "") clauses.push(`Status == ${quote(status)}`);
  if (type !== "") clauses.push(`Type == ${quote(type)}`);
  const base = `/v1/jobs${qs({
    namespace: "*",
    per_page: PAGE,
    filter: clauses.join(" and "),
    sort: sort === "ID" ? undefined : sort,
    reverse: reverse ? "true" : undefined,
  })}`;
  // The first page is live (a blocking query); the pages after it are read as they scroll in.
  // The list blocks on the jobs table, which allocations turning running do not change: a short
  // wait keeps the rows' running counts at most five seconds old.
  const first = useLive<JobRow[]>(base, true, "5s");
  const [more, setMore] = useState<{
    base: string;
    rows: JobRow[];
    next: string | undefined;
    error: unknown;
  }>({
    base,
    rows: [],
    next: undefined,
    error: undefined,
  });
  const loading = useRef(false);
  const current = more.base === base ? more : { base, rows: [], next: undefined, error: undefined };
  const next = current.rows.length === 0 ? first.nextToken : current.next;
  const rows = [...(first.data ?? []), ...current.rows];
  const onNearEnd = useCallback(() => {
    if (loading.current || next === undefined) return;
    loading.current = true;
    get<JobRow[]>(`${base}&next_token=${enc(next)}`)
      .then((answer) =>
        setMore((m) => ({
          base,
          rows: [...(m.base === base ? m.rows : []), ...answer.body],
          next: answer.nextToken,
          error: undefined,
        })),
      )
      .catch((error: unknown) => setMore((m) => ({ ...m, error })))
      .finally(() => {
        loading.current = false;
      });
  }, [base, next]);
  return (
    <>
      <h1>Jobs</h1>
      <div class="toolbar" role="search">
        <label>
          Search{" "}
          <input
            type="search"
            value={search}
            placeholder="name contains…"
            onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          Status{" "}
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            <option>pending</option>
            <option>running</option>
            <option>dead</option>
          </select>
        </label>
        <label>
          Type{" "}
          <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            <option>service</option>
            <option>batch</option>
            <option>system</option>
            <option>sysbatch</option>
          </select>
        </label>
        <label>
          Sort by{" "}
          <select value={sort} onChange={(e) => setSort((e.target as HTMLSelectElement).value)}>
            <option value="ID">ID</option>
            <option value="Name">name</option>
            <option value="Status">status</option>
            <option value="Type">type</option>
            <option value="Priority">priority</option>
            <option value="SubmitTime">submit time</option>
          </select>
        </label>
        <label>
          <input
            type="checkbox"
            checked={reverse}
            onChange={(e) => setReverse((e.target as HTMLInputElement).checked)}
          />{" "}
          descending
        </label>
        <Link to="run" class="button">
          Run job
        </Link>
      </div>
      <ErrorBox error={first.error ?? current.error} />
      {first.data === undefined ? (
        first.error === undefined && <Loading what="jobs" />
      ) : (
        <VirtualRows
          label="Jobs"
          columns={["Job", "Namespace", "Status", "Type", "Priority", "Groups (running/desired)"]}
          template="2fr 1fr 1fr 1fr 0.7fr 2fr"
          rows={rows}
          onNearEnd={onNearEnd}
          empty="No jobs match."
          row={(job) => (
            <>
              <div role="cell">
                <Link to={`jobs/${enc(job.ID)}?namespace=${enc(job.Namespace)}`}>{job.Name}</Link>
              </div>
              <div role="cell">{job.Namespace}</div>
              <div role="cell">
                <Status value={job.Status} />
              </div>
              <div role="cell">{job.Type}</div>
              <div role="cell" class="num">
                {job.Priority}
              </div>
              <div role="cell" class="clip">
                {groups(job)}
              </div>
            </>
          )}
        />
      )}
    </>
  );
}
