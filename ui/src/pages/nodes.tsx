import { useState } from "preact/hooks";
import { errorText, post, qs } from "../api";
import { type AllocRow, AllocTable } from "../components/alloc-table";
import { ErrorBox, Loading, Pairs, Section, Status, shortId, UsageBar, when } from "../components/bits";
import { Choice, SearchBox } from "../components/list-controls";
import { VirtualRows } from "../components/virtual-rows";
import { useLive } from "../live";
import { listFilter, usePagedList, useSearch } from "../paged-list";
import { enc, Link } from "../router";

interface NodeRow {
  ID: string;
  Name: string;
  Datacenter: string;
  NodeClass: string;
  NodePool: string;
  Drain: boolean;
  SchedulingEligibility: string;
  Status: string;
  HTTPAddr: string;
}

interface NodeDetail extends NodeRow {
  Attributes: Record<string, string>;
  Meta: Record<string, string>;
  Drivers: Record<
    string,
    { Detected: boolean; Healthy: boolean; HealthDescription: string; Attributes: Record<string, string> }
  >;
  NodeResources: { Cpu: { CpuShares: number }; Memory: { MemoryMB: number }; Disk: { DiskMB: number } };
  ReservedResources: { Cpu: { CpuShares: number }; Memory: { MemoryMB: number }; Disk: { DiskMB: number } };
  DrainStrategy: { Deadline: number; ForceDeadline: string; StartedAt: string } | null;
  Events: Array<{ Message: string; Subsystem: string; Timestamp: string }>;
  StatusDescription: string;
}

interface NodeAlloc extends AllocRow {
  AllocatedResources: {
    Tasks: Record<string, { Cpu: { CpuShares: number }; Memory: { MemoryMB: number } }>;
    Shared: { DiskMB: number };
  } | null;
}

const PAGE = 200;

export function NodesPage() {
  const search = useSearch();
  const [status, setStatus] = useState("");
  const base = `/v1/nodes${qs({ per_page: PAGE, filter: listFilter(search.term, { Status: status }) })}`;
  const list = usePagedList<NodeRow>(base);
  return (
    <>
      <h1>Nodes</h1>
      <div class="toolbar" role="search">
        <SearchBox value={search.text} onInput={search.setText} />
        <Choice
          label="Status"
          value={status}
          onChange={setStatus}
          any
          options={["ready", "initializing", "down", "disconnected"]}
        />
      </div>
      <ErrorBox error={list.error} />
      {list.rows === undefined ? (
        list.error === undefined && <Loading what="nodes" />
      ) : (
        <VirtualRows
          label="Nodes"
          columns={["Name", "ID", "Datacenter", "Pool", "Status", "Eligibility", "Drain"]}
          template="1.5fr 1fr 1fr 1fr 1fr 1fr 0.6fr"
          rows={list.rows}
          onNearEnd={list.onNearEnd}
          empty="No nodes match."
          row={(n) => (
            <>
              <div role="cell">
                <Link to={`nodes/${enc(n.ID)}`}>{n.Name}</Link>
              </div>
              <div role="cell">
                <code title={n.ID}>{shortId(n.ID)}</code>
              </div>
              <div role="cell">{n.Datacenter}</div>
              <div role="cell">{n.NodePool}</div>
              <div role="cell">
                <Status value={n.Status} />
              </div>
              <div role="cell">{n.SchedulingEligibility}</div>
              <div role="cell">{n.Drain ? "yes" : "no"}</div>
            </>
          )}
        />
      )}
    </>
  );
}

