import { ValidationError } from "../common/errors.js";
import type { StateReader } from "../fsm/state-reader.js";
import { DEFAULT_NAMESPACE } from "../fsm/structs.js";
import type { Handler } from "./http-server.js";
import type { Router } from "./router.js";

/** Nomad's limit of matches per context; more set the context's truncation flag. */
export const SEARCH_LIMIT = 20;
/** Nomad refuses shorter fuzzy queries (min_term_length, default 2). */
const MIN_TERM_LENGTH = 2;

export const SEARCH_CONTEXTS = ["jobs", "nodes", "allocs", "evals", "deployment"] as const;
type SearchContext = (typeof SEARCH_CONTEXTS)[number];

export interface FuzzyMatch {
  ID: string;
  /** Where the match lives: [namespace] for jobs, [namespace, job] for groups and tasks, … */
  Scope: string[];
}

export interface FuzzyResult {
  Matches: Record<string, FuzzyMatch[]>;
  Truncations: Record<string, boolean>;
}

/** Collects matches of one result key up to the limit, noting whether more were found. */
class Collector {
  readonly matches: Record<string, FuzzyMatch[]> = {};
  readonly truncations: Record<string, boolean> = {};

  add(key: string, match: FuzzyMatch): void {
    this.open(key);
    const list = this.matches[key] as FuzzyMatch[];
    if (list.length >= SEARCH_LIMIT) {
      this.truncations[key] = true;
      return;
    }
    list.push(match);
  }

  open(key: string): void {
    this.matches[key] ??= [];
    this.truncations[key] ??= false;
  }
}

/**
 * Nomad's fuzzy search over this server's state (a stale read, as Nomad allows): names that
 * contain the text, case-insensitively — jobs (and their groups and tasks), nodes, allocations —
 * and, for objects named only by a UUID (evaluations, deployments), IDs that start with it.
 * Matches come in ID order within each context.
 */
export function fuzzySearch(
  state: StateReader,
  text: string,
  context: SearchContext | "all",
  namespace: string,
): FuzzyResult {
  const needle = text.toLowerCase();
  const has = (name: string): boolean => name.toLowerCase().includes(needle);
  const inNamespace = (ns: string): boolean => namespace === "*" || ns === namespace;
  const wants = (c: SearchContext): boolean => context === "all" || context === c;
  const out = new Collector();
  const byId = <T extends { ID: string }>(items: Iterable<T>): T[] =>
    [...items].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));

  if (wants("jobs")) {
    for (const key of ["jobs", "groups", "tasks"]) out.open(key);
    for (const job of byId(state.jobs())) {
      if (!inNamespace(job.Namespace)) continue;
      if (has(job.ID) || has(job.Name)) out.add("jobs", { ID: job.ID, Scope: [job.Namespace] });
      for (const group of job.TaskGroups) {
        if (has(group.Name)) out.add("groups", { ID: group.Name, Scope: [job.Namespace, job.ID] });
        for (const task of group.Tasks) {
          if (has(task.Name)) out.add("tasks", { ID: task.Name, Scope: [job.Namespace, job.ID, group.Name] });
        }
      }
    }
  }
  if (wants("nodes")) {
    out.open("nodes");
    for (const node of byId(state.nodes())) {
      if (has(node.Name) || node.ID.startsWith(needle)) out.add("nodes", { ID: node.Name, Scope: [node.ID] });
    }
  }
  if (wants("allocs")) {
    out.open("allocs");
    for (const alloc of byId(state.allocs())) {
      if (!inNamespace(alloc.Namespace)) continue;
      if (has(alloc.Name) || alloc.ID.startsWith(needle))
        out.add("allocs", { ID: alloc.Name, Scope: [alloc.Namespace, alloc.ID] });
    }
  }
  if (wants("evals")) {
    out.open("evals");
    for (const evaluation of byId(state.evals())) {
      if (inNamespace(evaluation.Namespace) && evaluation.ID.startsWith(needle))
        out.add("evals", { ID: evaluation.ID, Scope: [evaluation.Namespace, evaluation.JobID] });
    }
  }
  if (wants("deployment")) {
    out.open("deployment");
    for (const deployment of byId(state.deployments())) {
      if (inNamespace(deployment.Namespace) && deployment.ID.startsWith(needle))
        out.add("deployment", { ID: deployment.ID, Scope: [deployment.Namespace, deployment.JobID] });
    }
  }
  return { Matches: out.matches, Truncations: out.truncations };
}

function parseBody(body: unknown): { text: string; context: SearchContext | "all"; namespace: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new ValidationError("expected a JSON object", "request body");
  const { Text: text, Context: context = "all", Namespace: namespace } = body as Record<string, unknown>;
  if (typeof text !== "string") throw new ValidationError("Text must be a string", "request body");
  if (text.length < MIN_TERM_LENGTH)
    throw new ValidationError(`Text must be at least ${MIN_TERM_LENGTH} characters`, "request body");
  if (context !== "all" && !(SEARCH_CONTEXTS as readonly unknown[]).includes(context)) {
    throw new ValidationError(
      `Context must be "all" or one of ${SEARCH_CONTEXTS.join(", ")}, got ${JSON.stringify(context)}`,
      "request body",
    );
  }
  if (namespace !== undefined && namespace !== null && typeof namespace !== "string")
    throw new ValidationError("Namespace must be a string", "request body");
  return {
    text,
    context: context as SearchContext | "all",
    namespace: typeof namespace === "string" && namespace !== "" ? namespace : DEFAULT_NAMESPACE,
  };
}

/** `POST /v1/search/fuzzy` over a server's own state (`state()` is O(1): an immutable view). */
export function addSearchRoutes(router: Router<Handler>, state: () => StateReader): Router<Handler> {
  router.add("POST", "/v1/search/fuzzy", async (req) => {
    const { text, context, namespace } = parseBody(req.body);
    const view = state();
    return {
      body: fuzzySearch(view, text, context, namespace),
      meta: { index: view.index, knownLeader: true, lastContactMs: 0 },
    };
  });
  return router;
}
