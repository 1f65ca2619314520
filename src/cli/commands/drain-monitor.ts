import type { Allocation, DroverClient, PublicNode } from "../http-client.js";
import { formatTime, shortId } from "../output.js";

/** Nomad's node event for a drain that finished by itself. */
const DRAIN_COMPLETE_EVENT = "Node drain complete";

const CLIENT_TERMINAL = new Set(["complete", "failed", "lost"]);

export interface DrainMonitorOptions {
  client: DroverClient;
  nodeId: string;
  verbose?: boolean;
  /** How long each blocking query waits (ms); 2 s by default. */
  pollWaitMs?: number;
  write?: (text: string) => void;
}

/** What the monitor last saw of one allocation. */
interface Seen {
  migrate: boolean;
  desired: string;
  client: string;
}

/**
 * `drover node drain -monitor` (and `-enable` without `-detach`), after Nomad's MonitorDrain: one
 * plain, timestamped line each time an allocation on the node is marked for migration, starts
 * draining or changes status, then "Drain complete for node …" when the drain ends and "All
 * allocations on node … have stopped" once the allocations the servers stopped have stopped on
 * the client. Follows the node and its allocations with blocking queries; exits 0 at the end.
 */
export async function monitorDrain(options: DrainMonitorOptions): Promise<number> {
  const { client, nodeId } = options;
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const waitMs = options.pollWaitMs ?? 2_000;
  const name = shortId(nodeId, options.verbose);
  const line = (text: string): void => write(`${formatTime(Date.now() * 1e6)}: ${text}\n`);
  let drainOver = false;

  const followNode = async (): Promise<void> => {
    let index = 0;
    let first = true;
    for (;;) {
      const answer = await client.request<PublicNode>("GET", `/v1/node/${encodeURIComponent(nodeId)}`, {
        blocking: { index, waitMs },
      });
      index = answer.index;
      const node = answer.body;
      if (node.DrainStrategy === null) {
        const last = node.Events.at(-1)?.Message;
        if (first && last !== DRAIN_COMPLETE_EVENT) line(`No drain strategy set for node ${name}`);
        else if (last === DRAIN_COMPLETE_EVENT) line(`Drain complete for node ${name}`);
        else line(`Drain for node ${name} was disabled`);
        drainOver = true;
        return;
      }
      first = false;
    }
  };

  const followAllocs = async (): Promise<void> => {
    const seen = new Map<string, Seen>();
    let index = 0;
    for (;;) {
      // A short wait once the drain is over, so that the end is noticed promptly.
      const answer = await client.request<Allocation[]>(
        "GET",
        `/v1/node/${encodeURIComponent(nodeId)}/allocations`,
        { blocking: { index, waitMs: drainOver ? Math.min(waitMs, 500) : waitMs } },
      );
      index = answer.index;
      for (const alloc of answer.body) report(alloc, seen.get(alloc.ID), line, options.verbose);
      for (const alloc of answer.body) {
        seen.set(alloc.ID, {
          migrate: alloc.DesiredTransition.Migrate,
          desired: alloc.DesiredStatus,
          client: alloc.ClientStatus,
        });
      }
      const stopping = answer.body.filter((a) => a.DesiredStatus !== "run");
      if (drainOver && stopping.every((a) => CLIENT_TERMINAL.has(a.ClientStatus))) {
        line(`All allocations on node ${name} have stopped`);
        return;
      }
    }
  };

  line("Ctrl-C to stop monitoring: will not cancel the node drain");
  await Promise.all([followNode(), followAllocs()]);
  return 0;
}

/** The lines one allocation's change deserves (none the first time it is seen, unless moving). */
function report(
  alloc: Allocation,
  before: Seen | undefined,
  line: (text: string) => void,
  verbose?: boolean,
): void {
  const id = shortId(alloc.ID, verbose);
  const migrate = alloc.DesiredTransition.Migrate;
  if (before === undefined) {
    // Already moving when the monitor started: say so once; settled history is not replayed.
    if (migrate && !CLIENT_TERMINAL.has(alloc.ClientStatus)) line(`Alloc "${id}" marked for migration`);
    return;
  }
  if (migrate && !before.migrate) line(`Alloc "${id}" marked for migration`);
  if (alloc.DesiredStatus !== "run" && before.desired === "run") line(`Alloc "${id}" draining`);
  if (alloc.ClientStatus !== before.client && alloc.DesiredStatus !== "run") {
    line(`Alloc "${id}" status ${before.client} -> ${alloc.ClientStatus}`);
  }
}
