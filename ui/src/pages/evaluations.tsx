import { useState } from "preact/hooks";
import { qs } from "../api";
import { ErrorBox, Loading } from "../components/bits";
import { Choice } from "../components/list-controls";
import { useLive } from "../live";
import { listFilter } from "../paged-list";
import { EvalTable, type Evaluation } from "./job";

export function EvaluationsPage() {
  const [status, setStatus] = useState("");
  const path = `/v1/evaluations${qs({
    namespace: "*",
    per_page: 200,
    sort: "CreateIndex",
    reverse: "true",
    filter: listFilter("", { Status: status }),
  })}`;
  const evals = useLive<Evaluation[]>(path);
  return (
    <>
      <h1>Evaluations</h1>
      <div class="toolbar">
        <Choice
          label="Status"
          value={status}
          onChange={setStatus}
          any
          options={["pending", "blocked", "complete", "failed", "canceled"]}
        />
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
