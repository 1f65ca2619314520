import { createHash } from "node:crypto";
import { decodeSnapshotFile } from "../../src/fsm/snapshot-file.js";
import { tablesFromSnapshot } from "../../src/fsm/snapshot-stream.js";
import type { Allocation, Node } from "../../src/fsm/structs.js";
import type { Tables } from "../../src/fsm/tables.js";
import type { HistoryEvent } from "./history.js";

/**
 * One server's committed state as its own operator snapshot holds it (`GET /v1/operator/snapshot
 * ?stale=true`: the server's FSM at its applied index, without asking the leader). The hash covers
 * the FSM stream only (the file header names the server and its term, which differ by design);
 * the stream is canonical, so equal states at equal indexes have equal hashes.
 */
export interface ServerState {
  server: string;
  index: number;
  hash: string;
  tables: Tables;
}

export async function fetchState(
  server: string,
  url: string,
  timeoutMs: number,
): Promise<ServerState | undefined> {
  let bytes: Uint8Array;
  try {
    const res = await fetch(`${url}/v1/operator/snapshot?stale=true`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status !== 200) return undefined;
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch {
    return undefined;
  }
  const { header, fsm } = decodeSnapshotFile(bytes);
  const tables = await tablesFromSnapshot(
    (async function* () {
      yield fsm;
    })(),
  );
  return { server, index: header.Index, hash: createHash("sha256").update(fsm).digest("hex"), tables };
}

/** Remembers every (index → hash) seen; two servers with different states at one index is a violation. */
export class StateHashes {
  private readonly byIndex = new Map<number, { server: string; hash: string }>();
  compared = 0;

  add(state: ServerState): string | undefined {
    const seen = this.byIndex.get(state.index);
    if (seen === undefined) {
      this.byIndex.set(state.index, { server: state.server, hash: state.hash });
      return undefined;
    }
    this.compared++;
    if (seen.hash === state.hash) return undefined;
    return (
      `FSM divergence at applied index ${state.index}: ${seen.server} has ${seen.hash.slice(0, 12)}, ` +
      `${state.server} has ${state.hash.slice(0, 12)}`
    );
  }
}

const nonTerminal = (a: Allocation): boolean =>
  a.DesiredStatus === "run" &&
  (a.ClientStatus === "pending" || a.ClientStatus === "running" || a.ClientStatus === "unknown");

/**
 * Over-commit and duplicate allocations in one committed state: every node's non-terminal
 * allocations fit its resources (cpu, memory, disk, less what is reserved) with no host port used
 * twice, and no alloc name has two non-terminal allocations. Written apart from the scheduler's
 * own fit code on purpose: a bug there must not hide here.
 */
export function checkCommittedState(state: ServerState): string[] {
  const violations: string[] = [];
  const where = `${state.server}@${state.index}`;
  const byNode = new Map<string, Allocation[]>();
  const byName = new Map<string, Allocation[]>();
  for (const alloc of state.tables.allocs.values()) {
    if (!nonTerminal(alloc)) continue;
    const onNode = byNode.get(alloc.NodeID) ?? [];
    onNode.push(alloc);
    byNode.set(alloc.NodeID, onNode);
    const key = `${alloc.Namespace}/${alloc.Name}`;
    const named = byName.get(key) ?? [];
    named.push(alloc);
    byName.set(key, named);
  }
  for (const [name, allocs] of byName) {
    if (allocs.length > 1) {
      violations.push(
        `${where}: ${allocs.length} non-terminal allocations named ${name}: ${allocs.map((a) => a.ID.slice(0, 8)).join(", ")}`,
      );
    }
  }
  for (const [nodeId, allocs] of byNode) {
    const node = state.tables.nodes.get(nodeId) as Node | undefined;
    if (node === undefined) {
      violations.push(`${where}: ${allocs.length} non-terminal allocations on unknown node ${nodeId}`);
      continue;
    }
    let cpu = 0;
    let memory = 0;
    let disk = 0;
    const ports = new Map<number, string>();
    for (const alloc of allocs) {
      const resources = alloc.AllocatedResources;
      for (const task of Object.values(resources.Tasks)) {
        cpu += task.Cpu.CpuShares;
        memory += task.Memory.MemoryMB;
        for (const network of task.Networks) {
          for (const port of [...network.ReservedPorts, ...network.DynamicPorts]) {
            const other = ports.get(port.Value);
            if (other !== undefined && other !== alloc.ID)
              violations.push(
                `${where}: port ${port.Value} on ${node.Name} given to ${other.slice(0, 8)} and ${alloc.ID.slice(0, 8)}`,
              );
            ports.set(port.Value, alloc.ID);
          }
        }
      }
      disk += resources.Shared.DiskMB;
      for (const port of resources.Shared.Ports) {
        const other = ports.get(port.Value);
        if (other !== undefined && other !== alloc.ID)
          violations.push(
            `${where}: port ${port.Value} on ${node.Name} given to ${other.slice(0, 8)} and ${alloc.ID.slice(0, 8)}`,
          );
        ports.set(port.Value, alloc.ID);
      }
    }
    const have = node.NodeResources;
    const reserved = node.ReservedResources;
    const limits: Array<[string, number, number]> = [
      ["cpu", cpu, have.Cpu.CpuShares - reserved.Cpu.CpuShares],
      ["memory", memory, have.Memory.MemoryMB - reserved.Memory.MemoryMB],
      ["disk", disk, have.Disk.DiskMB - reserved.Disk.DiskMB],
    ];
    for (const [what, used, available] of limits) {
      if (used > available)
        violations.push(
          `${where}: node ${node.Name} over-committed on ${what}: ${used} > ${available} (${allocs.length} allocs)`,
        );
    }
  }
  return violations;
}

/**
 * No acknowledged variable write lost: the value each key holds at the end was written by an
 * operation that did not fail, and no acknowledged write, CAS or delete started after that value's
 * write was acknowledged (the later one must have replaced it). A key read as absent at the end
 * had an acknowledged write only if some delete could have come after it.
 */
export function lostWrites(
  history: readonly HistoryEvent[],
  finals: ReadonlyMap<string, string | null>,
): string[] {
  interface Mutation {
    f: "write" | "cas" | "delete";
    value: string | null;
    invoke: number;
    complete: number | undefined;
    type: string;
  }
  const pending = new Map<number, { op: HistoryEvent["op"]; time: number }>();
  const byKey = new Map<string, Mutation[]>();
  for (const event of history) {
    if (event.type === "invoke") {
      pending.set(event.process, { op: event.op, time: event.time });
      continue;
    }
    const started = pending.get(event.process);
    pending.delete(event.process);
    if (started === undefined || started.op.f === "read") continue;
    const list = byKey.get(started.op.key) ?? [];
    list.push({
      f: started.op.f,
      value: started.op.f === "delete" ? null : started.op.value,
      invoke: started.time,
      complete: event.type === "ok" ? event.time : undefined,
      type: event.type,
    });
    byKey.set(started.op.key, list);
  }
  for (const started of pending.values()) {
    if (started.op.f === "read") continue;
    const list = byKey.get(started.op.key) ?? [];
    list.push({
      f: started.op.f,
      value: started.op.f === "delete" ? null : started.op.value,
      invoke: started.time,
      complete: undefined,
      type: "info",
    });
    byKey.set(started.op.key, list);
  }
  const lost: string[] = [];
  for (const [key, final] of finals) {
    const mutations = byKey.get(key) ?? [];
    const acked = mutations.filter((m) => m.type === "ok");
    if (final === null) {
      for (const w of acked) {
        if (w.f === "delete") continue;
        const deletedAfter = mutations.some(
          (d) => d.f === "delete" && d.type !== "fail" && (d.complete ?? Infinity) > w.invoke,
        );
        if (!deletedAfter)
          lost.push(`${key}: acknowledged ${w.f} of ${w.value} lost (the key is absent at the end)`);
      }
      continue;
    }
    const writer = mutations.find((m) => m.value === final);
    if (writer === undefined || writer.type === "fail") {
      lost.push(`${key}: holds ${final} at the end, which no successful or unknown write wrote`);
      continue;
    }
    if (writer.complete === undefined) continue;
    const writerDone = writer.complete;
    for (const later of acked) {
      if (later !== writer && later.invoke > writerDone)
        lost.push(
          `${key}: acknowledged ${later.f}${later.value === null ? "" : ` of ${later.value}`} lost: ${final} (acknowledged before it began) is still there`,
        );
    }
  }
  return lost;
}
