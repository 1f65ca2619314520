import { render } from "preact";
import { useState } from "preact/hooks";
import { savedToken, saveToken } from "./api";
import { AllocationPage } from "./pages/allocation";
import { EvaluationsPage } from "./pages/evaluations";
import { JobPage } from "./pages/job";
import { JobsPage } from "./pages/jobs";
import { NodePage, NodesPage } from "./pages/nodes";
import { OverviewPage } from "./pages/overview";
import { RunJobPage } from "./pages/run-job";
import { VariablePage, VariablesPage } from "./pages/variables";
import { Link, segments, useRoute } from "./router";
import "./style.css";

const NAV: Array<[string, string]> = [
  ["", "Overview"],
  ["jobs", "Jobs"],
  ["run", "Run job"],
  ["nodes", "Nodes"],
  ["evaluations", "Evaluations"],
  ["variables", "Variables"],
];

function TokenField() {
  const [token, setToken] = useState(savedToken);
  const [saved, setSaved] = useState(false);
  return (
    <form
      class="token"
      onSubmit={(e) => {
        e.preventDefault();
        saveToken(token.trim());
        setSaved(true);
        location.reload();
      }}
    >
      <label for="acl-token">ACL token</label>
      <input
        id="acl-token"
        type="password"
        autocomplete="off"
        placeholder="Secret ID"
        value={token}
        onInput={(e) => {
          setToken((e.target as HTMLInputElement).value);
          setSaved(false);
        }}
      />
      <button type="submit">{saved ? "Saved" : "Save"}</button>
    </form>
  );
}

function Page(props: { route: string }) {
  const [first, ...rest] = segments(props.route);
  switch (first) {
    case undefined:
      return <OverviewPage />;
    case "jobs":
      return rest.length === 0 ? (
        <JobsPage route={props.route} />
      ) : (
        <JobPage id={rest.join("/")} route={props.route} />
      );
    case "run":
      return <RunJobPage />;
    case "allocations":
      return <AllocationPage id={rest[0] ?? ""} />;
    case "nodes":
      return rest.length === 0 ? <NodesPage /> : <NodePage id={rest[0] ?? ""} />;
    case "evaluations":
      return <EvaluationsPage />;
    case "variables":
      return rest.length === 0 ? <VariablesPage /> : <VariablePage path={rest.join("/")} />;
    default:
      return (
        <p class="error" role="alert">
          No such page: /ui/{props.route}
        </p>
      );
  }
}

function App() {
  const route = useRoute();
  const first = segments(route)[0] ?? "";
  const section = first === "allocations" ? "jobs" : first;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Drover</span>
        <nav aria-label="Main">
          {NAV.map(([to, label]) => (
            <Link to={to} key={to} aria-current={section === to ? "page" : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <TokenField />
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}

render(<App />, document.getElementById("app") as HTMLElement);
