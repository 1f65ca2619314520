import { useState } from "preact/hooks";
import { qs } from "../api";
import { ErrorBox, Loading, Status } from "../components/bits";
import { Choice, SearchBox } from "../components/list-controls";
import { VirtualRows } from "../components/virtual-rows";
import { listFilter, usePagedList, useSearch } from "../paged-list";
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

function groups(job: JobRow): string {
  return Object.entries(job.GroupCounts)
    .map(([name, desired]) => {
      const s = job.JobSummary?.Summary[name];
      return `${name} ${s?.Running ?? 0}/${desired}`;
    })
    .join(", ");
}

export function JobsPage(props: { route: string }) {
  const search = useSearch(routeQuery(props.route).get("search") ?? "");
  const [status, setStatus] = useState("");
  const [type, setType] = useState("");
  const [sort, setSort] = useState("ID");
  const [reverse, setReverse] = useState(false);
  const base = `/v1/jobs${qs({
    namespace: "*",
    per_page: PAGE,
    filter: listFilter(search.term, { Status: status, Type: type }),
    sort: sort === "ID" ? undefined : sort,
    reverse: reverse ? "true" : undefined,
  })}`;
  // The list blocks on the jobs table, which allocations turning running do not change: a short
  // wait keeps the rows' running counts at most five seconds old.
  const list = usePagedList<JobRow>(base, "5s");
  return (
    <>
      <h1>Jobs</h1>
      <div class="toolbar" role="search">
        <SearchBox value={search.text} placeholder="name contains…" onInput={search.setText} />
        <Choice
          label="Status"
          value={status}
          onChange={setStatus}
          any
          options={["pending", "running", "dead"]}
        />
        <Choice
          label="Type"
          value={type}
          onChange={setType}
          any
          options={["service", "batch", "system", "sysbatch"]}
        />
        <Choice
          label="Sort by"
          value={sort}
          onChange={setSort}
          options={[
            ["ID", "ID"],
            ["Name", "name"],
            ["Status", "status"],
            ["Type", "type"],
            ["Priority", "priority"],
            ["SubmitTime", "submit time"],
          ]}
        />
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
      <ErrorBox error={list.error} />
      {list.rows === undefined ? (
        list.error === undefined && <Loading what="jobs" />
      ) : (
        <VirtualRows
          label="Jobs"
          columns={["Job", "Namespace", "Status", "Type", "Priority", "Groups (running/desired)"]}
          template="2fr 1fr 1fr 1fr 0.7fr 2fr"
          rows={list.rows}
          onNearEnd={list.onNearEnd}
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