function DrainControls(props: { node: NodeDetail; onChange: () => void }) {
  const [deadline, setDeadline] = useState("1h");
  const [ignoreSystem, setIgnoreSystem] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const n = props.node;
  const run = (path: string, body: unknown) => {
    setBusy(true);
    setError(undefined);
    post(path, body)
      .then(() => props.onChange())
      .catch((e: unknown) => setError(errorText(e)))
      .finally(() => setBusy(false));
  };
  const deadlineNs = () => {
    const m = /^(\d+)(s|m|h)$/.exec(deadline.trim());
    if (m === null) return undefined;
    return Number(m[1]) * { s: 1e9, m: 60e9, h: 3600e9 }[m[2] as "s" | "m" | "h"];
  };
  return (
    <>
      <p>
        Eligibility: <strong>{n.SchedulingEligibility}</strong> · drain:{" "}
        <strong>
          {n.DrainStrategy === null
            ? "no"
            : `draining since ${when(n.DrainStrategy.StartedAt)}, deadline ${when(n.DrainStrategy.ForceDeadline)}`}
        </strong>
      </p>
      <div class="actions">
        {n.DrainStrategy === null ? (
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              const ns = deadlineNs();
              if (ns === undefined) {
                setError('deadline must look like "30s", "10m" or "1h"');
                return;
              }
              run(`/v1/node/${enc(n.ID)}/drain`, {
                DrainSpec: { Deadline: ns, IgnoreSystemJobs: ignoreSystem },
                MarkEligible: false,
              });
            }}
          >
            <label>
              Deadline{" "}
              <input
                size={5}
                value={deadline}
                onInput={(e) => setDeadline((e.target as HTMLInputElement).value)}
              />
            </label>
            <label>
              <input
                type="checkbox"
                checked={ignoreSystem}
                onChange={(e) => setIgnoreSystem((e.target as HTMLInputElement).checked)}
              />{" "}
              ignore system jobs
            </label>
            <button type="submit" disabled={busy}>
              Drain node
            </button>
          </form>
        ) : (
          <button
            type="button"
            disabled={busy}
            onClick={() => run(`/v1/node/${enc(n.ID)}/drain`, { DrainSpec: null, MarkEligible: true })}
          >
            Stop drain
          </button>
        )}
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            run(`/v1/node/${enc(n.ID)}/eligibility`, {
              Eligibility: n.SchedulingEligibility === "eligible" ? "ineligible" : "eligible",
            })
          }
        >
          {n.SchedulingEligibility === "eligible" ? "Mark ineligible" : "Mark eligible"}
        </button>
      </div>
      {error === undefined ? null : (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

export function NodePage(props: { id: string }) {
  const node = useLive<NodeDetail>(`/v1/node/${enc(props.id)}`);
  const allocs = useLive<NodeAlloc[]>(`/v1/node/${enc(props.id)}/allocations`);
  if (node.data === undefined) {
    return (
      <>
        <h1>Node {shortId(props.id)}</h1>
        <ErrorBox error={node.error} />
        {node.error === undefined ? <Loading what="the node" /> : null}
      </>
    );
  }
  const n = node.data;
  const live = (allocs.data ?? []).filter(
    (a) => a.DesiredStatus === "run" && (a.ClientStatus === "running" || a.ClientStatus === "pending"),
  );
  let cpu = 0;
  let mem = 0;
  let disk = 0;
  for (const a of live) {
    for (const t of Object.values(a.AllocatedResources?.Tasks ?? {})) {
      cpu += t.Cpu.CpuShares;
      mem += t.Memory.MemoryMB;
    }
    disk += a.AllocatedResources?.Shared.DiskMB ?? 0;
  }
  const r = n.NodeResources;
  const res = n.ReservedResources;
  return (
    <>
      <h1>
        Node {n.Name} <Status value={n.Status} />
      </h1>
      <p class="muted">
        <code>{n.ID}</code> · {n.Datacenter} · pool {n.NodePool} · {n.HTTPAddr} {n.StatusDescription}
      </p>
      <Section title="Drain and eligibility">
        <DrainControls node={n} onChange={node.refresh} />
      </Section>
      <Section title="Resources">
        <UsageBar label="CPU" used={cpu} total={r.Cpu.CpuShares - res.Cpu.CpuShares} unit="MHz" />
        <UsageBar label="Memory" used={mem} total={r.Memory.MemoryMB - res.Memory.MemoryMB} unit="MB" />
        <UsageBar label="Disk" used={disk} total={r.Disk.DiskMB - res.Disk.DiskMB} unit="MB" />
      </Section>
      <Section title="Allocations">
        <ErrorBox error={allocs.error} />
        <AllocTable allocs={allocs.data ?? []} />
      </Section>
      <Section title="Drivers">
        <table>
          <thead>
            <tr>
              <th>Driver</th>
              <th>Detected</th>
              <th>Healthy</th>
              <th>Description</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(n.Drivers ?? {}).map(([name, d]) => (
              <tr key={name}>
                <td>{name}</td>
                <td>{d.Detected ? "yes" : "no"}</td>
                <td>{d.Healthy ? "yes" : "no"}</td>
                <td>{d.HealthDescription}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Meta">
        <Pairs pairs={n.Meta} />
      </Section>
      <Section title="Attributes">
        <Pairs pairs={n.Attributes} />
      </Section>
      <Section title="Events">
        <ul>
          {[...(n.Events ?? [])].reverse().map((e, i) => (
            <li key={i}>
              {when(e.Timestamp)} [{e.Subsystem}] {e.Message}
            </li>
          ))}
        </ul>
      </Section>
    </>
  );
}
