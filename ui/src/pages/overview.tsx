import { useEffect, useState } from "preact/hooks";
import { ErrorBox, Loading, Section, Sparkline, Status } from "../components/bits";
import { useLive } from "../live";
import { Link } from "../router";

interface ServerHealth {
  ID: string;
  Address: string;
  Leader: boolean;
  Voter: boolean;
  Healthy: boolean;
  LastIndex: number;
  LastTerm: number;
  LastContact: number;
}

interface Summary {
  Jobs: Record<string, number>;
  JobTypes: Record<string, number>;
  Nodes: Record<string, number>;
  NodesIneligible: number;
  NodesDraining: number;
  Allocations: Record<string, number>;
  AllocationsDesiredRun: number;
}

interface MetricsJson {
  Gauges: Array<{ Name: string; Value: number }>;
}

const SAMPLES = 60;

function Counts(props: { counts: Record<string, number>; label: string }) {
  const entries = Object.entries(props.counts).sort(([a], [b]) => (a < b ? -1 : 1));
  if (entries.length === 0) return <p class="muted">No {props.label}.</p>;
  return (
    <ul class="counts" aria-label={props.label}>
      {entries.map(([status, n]) => (
        <li key={status}>
          <Status value={status} /> <strong>{n}</strong>
        </li>
      ))}
    </ul>
  );
}

/** Appends each new value of `value` to a bounded history (for the live charts). */
function useHistory(value: number | undefined, tick: number): number[] {
  const [history, setHistory] = useState<number[]>([]);
  useEffect(() => {
    if (value === undefined) return;
    setHistory((h) => [...h.slice(-(SAMPLES - 1)), value]);
  }, [value, tick]);
  return history;
}

export function OverviewPage() {
  const health = useLive<{ Healthy: boolean; FailureTolerance: number; Servers: ServerHealth[] }>(
    "/v1/operator/autopilot/health",
    false,
  );
  // Blocks on allocations; node and job changes show within the shorter wait.
  const summary = useLive<Summary>("/v1/cluster/summary", true, "10s");
  // The broker gauges have no blocking query: read every other second.
  const metrics = useLive<MetricsJson>("/v1/metrics", false);
  const gauge = (name: string) => metrics.data?.Gauges.find((g) => g.Name === name)?.Value;
  const running = summary.data?.Allocations["running"];
  const placements = useHistory(running, summary.index);
  const ready = useHistory(gauge("drover_broker_ready"), metrics.data === undefined ? 0 : Date.now());
  const blocked = useHistory(gauge("drover_broker_blocked"), metrics.data === undefined ? 0 : Date.now());
  return (
    <>
      <h1>Cluster overview</h1>
      <div class="grid">
        <Section title="Servers">
          <ErrorBox error={health.error} />
          {health.data === undefined ? (
            health.error === undefined && <Loading what="servers" />
          ) : (
            <>
              <p>
                {health.data.Healthy ? <Status value="healthy" /> : <Status value="unhealthy" />} failure
                tolerance {health.data.FailureTolerance}
              </p>
              <table>
                <thead>
                  <tr>
                    <th>Server</th>
                    <th>Address</th>
                    <th>Role</th>
                    <th>Raft index</th>
                    <th>Term</th>
                    <th>Health</th>
                  </tr>
                </thead>
                <tbody>
                  {health.data.Servers.map((s) => (
                    <tr key={s.ID}>
                      <td>{s.ID}</td>
                      <td>{s.Address}</td>
                      <td>{s.Leader ? <strong>leader</strong> : s.Voter ? "follower" : "non-voter"}</td>
                      <td class="num">{s.LastIndex}</td>
                      <td class="num">{s.LastTerm}</td>
                      <td>
                        <Status value={s.Healthy ? "healthy" : "unhealthy"} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </Section>
        <Section title="Clients" actions={<Link to="nodes">All nodes</Link>}>
          <ErrorBox error={summary.error} />
          {summary.data === undefined ? (
            <Loading what="nodes" />
          ) : (
            <>
              <Counts counts={summary.data.Nodes} label="nodes" />
              <p class="muted">
                {summary.data.NodesIneligible} ineligible, {summary.data.NodesDraining} draining
              </p>
            </>
          )}
        </Section>
        <Section title="Allocations">
          {summary.data === undefined ? (
            <Loading what="allocations" />
          ) : (
            <Counts counts={summary.data.Allocations} label="allocations" />
          )}
        </Section>
        <Section title="Jobs" actions={<Link to="jobs">All jobs</Link>}>
          {summary.data === undefined ? (
            <Loading what="jobs" />
          ) : (
            <Counts counts={summary.data.Jobs} label="jobs" />
          )}
        </Section>
        <Section title="Live">
          <Sparkline label="Running allocations" samples={placements} />
          <ErrorBox error={metrics.error} />
          <Sparkline label="Eval broker ready" samples={ready} />
          <Sparkline label="Eval broker blocked" samples={blocked} />
        </Section>
      </div>
    </>
  );
}
