import { useState } from "preact/hooks";
import { ApiError, errorText, qs, request } from "../api";
import { ErrorBox, Loading, Section, when } from "../components/bits";
import { useLive } from "../live";
import { enc, Link, navigate } from "../router";

interface VarStub {
  Namespace: string;
  Path: string;
  ModifyIndex: number;
  ModifyTime: number;
}
interface Variable extends VarStub {
  Items: Record<string, string>;
}

export function VariablesPage() {
  const [prefix, setPrefix] = useState("");
  const [newPath, setNewPath] = useState("");
  const vars = useLive<VarStub[]>(`/v1/vars${qs({ prefix })}`);
  return (
    <>
      <h1>Variables</h1>
      <div class="toolbar">
        <label>
          Path prefix{" "}
          <input
            type="search"
            value={prefix}
            onInput={(e) => setPrefix((e.target as HTMLInputElement).value)}
          />
        </label>
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            if (newPath.trim() !== "") navigate(`variables/${newPath.trim().split("/").map(enc).join("/")}`);
          }}
        >
          <label>
            New variable at{" "}
            <input
              value={newPath}
              placeholder="nomad/jobs/web"
              onInput={(e) => setNewPath((e.target as HTMLInputElement).value)}
            />
          </label>
          <button type="submit">Create</button>
        </form>
      </div>
      <ErrorBox error={vars.error} />
      {vars.data === undefined ? (
        vars.error === undefined && <Loading what="variables" />
      ) : vars.data.length === 0 ? (
        <p class="muted">No variables.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Path</th>
              <th>Namespace</th>
              <th>Modified</th>
            </tr>
          </thead>
          <tbody>
            {vars.data.map((v) => (
              <tr key={`${v.Namespace}/${v.Path}`}>
                <td>
                  <Link to={`variables/${v.Path.split("/").map(enc).join("/")}`}>{v.Path}</Link>
                </td>
                <td>{v.Namespace}</td>
                <td>{when(v.ModifyTime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

type Row = { key: string; value: string };

function Editor(props: { path: string; existing: Variable | null }) {
  const [rows, setRows] = useState<Row[]>(() =>
    props.existing === null
      ? [{ key: "", value: "" }]
      : Object.entries(props.existing.Items).map(([key, value]) => ({ key, value })),
  );
  const [error, setError] = useState<string | undefined>();
  const [saved, setSaved] = useState<string | undefined>();
  const set = (i: number, field: keyof Row, value: string) =>
    setRows((r) => r.map((row, j) => (j === i ? { ...row, [field]: value } : row)));
  const url = `/v1/var/${props.path.split("/").map(enc).join("/")}`;
  const save = async () => {
    setError(undefined);
    setSaved(undefined);
    const items: Record<string, string> = {};
    for (const row of rows) if (row.key.trim() !== "") items[row.key.trim()] = row.value;
    if (Object.keys(items).length === 0) {
      setError("a variable needs at least one item");
      return;
    }
    try {
      // Check-and-set: refuse to overwrite a change someone else made since this page loaded.
      const cas = props.existing?.ModifyIndex ?? 0;
      await request("PUT", `${url}${qs({ cas })}`, { Path: props.path, Items: items });
      setSaved("Saved.");
      navigate(`variables/${props.path.split("/").map(enc).join("/")}`);
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 409
          ? "someone changed this variable since you opened it; reload"
          : errorText(e),
      );
    }
  };
  const remove = async () => {
    try {
      await request("DELETE", url);
      navigate("variables");
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <>
      <table>
        <thead>
          <tr>
            <th>Key</th>
            <th>Value</th>
            <th>
              <span class="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              <td>
                <input
                  aria-label={`key ${i + 1}`}
                  value={row.key}
                  onInput={(e) => set(i, "key", (e.target as HTMLInputElement).value)}
                />
              </td>
              <td>
                <input
                  aria-label={`value ${i + 1}`}
                  value={row.value}
                  onInput={(e) => set(i, "value", (e.target as HTMLInputElement).value)}
                />
              </td>
              <td>
                <button type="button" onClick={() => setRows((r) => r.filter((_, j) => j !== i))}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="actions">
        <button type="button" onClick={() => setRows((r) => [...r, { key: "", value: "" }])}>
          Add item
        </button>
        <button type="button" onClick={() => void save()}>
          Save
        </button>
        {props.existing === null ? null : (
          <button type="button" class="danger" onClick={() => void remove()}>
            Delete variable
          </button>
        )}
      </div>
      {saved === undefined ? null : <p role="status">{saved}</p>}
      {error === undefined ? null : (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

export function VariablePage(props: { path: string }) {
  const url = `/v1/var/${props.path.split("/").map(enc).join("/")}`;
  const v = useLive<Variable>(url, false);
  const missing = v.error instanceof ApiError && v.error.status === 404;
  return (
    <>
      <h1>Variable {props.path}</h1>
      {missing ? <p class="muted">New variable.</p> : <ErrorBox error={v.error} />}
      <Section title="Items">
        {v.data !== undefined ? (
          <Editor key={v.data.ModifyIndex} path={props.path} existing={v.data} />
        ) : missing ? (
          <Editor key="new" path={props.path} existing={null} />
        ) : v.error === undefined ? (
          <Loading what="the variable" />
        ) : null}
      </Section>
    </>
  );
}
