import { useState } from "preact/hooks";
import { ApiError, errorText, post, qs } from "../api";
import { Section } from "../components/bits";
import { enc, navigate } from "../router";
import { PlacementFailures } from "./job";

interface FieldDiff {
  Type: string;
  Name: string;
  Old: string;
  New: string;
}
interface ObjectDiff {
  Type: string;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  TaskGroups?: ObjectDiff[] | null;
  Tasks?: ObjectDiff[] | null;
  Updates?: Record<string, number> | null;
}
interface PlanAnswer {
  JobModifyIndex: number;
  Diff: ObjectDiff | null;
  Annotations: { DesiredTGUpdates: Record<string, Record<string, number>> } | null;
  // biome-ignore lint/suspicious/noExplicitAny: the metric shape is PlacementFailures' own
  FailedTGAllocs: Record<string, any> | null;
  Warnings: string;
}

const EXAMPLE = `job "example" {
  datacenters = ["dc1"]
  type = "service"

  group "web" {
    count = 1
    task "hello" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo hello from drover; sleep 3600"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`;

const SIGN: Record<string, string> = { Added: "+", Deleted: "-", Edited: "~", None: " " };

/** Nomad's structured job diff: what plan would add (+), remove (-) or change (~). */
function DiffTree(props: { diff: ObjectDiff; depth: number }) {
  const d = props.diff;
  const children = [...(d.TaskGroups ?? []), ...(d.Tasks ?? []), ...(d.Objects ?? [])].filter(
    (o) => o.Type !== "None",
  );
  const fields = (d.Fields ?? []).filter((f) => f.Type !== "None");
  return (
    <li class={`d-${d.Type}`}>
      <span>
        {SIGN[d.Type] ?? "?"} {d.Name || "Job"}
      </span>
      {fields.length + children.length === 0 ? null : (
        <ul>
          {fields.map((f) => (
            <li key={f.Name} class={`d-${f.Type}`}>
              {SIGN[f.Type] ?? "?"} {f.Name}:{" "}
              {f.Type === "Added"
                ? JSON.stringify(f.New)
                : f.Type === "Deleted"
                  ? JSON.stringify(f.Old)
                  : `${JSON.stringify(f.Old)} => ${JSON.stringify(f.New)}`}
            </li>
          ))}
          {children.map((c, i) => (
            <DiffTree key={`${c.Name}-${i}`} diff={c} depth={props.depth + 1} />
          ))}
        </ul>
      )}
    </li>
  );
}

export function RunJobPage() {
  const [hcl, setHcl] = useState(EXAMPLE);
  const [job, setJob] = useState<Record<string, unknown> | undefined>();
  const [plan, setPlan] = useState<PlanAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const doPlan = async () => {
    setBusy(true);
    setError(undefined);
    setPlan(undefined);
    try {
      const parsed = await post<Record<string, unknown>>("/v1/jobs/parse", {
        JobHCL: hcl,
        Canonicalize: true,
      });
      const id = String(parsed.body["ID"]);
      const answer = await post<PlanAnswer>(
        `/v1/job/${enc(id)}/plan${qs({ namespace: parsed.body["Namespace"] as string })}`,
        {
          Job: parsed.body,
          Diff: true,
        },
      );
      setJob(parsed.body);
      setPlan(answer.body);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const doRun = async () => {
    if (job === undefined || plan === undefined) return;
    setBusy(true);
    setError(undefined);
    try {
      const id = String(job["ID"]);
      const namespace = String(job["Namespace"] ?? "default");
      // The plan was made against JobModifyIndex: refuse to run over a change made since.
      await post(`/v1/job/${enc(id)}${qs({ namespace })}`, {
        Job: job,
        EnforceIndex: true,
        JobModifyIndex: plan.JobModifyIndex,
      });
      navigate(`jobs/${enc(id)}?namespace=${enc(namespace)}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        setError(`${e.describe()} — the job changed since the plan; plan again`);
      } else {
        setError(errorText(e));
      }
      setBusy(false);
    }
  };

  return (
    <>
      <h1>Run a job</h1>
      <Section title="Job specification (HCL)">
        <label for="hcl" class="sr-only">
          Job HCL
        </label>
        <textarea
          id="hcl"
          class="code"
          rows={20}
          spellcheck={false}
          value={hcl}
          onInput={(e) => {
            setHcl((e.target as HTMLTextAreaElement).value);
            setPlan(undefined);
          }}
        />
        <div class="actions">
          <button type="button" disabled={busy} onClick={() => void doPlan()}>
            Plan
          </button>
          <button type="button" disabled={busy || plan === undefined} onClick={() => void doRun()}>
            Run
          </button>
        </div>
        {error === undefined ? null : (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </Section>
      {plan === undefined ? null : (
        <Section title="Plan">
          {plan.Warnings === "" ? null : <p class="warn">{plan.Warnings}</p>}
          <h3>Changes</h3>
          {plan.Diff === null ? (
            <p class="muted">No diff.</p>
          ) : (
            <ul class="difftree" aria-label="Job diff">
              <DiffTree diff={plan.Diff} depth={0} />
            </ul>
          )}
          <h3>Scheduler dry run</h3>
          <table>
            <thead>
              <tr>
                <th>Group</th>
                <th>Updates</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(plan.Annotations?.DesiredTGUpdates ?? {}).map(([group, u]) => (
                <tr key={group}>
                  <td>{group}</td>
                  <td>
                    {Object.entries(u)
                      .filter(([, n]) => n > 0)
                      .map(([k, n]) => `${n} ${k.toLowerCase()}`)
                      .join(", ") || "no change"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <PlacementFailures failures={plan.FailedTGAllocs} />
          <p class="muted">
            Run registers the job only if it has not changed since this plan (index {plan.JobModifyIndex}).
          </p>
        </Section>
      )}
    </>
  );
}
