import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, errorText, savedToken } from "../api";
import { ErrorBox, Loading, Section, Status, shortId, when } from "../components/bits";
import { useLive } from "../live";
import { enc, Link } from "../router";

interface TaskEvent {
  Type: string;
  Time: number;
  DisplayMessage: string;
  Message: string;
  ExitCode: number;
}
interface TaskState {
  State: string;
  Failed: boolean;
  Restarts: number;
  StartedAt: string | number;
  FinishedAt: string | number;
  Events: TaskEvent[];
}
interface Alloc {
  ID: string;
  Name: string;
  Namespace: string;
  JobID: string;
  NodeID: string;
  NodeName: string;
  TaskGroup: string;
  ClientStatus: string;
  ClientDescription: string;
  DesiredStatus: string;
  DesiredDescription: string;
  TaskStates: Record<string, TaskState> | null;
  AllocatedResources: {
    Tasks: Record<string, { Cpu: { CpuShares: number }; Memory: { MemoryMB: number } }>;
    Shared: {
      DiskMB: number;
      Ports: Array<{ Label: string; Value: number; To: number; HostIP: string }> | null;
    };
  } | null;
}

const TAIL_BYTES = 64 * 1024;
const KEEP_CHARS = 256 * 1024;

/**
 * The task's log, followed: one long-lived plain-text request (`follow=true&plain=true`), started
 * `TAIL_BYTES` before the end; the text shown is bounded to the last KEEP_CHARS characters.
 */
function LogTail(props: { allocId: string; tasks: string[] }) {
  const [task, setTask] = useState(props.tasks[0] ?? "");
  const [type, setType] = useState<"stdout" | "stderr">("stdout");
  const [text, setText] = useState("");
  const [error, setError] = useState<string | undefined>();
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (task === "") return undefined;
    setText("");
    setError(undefined);
    const abort = new AbortController();
    const url = `/v1/client/fs/logs/${enc(props.allocId)}?task=${enc(task)}&type=${type}&follow=true&plain=true&origin=end&offset=${TAIL_BYTES}`;
    const headers: Record<string, string> = {};
    if (savedToken() !== "") headers["X-Nomad-Token"] = savedToken();
    const read = async () => {
      const res = await fetch(url, { headers, signal: abort.signal });
      if (!res.ok || res.body === null) {
        const body = await res.text();
        let message = body;
        try {
          message = (JSON.parse(body) as { error: string }).error;
        } catch {
          // plain text
        }
        throw new ApiError(res.status, message);
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        setText((t) => (t + value).slice(-KEEP_CHARS));
      }
    };
    read().catch((e: unknown) => {
      if (!abort.signal.aborted) setError(errorText(e));
    });
    return () => abort.abort();
  }, [props.allocId, task, type]);
  useEffect(() => {
    const el = pre.current;
    if (el !== null) el.scrollTop = el.scrollHeight;
  }, [text]);
  return (
    <>
      <div class="toolbar">
        <label>
          Task{" "}
          <select value={task} onChange={(e) => setTask((e.target as HTMLSelectElement).value)}>
            {props.tasks.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <fieldset class="switch">
          <legend class="sr-only">Stream</legend>
          {(["stdout", "stderr"] as const).map((t) => (
            <label key={t}>
              <input
                type="radio"
                name="log-type"
                value={t}
                checked={type === t}
                onChange={() => setType(t)}
              />{" "}
              {t}
            </label>
          ))}
        </fieldset>
      </div>
      {error === undefined ? null : (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <pre class="log" ref={pre} tabIndex={0} role="region" aria-label={`${task} ${type}`} aria-live="off">
        {text === "" ? <span class="muted">(no output yet)</span> : text}
      </pre>
    </>
  );
}

export function AllocationPage(props: { id: string }) {
  const alloc = useLive<Alloc>(`/v1/allocation/${enc(props.id)}`);
  if (alloc.data === undefined) {
    return (
      <>
        <h1>Allocation {shortId(props.id)}</h1>
        <ErrorBox error={alloc.error} />
        {alloc.error === undefined ? <Loading what="the allocation" /> : null}
      </>
    );
  }
  const a = alloc.data;
  const states = Object.entries(a.TaskStates ?? {});
  const tasks = Object.keys(a.AllocatedResources?.Tasks ?? a.TaskStates ?? {}).sort();
  return (
    <>
      <h1>
        Allocation <code>{shortId(a.ID)}</code> <Status value={a.ClientStatus} />
      </h1>
      <p class="muted">
        {a.Name} · job <Link to={`jobs/${enc(a.JobID)}?namespace=${enc(a.Namespace)}`}>{a.JobID}</Link> · node{" "}
        <Link to={`nodes/${enc(a.NodeID)}`}>{a.NodeName || shortId(a.NodeID)}</Link> · desired{" "}
        {a.DesiredStatus} {a.DesiredDescription} {a.ClientDescription}
      </p>
      <Section title="Tasks">
        {states.length === 0 ? <p class="muted">No task has started.</p> : null}
        {states.map(([name, s]) => (
          <div key={name} class="task">
            <h3>
              {name} <Status value={s.State} /> {s.Failed ? <Status value="failed" /> : null} restarts{" "}
              {s.Restarts}
            </h3>
            <table>
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Type</th>
                  <th>Message</th>
                </tr>
              </thead>
              <tbody>
                {[...s.Events].reverse().map((e, i) => (
                  <tr key={i}>
                    <td>{when(e.Time)}</td>
                    <td>{e.Type}</td>
                    <td>{e.DisplayMessage || e.Message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      </Section>
      <Section title="Resources">
        <table>
          <thead>
            <tr>
              <th>Task</th>
              <th>CPU (MHz)</th>
              <th>Memory (MB)</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(a.AllocatedResources?.Tasks ?? {}).map(([name, r]) => (
              <tr key={name}>
                <td>{name}</td>
                <td class="num">{r.Cpu.CpuShares}</td>
                <td class="num">{r.Memory.MemoryMB}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p>Disk: {a.AllocatedResources?.Shared.DiskMB ?? 0} MB</p>
        <h3>Ports</h3>
        {(a.AllocatedResources?.Shared.Ports ?? []).length === 0 ? (
          <p class="muted">No ports.</p>
        ) : (
          <ul>
            {(a.AllocatedResources?.Shared.Ports ?? []).map((p) => (
              <li key={p.Label}>
                {p.Label}: {p.HostIP}:{p.Value}
                {p.To > 0 ? ` → ${p.To}` : ""}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Logs">
        {tasks.length === 0 ? <p class="muted">No tasks.</p> : <LogTail allocId={a.ID} tasks={tasks} />}
      </Section>
    </>
  );
}
