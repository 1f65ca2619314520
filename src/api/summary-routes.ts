import type { ServerApi } from "../rpc/server-api.js";
import { namespaceOf, ok } from "./api-shapes.js";
import type { Handler } from "./http-server.js";
import { queryOptions } from "./query-params.js";
import type { Router } from "./router.js";

/** Counts of items by a field's value. */
function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/**
 * `GET /v1/cluster/summary` (Drover's; Nomad's UI counts whole lists in the browser instead):
 * jobs, nodes and allocations counted by status on the server, so that the web UI's overview
 * stays one small answer on a cluster of 100,000 allocations. A blocking query (`?index=`) waits
 * on the allocations, which change most; the other counts are read when it answers.
 */
export function summaryRoutes(router: Router<Handler>, api: ServerApi): void {
  router.add("GET", "/v1/cluster/summary", async (req) => {
    const options = queryOptions(req.query);
    const namespace = namespaceOf(req);
    const allocs = await api.allocList({ ...options, namespace });
    const { minIndex: _m, maxWaitMs: _w, ...now } = options;
    const [jobs, nodes] = await Promise.all([api.jobList({ ...now, namespace }), api.nodeList(now)]);
    return ok(
      {
        Jobs: countBy(jobs.value, (j) => j.Status),
        JobTypes: countBy(jobs.value, (j) => j.Type),
        Nodes: countBy(nodes.value, (n) => n.Status),
        NodesIneligible: nodes.value.filter((n) => n.SchedulingEligibility === "ineligible").length,
        NodesDraining: nodes.value.filter((n) => n.DrainStrategy !== null).length,
        Allocations: countBy(allocs.value, (a) => a.ClientStatus),
        AllocationsDesiredRun: allocs.value.filter((a) => a.DesiredStatus === "run").length,
      },
      { ...allocs.meta, index: Math.max(allocs.meta.index, jobs.meta.index, nodes.meta.index) },
    );
  });
}
