import { enc, Link } from "../router";
import { Status, shortId } from "./bits";
import { VirtualRows } from "./virtual-rows";

export interface AllocRow {
  ID: string;
  Name: string;
  JobID: string;
  Namespace: string;
  NodeID: string;
  NodeName: string;
  TaskGroup: string;
  JobVersion: number;
  DesiredStatus: string;
  ClientStatus: string;
  DeploymentStatus: { Healthy: boolean | null; Canary: boolean } | null;
}

/** Allocations as a virtual table (a job or node can hold thousands). */
export function AllocTable(props: { allocs: readonly AllocRow[]; onNearEnd?: () => void }) {
  return (
    <VirtualRows
      label="Allocations"
      columns={["ID", "Name", "Node", "Version", "Desired", "Status", "Health"]}
      template="1fr 2fr 1.2fr 0.6fr 0.8fr 1fr 1fr"
      rows={props.allocs}
      empty="No allocations."
      {...(props.onNearEnd === undefined ? {} : { onNearEnd: props.onNearEnd })}
      row={(a) => (
        <>
          <div role="cell">
            <Link to={`allocations/${enc(a.ID)}`}>
              <code title={a.ID}>{shortId(a.ID)}</code>
            </Link>
          </div>
          <div role="cell" class="clip">
            {a.Name}
          </div>
          <div role="cell">
            <Link to={`nodes/${enc(a.NodeID)}`}>{a.NodeName || shortId(a.NodeID)}</Link>
          </div>
          <div role="cell" class="num">
            {a.JobVersion}
          </div>
          <div role="cell">{a.DesiredStatus}</div>
          <div role="cell">
            <Status value={a.ClientStatus} />
          </div>
          <div role="cell">
            {a.DeploymentStatus === null
              ? "—"
              : `${a.DeploymentStatus.Canary ? "canary, " : ""}${a.DeploymentStatus.Healthy === null ? "checking" : a.DeploymentStatus.Healthy ? "healthy" : "unhealthy"}`}
          </div>
        </>
      )}
    />
  );
}
