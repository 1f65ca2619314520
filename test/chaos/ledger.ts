import { readFileSync } from "node:fs";

/**
 * The task ledger: every task the workload runs appends a line when it starts, every second while
 * it runs, and when it is asked to stop, to one file shared by all clients (they run on this
 * machine). From it, the harness knows when each task instance (one pid) was seen running and on
 * which client, independently of what the servers believe.
 *
 *   start|alive|stop <alloc name> <alloc id> <pid> <client> <unix ns>
 */
export function ledgerScript(ledger: string): string {
  // `sleep & wait` keeps the TERM trap prompt; the loop ends by itself once the run's directory
  // is gone, so a task orphaned by an aborted run does not live forever.
  const line = (kind: string) =>
    `echo "${kind} $NOMAD_ALLOC_NAME $NOMAD_ALLOC_ID $$ $CHAOS_NODE $(date +%s%N)" >> ${ledger}`;
  return [
    line("start"),
    `trap '${line("stop")}; exit 0' TERM INT`,
    `while [ -f ${ledger} ]; do sleep 1 & wait $!; ${line("alive")}; done`,
  ].join("\n");
}

export interface TaskInstance {
  allocName: string;
  allocId: string;
  pid: number;
  client: string;
  startNs: bigint;
  /** The last time the instance was seen running (its last alive or stop line). */
  lastSeenNs: bigint;
  stopped: boolean;
}

export function readLedger(path: string): TaskInstance[] {
  const instances = new Map<string, TaskInstance>();
  for (const raw of readFileSync(path, "utf8").split("\n")) {
    const parts = raw.trim().split(" ");
    // A line cut short by a kill -9 in the middle of its write is skipped.
    if (parts.length !== 6) continue;
    const [kind, allocName, allocId, pidText, client, nsText] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!/^\d+$/.test(nsText) || !/^\d+$/.test(pidText)) continue;
    const ns = BigInt(nsText);
    const key = `${allocId}/${pidText}`;
    let instance = instances.get(key);
    if (instance === undefined) {
      instance = {
        allocName,
        allocId,
        pid: Number(pidText),
        client,
        startNs: ns,
        lastSeenNs: ns,
        stopped: false,
      };
      instances.set(key, instance);
    }
    if (kind === "start" && ns < instance.startNs) instance.startNs = ns;
    if (ns > instance.lastSeenNs) instance.lastSeenNs = ns;
    if (kind === "stop") instance.stopped = true;
  }
  return [...instances.values()];
}

/**
 * Task instances that definitely ran at the same time under one alloc name: [start, lastSeen] of
 * both intersect, so each was seen running after the other had started. An overlap is a violation
 * when both are the same allocation (a task started twice: Drover's client re-attaches instead),
 * or when `bothWanted` says neither allocation was replaced or stopped by the servers (Nomad lets
 * a replacement start beside an allocation that is being stopped, or whose node was lost, as the
 * group's disconnect policy allows).
 */
export function overlappingTasks(
  instances: readonly TaskInstance[],
  bothWanted: (a: TaskInstance, b: TaskInstance) => boolean,
): string[] {
  const byName = new Map<string, TaskInstance[]>();
  for (const instance of instances) {
    const list = byName.get(instance.allocName) ?? [];
    list.push(instance);
    byName.set(instance.allocName, list);
  }
  const found: string[] = [];
  for (const [name, list] of byName) {
    list.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i] as TaskInstance;
        const b = list[j] as TaskInstance;
        if (b.startNs > a.lastSeenNs) continue;
        const same = a.allocId === b.allocId;
        if (!same && !bothWanted(a, b)) continue;
        found.push(
          `task ${name} ran twice at once: alloc ${a.allocId.slice(0, 8)} pid ${a.pid} on ${a.client} ` +
            `(seen until ${a.lastSeenNs}) and alloc ${b.allocId.slice(0, 8)} pid ${b.pid} on ${b.client} ` +
            `(started ${b.startNs})`,
        );
      }
    }
  }
  return found;
}
