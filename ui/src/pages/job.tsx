import { useState } from "preact/hooks";
import { errorText, post, qs } from "../api";
import { type AllocRow, AllocTable } from "../components/alloc-table";
import { ErrorBox, Loading, Section, Status, shortId, when } from "../components/bits";
import { DiffView, specText } from "../components/diff";
import { useLive } from "../live";
import { enc, routeQuery } from "../router";

interface TaskGroup {
  Name: string;
  Count: number;
}
interface Job extends Record<string, unknown> {
  ID: string;
  Name: string;
  Namespace: string;
  Type: string;
  Status: string;
  Version: number;
  Priority: number;
  Datacenters: string[];
  TaskGroups: TaskGroup[];
}
interface GroupSummary {
  Queued: number;
  Complete: number;
  Failed: number;
  Running: number;
  Starting: number;
  Lost: number;
}
interface AllocMetric {
  NodesEvaluated: number;
  NodesFiltered: number;
  NodesExhausted: number;
  NodesAvailable: Record<string, number>;
  ClassFiltered: Record<string, number>;
  ConstraintFiltered: Record<string, number>;
  DimensionExhausted: Record<string, number>;
  CoalescedFailures: number;
}
export interface Evaluation {
  ID: string;
  JobID: string;
  Namespace: string;
  Status: string;
  StatusDescription: string;
  TriggeredBy: string;
  Type: string;
  Priority: number;
  CreateTime: number;
  BlockedEval: string;
  FailedTGAllocs: Record<string, AllocMetric> | null;
}
interface Deployment {
  ID: string;
  Status: string;
  StatusDescription: string;
  JobVersion: number;
  TaskGroups: Record<
    string,
    {
      Promoted: boolean;
      DesiredCanaries: number;
      DesiredTotal: number;
      PlacedAllocs: number;
      HealthyAllocs: number;
      UnhealthyAllocs: number;
      PlacedCanaries: string[] | null;
    }
  >;
}

