import { Packr } from "msgpackr";
import { emptyAllocMetric } from "./alloc-metric.js";
import { mockAlloc, mockDeployment, mockEval, mockJob, mockNode } from "./mock.js";

/**
 * The encoding of records in LevelDB: msgpack where the commonest struct shapes are msgpackr
 * "shared structures" fixed in code, so their field names are not repeated in every stored
 * record (an allocation shrinks by about half, and decoding takes msgpackr's generated-reader fast
 * path). Objects of any other shape (or key order) are encoded as ordinary maps.
 *
 * The table below is part of the on-disk format: only ever APPEND to it (and bump nothing else);
 * removing or reordering an entry would misread stored records. The shared table never grows at
 * run time (shouldShareStructure is false), so no process ever depends on state it did not save.
 */
function keysOf(value: object): string[] {
  return Object.keys(value);
}

const alloc = mockAlloc({
  DeploymentStatus: { Healthy: null, Timestamp: 0, Canary: false, ModifyIndex: 0 },
  Metrics: emptyAllocMetric(),
});
const node = mockNode();

const STATIC_STRUCTURES: string[][] = [
  keysOf(alloc),
  keysOf(alloc.AllocatedResources),
  keysOf(alloc.AllocatedResources.Shared),
  ["Cpu", "Memory", "Networks"],
  ["CpuShares"],
  ["MemoryMB", "MemoryMaxMB"],
  ["Mode", "Device", "CIDR", "IP", "MBits", "ReservedPorts", "DynamicPorts"],
  ["Label", "Value", "To", "HostNetwork"],
  ["Label", "Value", "To", "HostIP"],
  keysOf(alloc.DesiredTransition),
  keysOf(alloc.DeploymentStatus ?? {}),
  keysOf(alloc.Metrics ?? {}),
  ["NodeID", "Scores", "NormScore"],
  ["State", "Failed", "Restarts", "LastRestart", "StartedAt", "FinishedAt", "Events"],
  ["Type", "Time", "Message", "DisplayMessage", "ExitCode", "Signal"],
  keysOf(mockEval()),
  keysOf(mockJob()),
  keysOf(node),
  keysOf(mockDeployment()),
  ["Queued", "Complete", "Failed", "Running", "Starting", "Lost", "Unknown"],
  ["JobID", "Namespace", "Summary", "Children", "CreateIndex", "ModifyIndex"],
];

export class RecordCodec {
  private readonly packr = new Packr({
    structures: STATIC_STRUCTURES.map((keys) => [...keys]),
    maxSharedStructures: STATIC_STRUCTURES.length,
    shouldShareStructure: () => false,
    mapsAsObjects: true,
    moreTypes: false,
  });

  /** An encoded copy the caller may keep (msgpackr reuses its output buffer between calls). */
  pack(value: unknown): Uint8Array {
    return this.packr.pack(value).slice();
  }

  unpack(bytes: Uint8Array): unknown {
    return this.packr.unpack(bytes);
  }
}
