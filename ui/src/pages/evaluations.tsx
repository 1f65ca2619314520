import { useState } from "preact/hooks";
import { qs } from "../api";
import { ErrorBox, Loading } from "../components/bits";
import { useLive } from "../live";
import { EvalTable, type Evaluation } from "./job";
import { quote } from "./jobs";

export function EvaluationsPage() {
  const [status, setStatus] = useState("");
  const path = `/v1/evaluations${qs({
    namespace: "*",
    per_page: 200,
    sort: "CreateIndex",
    reverse: "true",
    filter: status === "" ? undefined : `Status == ${quote(status)}`,
  })}`;
  const evals = useLive<Evaluation[]>(path);
  return (
    <>
      <h1>Evaluations</h1>
      <div class="toolbar">
        <label>
          Status{" "}
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            <option>pending</option>
            <option>blocked</option>
            <option>complete</option>
            <option>failed</option>
            <option>canceled</option>
          </select>
        </label>
        <span class="muted">The newest 200.</span>
      </div>
      <ErrorBox error={evals.error} />
      {evals.data === undefined ? (
        evals.error === undefined && <Loading what="evaluations" />
      ) : (
        <EvalTable evals={evals.data} />
      )}
    </>
  );
}