/** Why an evaluation could not place a group, in words (Nomad's "placement failures"). */
export function PlacementFailures(props: { failures: Record<string, AllocMetric> | null }) {
  const entries = Object.entries(props.failures ?? {});
  if (entries.length === 0) return null;
  return (
    <ul class="failures">
      {entries.map(([group, m]) => (
        <li key={group}>
          <strong>{group}</strong>: {m.CoalescedFailures + 1} unplaced; {m.NodesEvaluated} nodes evaluated,{" "}
          {m.NodesFiltered} filtered, {m.NodesExhausted} exhausted
          {Object.entries(m.ConstraintFiltered ?? {}).map(([c, n]) => (
            <div key={c}>
              constraint <code>{c}</code> filtered {n} nodes
            </div>
          ))}
          {Object.entries(m.ClassFiltered ?? {}).map(([c, n]) => (
            <div key={c}>
              class <code>{c}</code> filtered {n} nodes
            </div>
          ))}
          {Object.entries(m.DimensionExhausted ?? {}).map(([d, n]) => (
            <div key={d}>
              dimension <code>{d}</code> exhausted on {n} nodes
            </div>
          ))}
          {Object.keys(m.NodesAvailable ?? {}).length === 0 ? (
            <div>no nodes in the job's datacenters</div>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

export function EvalTable(props: { evals: readonly Evaluation[] }) {
  if (props.evals.length === 0) return <p class="muted">No evaluations.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>ID</th>
          <th>Job</th>
          <th>Triggered by</th>
          <th>Status</th>
          <th>Created</th>
          <th>Placement failures</th>
        </tr>
      </thead>
      <tbody>
        {props.evals.map((e) => (
          <tr key={e.ID}>
            <td>
              <code title={e.ID}>{shortId(e.ID)}</code>
            </td>
            <td>{e.JobID}</td>
            <td>{e.TriggeredBy}</td>
            <td>
              <Status value={e.Status} /> {e.StatusDescription}
            </td>
            <td>{when(e.CreateTime)}</td>
            <td>
              <PlacementFailures failures={e.FailedTGAllocs} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DeploymentSection(props: { deployment: Deployment | null; onChange: () => void }) {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const d = props.deployment;
  if (d === null) return <p class="muted">No deployment.</p>;
  const act = (what: "promote" | "fail") => {
    setBusy(true);
    setError(undefined);
    post(`/v1/deployment/${what}/${enc(d.ID)}`, what === "promote" ? { All: true } : {})
      .then(() => props.onChange())
      .catch((e: unknown) => setError(errorText(e)))
      .finally(() => setBusy(false));
  };
  const canaries = Object.values(d.TaskGroups).some((g) => g.DesiredCanaries > 0 && !g.Promoted);
  return (
    <>
      <p>
        <code title={d.ID}>{shortId(d.ID)}</code> version {d.JobVersion} <Status value={d.Status} />{" "}
        {d.StatusDescription}
      </p>
      <table>
        <thead>
          <tr>
            <th>Group</th>
            <th>Desired</th>
            <th>Canaries</th>
            <th>Placed</th>
            <th>Healthy</th>
            <th>Unhealthy</th>
            <th>Promoted</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(d.TaskGroups).map(([name, g]) => (
            <tr key={name}>
              <td>{name}</td>
              <td class="num">{g.DesiredTotal}</td>
              <td class="num">
                {(g.PlacedCanaries ?? []).length}/{g.DesiredCanaries}
              </td>
              <td class="num">{g.PlacedAllocs}</td>
              <td class="num">{g.HealthyAllocs}</td>
              <td class="num">{g.UnhealthyAllocs}</td>
              <td>{g.Promoted ? "yes" : "no"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {d.Status === "running" || d.Status === "paused" ? (
        <div class="actions">
          <button type="button" disabled={busy || !canaries} onClick={() => act("promote")}>
            Promote canaries
          </button>
          <button type="button" class="danger" disabled={busy} onClick={() => act("fail")}>
            Fail deployment
          </button>
        </div>
      ) : null}
      {error === undefined ? null : (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

function Versions(props: { versions: Job[] }) {
  const [picked, setPicked] = useState<number | undefined>();
  const versions = props.versions;
  const newest = versions[0];
  if (newest === undefined) return <p class="muted">No versions.</p>;
  const shown = versions.find((v) => v.Version === picked) ?? newest;
  const previous = versions.find((v) => v.Version === shown.Version - 1);
  return (
    <>
      <label>
        Version{" "}
        <select
          value={shown.Version}
          onChange={(e) => setPicked(Number((e.target as HTMLSelectElement).value))}
        >
          {versions.map((v) => (
            <option key={v.Version} value={v.Version}>
              {v.Version} {v["Stable"] === true ? "(stable)" : ""} — {when(v["SubmitTime"] as number)}
            </option>
          ))}
        </select>
      </label>
      {previous === undefined ? (
        <p class="muted">Version {shown.Version} is the first.</p>
      ) : (
        <DiffView
          label={`Changes from version ${previous.Version} to ${shown.Version}`}
          before={specText(previous)}
          after={specText(shown)}
        />
      )}
    </>
  );
}

export function JobPage(props: { id: string; route: string }) {
  const namespace = routeQuery(props.route).get("namespace") ?? "default";
  const q = qs({ namespace });
  const base = `/v1/job/${enc(props.id)}`;
  const job = useLive<Job>(`${base}${q}`);
  const summary = useLive<{ Summary: Record<string, GroupSummary> }>(`${base}/summary${q}`);
  const allocs = useLive<AllocRow[]>(`${base}/allocations${q}`);
  const evals = useLive<Evaluation[]>(`${base}/evaluations${q}`);
  const versions = useLive<{ Versions: Job[] }>(`${base}/versions${q}`);
  const deployment = useLive<Deployment | null>(`${base}/deployment${q}`);
  if (job.data === undefined) {
    return (
      <>
        <h1>Job {props.id}</h1>
        <ErrorBox error={job.error} />
        {job.error === undefined ? <Loading what="the job" /> : null}
      </>
    );
  }
  const j = job.data;
  const allocRows = allocs.data ?? [];
  return (
    <>
      <h1>
        Job {j.Name} <Status value={j.Status} />
      </h1>
      <p class="muted">
        {j.Type} · namespace {j.Namespace} · priority {j.Priority} · version {j.Version} · datacenters{" "}
        {j.Datacenters.join(", ")}
      </p>
      <Section title="Task groups">
        <table>
          <thead>
            <tr>
              <th>Group</th>
              <th>Desired</th>
              <th>Placed</th>
              <th>Running</th>
              <th>Healthy</th>
              <th>Failed</th>
              <th>Queued</th>
            </tr>
          </thead>
          <tbody>
            {j.TaskGroups.map((g) => {
              const s = summary.data?.Summary[g.Name];
              const mine = allocRows.filter((a) => a.TaskGroup === g.Name && a.DesiredStatus === "run");
              return (
                <tr key={g.Name}>
                  <td>{g.Name}</td>
                  <td class="num">{g.Count}</td>
                  <td class="num">{mine.length}</td>
                  <td class="num">{s?.Running ?? 0}</td>
                  <td class="num">{mine.filter((a) => a.DeploymentStatus?.Healthy === true).length}</td>
                  <td class="num">{s?.Failed ?? 0}</td>
                  <td class="num">{s?.Queued ?? 0}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Section>
      <Section title="Deployment">
        <ErrorBox error={deployment.error} />
        {deployment.data === undefined ? (
          <Loading what="the deployment" />
        ) : (
          <DeploymentSection deployment={deployment.data} onChange={deployment.refresh} />
        )}
      </Section>
      <Section title="Allocations">
        <ErrorBox error={allocs.error} />
        <AllocTable allocs={allocRows} />
      </Section>
      <Section title="Evaluations">
        <ErrorBox error={evals.error} />
        <EvalTable evals={evals.data ?? []} />
      </Section>
      <Section title="Versions">
        <ErrorBox error={versions.error} />
        <Versions versions={versions.data?.Versions ?? []} />
      </Section>
      <Section title="Definition">
        <pre class="code" tabIndex={0}>
          {JSON.stringify(j, null, 2)}
        </pre>
      </Section>
    </>
  );
}
