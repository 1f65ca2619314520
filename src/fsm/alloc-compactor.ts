import type { AllocClientFields } from "./alloc-client-overlay.js";
import { deepFreeze, isDeepFrozen } from "./deep-freeze.js";
import { packedMetric } from "./packed-metric.js";
import type {
  AllocatedPortMapping,
  AllocatedResources,
  AllocatedTaskResources,
  Allocation,
  AllocClientStatus,
  AllocDesiredStatus,
  DesiredTransition,
  NetworkResource,
  Port,
} from "./structs.js";

/**
 * Compact in-memory form of stored allocations. A store holds up to millions of allocations, and
 * objects fresh from msgpack are wasteful: every alloc carries its own copies of the same
 * strings (job, node, eval ids), of the same task resources (identical for every alloc of a group
 * version), and of many empty `{}`/`[]`. The compactor rebuilds each stored alloc with one fixed
 * shape (one V8 hidden class), interns repeated strings, and shares identical small sub-objects —
 * frozen, since they now belong to many allocations.
 *
 * Placement metrics are stored packed (packed-metric.ts), whatever form they came in: the scheduler
 * packs them already; anything else (older entries, tests) is packed here.
 *
 * It only changes object identity and the metrics' form, never values: what any field reads, and
 * apply results, are the same with or without it. Its caches are bounded and may be dropped at
 * any time.
 */

const MAX_STRINGS = 200_000;
const MAX_SHARED = 50_000;
/** Distinct one-port lists kept for sharing, per kind (dropped all at once when full). */
const MAX_PORT_LISTS = 100_000;

// strAt() call sites: the fields whose value usually repeats from one allocation to the next.
const SITE_MODE = 5;
const SITE_DEVICE = 6;
const SITE_CIDR = 7;
const SITE_IP = 8;
const SITE_PORT_LABEL = 9;
const SITE_HOST_IP = 10;
const SITE_HOST_NETWORK = 11;
const SITES = 12;

const EMPTY_OBJECT: Readonly<Record<string, never>> = Object.freeze({});
// Typed as mutable so that it fits the structs' array fields; it is frozen, so writes still fail.
const EMPTY_ARRAY = Object.freeze([]) as unknown as never[];

export class AllocCompactor {
  private strings = new Map<string, string>();
  private lastTasks: Record<string, AllocatedTaskResources> | undefined;
  /**
   * The last frozen task map given to tasks() and what it shared it as: fast-decode.ts hands out
   * one frozen value for a run of allocations whose task resources are encoded alike.
   */
  private lastFrozenTasks: object | undefined;
  private shared = new Map<string, unknown>();
  private readonly portLists = new PortListCache<Port>();
  private readonly mappingLists = new PortListCache<AllocatedPortMapping>();
  private readonly lastStrings: string[] = Array.from({ length: SITES }, () => "");

  /**
   * The alloc rebuilt compactly (a new object; the input is not changed), with `stamp`'s index
   * and time fields applied in the same step (saves building the object twice).
   */
  compact(a: Allocation, stamp: Partial<Pick<Allocation, StampField>> = {}): Allocation {
    if (!hasAllocShape(a)) return { ...a, ...stamp };
    const out: Allocation = {
      ID: detach(a.ID),
      Namespace: this.strAt(0, a.Namespace),
      EvalID: this.strAt(1, a.EvalID),
      Name: detach(a.Name),
      NodeID: this.str(a.NodeID),
      NodeName: this.str(a.NodeName),
      JobID: this.strAt(2, a.JobID),
      JobVersion: a.JobVersion,
      TaskGroup: this.strAt(3, a.TaskGroup),
      AllocatedResources: this.resources(a.AllocatedResources),
      DesiredStatus: desiredStatus(a.DesiredStatus),
      DesiredDescription: this.str(a.DesiredDescription),
      DesiredTransition: this.transition(a.DesiredTransition),
      ClientStatus: clientStatus(a.ClientStatus),
      ClientDescription: this.str(a.ClientDescription),
      AllocStates: a.AllocStates.length === 0 ? EMPTY_ARRAY : a.AllocStates,
      TaskStates: isEmpty(a.TaskStates) ? EMPTY_OBJECT : a.TaskStates,
      DeploymentID: this.strAt(4, a.DeploymentID),
      DeploymentStatus: a.DeploymentStatus,
      RescheduleTracker: a.RescheduleTracker,
      NextAllocation: detach(a.NextAllocation),
      PreviousAllocation: detach(a.PreviousAllocation),
      FollowupEvalID: this.str(a.FollowupEvalID),
      PreemptedAllocations: a.PreemptedAllocations.length === 0 ? EMPTY_ARRAY : a.PreemptedAllocations,
      PreemptedByAllocation: detach(a.PreemptedByAllocation),
      Metrics: packedMetric(a.Metrics),
      CreateIndex: stamp.CreateIndex ?? a.CreateIndex,
      ModifyIndex: stamp.ModifyIndex ?? a.ModifyIndex,
      AllocModifyIndex: stamp.AllocModifyIndex ?? a.AllocModifyIndex,
      CreateTime: stamp.CreateTime ?? a.CreateTime,
      ModifyTime: stamp.ModifyTime ?? a.ModifyTime,
    };
    return out;
  }

  /**
   * The same compaction done in place, for an alloc the caller owns outright (decoded from an
   * entry's bytes): no second copy of every object is made, which halves the garbage of a plan.
   * `ownStrings`: its strings are its own and the repeated ones already interned (fast-decode.ts),
   * so they are kept as they are.
   */
  compactOwned(
    a: Allocation,
    stamp: Partial<Pick<Allocation, StampField>> = {},
    ownStrings = false,
  ): Allocation {
    if (!hasAllocShape(a)) return this.compact(a, stamp);
    const resources = a.AllocatedResources;
    if (fieldCount(resources) !== 2 || fieldCount(resources.Shared) !== 3) return this.compact(a, stamp);
    if (!ownStrings) {
      a.ID = detach(a.ID);
      a.Name = detach(a.Name);
      a.NextAllocation = detach(a.NextAllocation);
      a.PreviousAllocation = detach(a.PreviousAllocation);
      a.PreemptedByAllocation = detach(a.PreemptedByAllocation);
      a.Namespace = this.strAt(0, a.Namespace);
      a.EvalID = this.strAt(1, a.EvalID);
      a.NodeID = this.str(a.NodeID);
      a.NodeName = this.str(a.NodeName);
      a.JobID = this.strAt(2, a.JobID);
      a.TaskGroup = this.strAt(3, a.TaskGroup);
      a.DesiredDescription = this.str(a.DesiredDescription);
      a.ClientDescription = this.str(a.ClientDescription);
      a.DeploymentID = this.strAt(4, a.DeploymentID);
      a.FollowupEvalID = this.str(a.FollowupEvalID);
    }
    resources.Tasks = this.tasks(resources.Tasks);
    const shared = resources.Shared;
    if (shared.Networks.length === 0) shared.Networks = EMPTY_ARRAY;
    else for (const n of shared.Networks) this.networkInPlace(n, ownStrings);
    if (shared.Ports.length === 0) shared.Ports = EMPTY_ARRAY;
    else {
      if (!ownStrings) {
        for (const p of shared.Ports) {
          p.Label = this.strAt(SITE_PORT_LABEL, p.Label);
          p.HostIP = this.strAt(SITE_HOST_IP, p.HostIP);
        }
      }
      shared.Ports = this.sharedMappings(shared.Ports) ?? shared.Ports;
    }
    a.DesiredStatus = desiredStatus(a.DesiredStatus);
    a.ClientStatus = clientStatus(a.ClientStatus);
    a.DesiredTransition = this.transition(a.DesiredTransition);
    if (a.AllocStates.length === 0) a.AllocStates = EMPTY_ARRAY;
    if (isEmpty(a.TaskStates)) a.TaskStates = EMPTY_OBJECT;
    if (a.PreemptedAllocations.length === 0) a.PreemptedAllocations = EMPTY_ARRAY;
    a.Metrics = packedMetric(a.Metrics);
    if (stamp.CreateIndex !== undefined) a.CreateIndex = stamp.CreateIndex;
    if (stamp.ModifyIndex !== undefined) a.ModifyIndex = stamp.ModifyIndex;
    if (stamp.AllocModifyIndex !== undefined) a.AllocModifyIndex = stamp.AllocModifyIndex;
    if (stamp.CreateTime !== undefined) a.CreateTime = stamp.CreateTime;
    if (stamp.ModifyTime !== undefined) a.ModifyTime = stamp.ModifyTime;
    return a;
  }

  /**
   * Writes a stored overlay's fields (alloc-client-overlay.ts) into `a`, an allocation the caller
   * owns (just loaded), compacted as compact() compacts them.
   */
  setClientFields(a: Allocation, fields: AllocClientFields): void {
    a.ClientStatus = clientStatus(fields.ClientStatus);
    a.ClientDescription = this.str(fields.ClientDescription);
    a.TaskStates = isEmpty(fields.TaskStates) ? EMPTY_OBJECT : fields.TaskStates;
    a.DeploymentStatus = fields.DeploymentStatus;
    a.ModifyIndex = fields.ModifyIndex;
    a.ModifyTime = fields.ModifyTime;
  }

  /**
   * The shared copy of per-task resources. The allocations of one plan mostly come from one job
   * version's group, so the last shared value is compared first: building the lookup key cost
   * ~400 bytes of garbage per allocation (allocation sampling).
   */
  private tasks(tasks: Record<string, AllocatedTaskResources>): Record<string, AllocatedTaskResources> {
    const last = this.lastTasks;
    if (tasks === this.lastFrozenTasks && last !== undefined) return last;
    const shared =
      last !== undefined && samePlainTasks(tasks, last) ? last : this.share(tasks, taskResourcesKey(tasks));
    this.lastTasks = shared;
    // A frozen map cannot change later, so the same object shares as the same value next time.
    this.lastFrozenTasks = isDeepFrozen(tasks) ? tasks : undefined;
    return shared;
  }

  private networkInPlace(n: NetworkResource, ownStrings: boolean): void {
    if (fieldCount(n) !== 7) return;
    if (!ownStrings) {
      n.Mode = this.strAt(SITE_MODE, n.Mode);
      n.Device = this.strAt(SITE_DEVICE, n.Device);
      n.CIDR = this.strAt(SITE_CIDR, n.CIDR);
      n.IP = this.strAt(SITE_IP, n.IP);
    }
    n.ReservedPorts = this.portsInPlace(n.ReservedPorts, ownStrings);
    n.DynamicPorts = this.portsInPlace(n.DynamicPorts, ownStrings);
  }

  private portsInPlace(ports: Port[], ownStrings: boolean): Port[] {
    if (ports.length === 0) return EMPTY_ARRAY as Port[];
    if (!ownStrings) {
      for (const p of ports) {
        if (fieldCount(p) !== 4) continue;
        p.Label = this.strAt(SITE_PORT_LABEL, p.Label);
        p.HostNetwork = this.strAt(SITE_HOST_NETWORK, p.HostNetwork);
      }
    }
    return this.sharedPorts(ports) ?? ports;
  }

  /**
   * The shared, frozen copy of a one-port list of the exact known shape (fields and their
   * order), or undefined for any other list. Dynamic ports are drawn from a fixed range
   * (20000–32000), so across a big cluster the same label/value/target lists recur many times:
   * the entry and its array are ~110 bytes per allocation otherwise. Mappings carry the host's IP
   * and recur only per node. The list passed in is frozen and kept on a miss: the caller must own
   * it (compact() passes copies). Lookups go by the (interned) strings and one integer, since
   * building a string key per list cost more than the rest of the compaction.
   */
  private sharedPorts(ports: Port[]): Port[] | undefined {
    const p = ports[0];
    if (ports.length !== 1 || p === undefined || !hasExactKeys(p, PORT_KEYS)) return undefined;
    if (typeof p.Label !== "string" || typeof p.HostNetwork !== "string") return undefined;
    if (!isPortNumber(p.Value) || !isPortNumber(p.To)) return undefined;
    return this.portLists.intern(p.Label, p.HostNetwork, (p.Value << 16) | p.To, ports);
  }

  private sharedMappings(ports: AllocatedPortMapping[]): AllocatedPortMapping[] | undefined {
    const p = ports[0];
    if (ports.length !== 1 || p === undefined || !hasExactKeys(p, MAPPING_KEYS)) return undefined;
    if (typeof p.Label !== "string" || typeof p.HostIP !== "string") return undefined;
    if (!isPortNumber(p.Value) || !isPortNumber(p.To)) return undefined;
    return this.mappingLists.intern(p.Label, p.HostIP, (p.Value << 16) | p.To, ports);
  }

  private resources(r: AllocatedResources): AllocatedResources {
    if (fieldCount(r) !== 2 || fieldCount(r.Shared) !== 3) return structuredClone(r);
    return {
      // Identical for every alloc of one job version's group: share one copy.
      Tasks: this.tasks(r.Tasks),
      Shared: {
        DiskMB: r.Shared.DiskMB,
        Networks:
          r.Shared.Networks.length === 0 ? EMPTY_ARRAY : r.Shared.Networks.map((n) => this.network(n)),
        Ports: r.Shared.Ports.length === 0 ? EMPTY_ARRAY : this.mappings(r.Shared.Ports),
      },
    };
  }

  private mappings(ports: AllocatedPortMapping[]): AllocatedPortMapping[] {
    const copy = ports.map((p) =>
      fieldCount(p) === 4
        ? {
            Label: this.strAt(SITE_PORT_LABEL, p.Label),
            Value: p.Value,
            To: p.To,
            HostIP: this.strAt(SITE_HOST_IP, p.HostIP),
          }
        : structuredClone(p),
    );
    return this.sharedMappings(copy) ?? copy;
  }

  private network(n: NetworkResource): NetworkResource {
    if (fieldCount(n) !== 7) return structuredClone(n);
    return {
      Mode: this.strAt(SITE_MODE, n.Mode),
      Device: this.strAt(SITE_DEVICE, n.Device),
      CIDR: this.strAt(SITE_CIDR, n.CIDR),
      IP: this.strAt(SITE_IP, n.IP),
      MBits: n.MBits,
      ReservedPorts: this.ports(n.ReservedPorts),
      DynamicPorts: this.ports(n.DynamicPorts),
    };
  }

  private ports(ports: Port[]): Port[] {
    if (ports.length === 0) return EMPTY_ARRAY as Port[];
    if (ports.some((p) => fieldCount(p) !== 4)) return structuredClone(ports);
    const copy = ports.map((p) => ({
      Label: this.strAt(SITE_PORT_LABEL, p.Label),
      Value: p.Value,
      To: p.To,
      HostNetwork: this.strAt(SITE_HOST_NETWORK, p.HostNetwork),
    }));
    return this.sharedPorts(copy) ?? copy;
  }

  /**
   * `str` with a one-entry cache per call site: the allocations of one plan share their job,
   * eval, group and namespace, and comparing with the last string beats hashing a fresh one.
   */
  private strAt(site: number, s: string): string {
    const last = this.lastStrings[site];
    if (last === s) return last;
    const interned = this.str(s);
    this.lastStrings[site] = interned;
    return interned;
  }

  private str(s: string): string {
    if (s.length === 0) return "";
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size >= MAX_STRINGS) this.strings = new Map();
    const own = detach(s);
    this.strings.set(own, own);
    return own;
  }

  private transition(t: DesiredTransition): DesiredTransition {
    const index = (t.Migrate ? 1 : 0) | (t.Reschedule ? 2 : 0) | (t.ForceReschedule ? 4 : 0);
    // Exactly the three known fields: anything else is kept as it came.
    return fieldCount(t) === 3 ? (TRANSITIONS[index] as DesiredTransition) : t;
  }

  /** One frozen copy per distinct small value (by its JSON text, unless a cheaper key is given). */
  private share<T extends object>(value: T, cheapKey?: string): T {
    if (isEmpty(value)) return (Array.isArray(value) ? EMPTY_ARRAY : EMPTY_OBJECT) as T;
    const key = cheapKey ?? JSON.stringify(value);
    const known = this.shared.get(key);
    if (known !== undefined) return known as T;
    if (this.shared.size >= MAX_SHARED) this.shared = new Map();
    // Freeze a copy: the caller may still own (and change) the object it passed in.
    const frozen = deepFreeze(structuredClone(value));
    this.shared.set(key, frozen);
    return frozen;
  }
}

/**
 * A copy of `s` that shares no memory with the decoded entry it came from. msgpackr's native
 * decoder extracts a plan's strings as a few large strings (several KiB each) and hands out
 * slices of them; V8 keeps a slice as a pointer into its parent, so one stored allocation id kept
 * a whole parent alive: 1,686 parents of 5–6 KiB for 20,000 allocations, ~500 B per allocation
 * (heap snapshot). Strings shorter than 13 characters are never slices in V8 (it copies them).
 * The concatenation is a cons string that reading a character flattens into one new sequential
 * string; the garbage collector then drops the cons wrapper and the slice.
 */
function detach(s: string): string {
  if (s.length < 13) return s;
  const copy = s.slice(0, 1) + s.slice(1);
  copy.charCodeAt(0);
  return copy;
}

/**
 * Statuses as the program's own string constants: decoded statuses are fresh strings, 24 bytes
 * each, twice per allocation (heap snapshot). Unknown values are kept as they came.
 */
function desiredStatus(s: AllocDesiredStatus): AllocDesiredStatus {
  switch (s) {
    case "run":
      return "run";
    case "stop":
      return "stop";
    case "evict":
      return "evict";
    default:
      return s;
  }
}

function clientStatus(s: AllocClientStatus): AllocClientStatus {
  switch (s) {
    case "pending":
      return "pending";
    case "running":
      return "running";
    case "complete":
      return "complete";
    case "failed":
      return "failed";
    case "lost":
      return "lost";
    case "unknown":
      return "unknown";
    default:
      return s;
  }
}

/** The number of fields of an Allocation; an alloc with other fields is stored as it came. */
const ALLOC_FIELDS = 31;

function hasAllocShape(a: Allocation): boolean {
  return fieldCount(a) === ALLOC_FIELDS;
}

function fieldCount(value: object): number {
  let count = 0;
  for (const _ in value) count += 1;
  return count;
}

/**
 * Frozen one-port lists by label, host (network name or IP) and `Value << 16 | To` (a bijection
 * of two 16-bit ports, so always a small integer key). The last label/host pair is remembered:
 * a plan's ports mostly share both.
 */
class PortListCache<T extends object> {
  private byLabel = new Map<string, Map<string, Map<number, T[]>>>();
  private size = 0;
  private lastLabel: string | undefined;
  private lastHost: string | undefined;
  private last: Map<number, T[]> | undefined;

  /** The list kept for this key, or `list` itself (frozen, entry and array) as the kept one. */
  intern(label: string, host: string, ports: number, list: T[]): T[] {
    let byPorts = label === this.lastLabel && host === this.lastHost ? this.last : undefined;
    if (byPorts === undefined) {
      let byHost = this.byLabel.get(label);
      if (byHost === undefined) {
        byHost = new Map();
        this.byLabel.set(label, byHost);
      }
      byPorts = byHost.get(host);
      if (byPorts === undefined) {
        byPorts = new Map();
        byHost.set(host, byPorts);
      }
      this.lastLabel = label;
      this.lastHost = host;
      this.last = byPorts;
    }
    const known = byPorts.get(ports);
    if (known !== undefined) return known;
    if (this.size >= MAX_PORT_LISTS) {
      this.byLabel = new Map();
      this.size = 0;
      this.lastLabel = undefined;
      this.lastHost = undefined;
      this.last = undefined;
      return this.intern(label, host, ports, list);
    }
    for (const entry of list) Object.freeze(entry);
    Object.freeze(list);
    byPorts.set(ports, list);
    this.size += 1;
    return list;
  }
}

const PORT_KEYS = ["Label", "Value", "To", "HostNetwork"] as const;
const MAPPING_KEYS = ["Label", "Value", "To", "HostIP"] as const;

/** Whether `value`'s own enumerable keys are exactly `keys`, in that order. */
function hasExactKeys(value: object, keys: readonly string[]): boolean {
  let i = 0;
  for (const key in value) {
    if (key !== keys[i]) return false;
    i += 1;
  }
  return i === keys.length;
}

/** A port number as every encoding writes it the same way (no -0, no fractions). */
function isPortNumber(value: unknown): value is number {
  return (
    typeof value === "number" &&
    Number.isInteger(value) &&
    value >= 0 &&
    value <= 0xffff &&
    !Object.is(value, -0)
  );
}

type StampField = "CreateIndex" | "ModifyIndex" | "AllocModifyIndex" | "CreateTime" | "ModifyTime";

const TRANSITIONS: readonly DesiredTransition[] = Array.from({ length: 8 }, (_, i) =>
  Object.freeze({ Migrate: (i & 1) !== 0, Reschedule: (i & 2) !== 0, ForceReschedule: (i & 4) !== 0 }),
);

/** A key for per-task resources, cheaper than JSON for the common shape (no task networks). */
function taskResourcesKey(tasks: Record<string, AllocatedTaskResources>): string | undefined {
  let key = "";
  for (const name in tasks) {
    const t = tasks[name] as AllocatedTaskResources;
    const plain =
      t.Networks.length === 0 && fieldCount(t) === 3 && fieldCount(t.Cpu) === 1 && fieldCount(t.Memory) === 2;
    if (!plain) return undefined;
    key += `${name}\u0000${t.Cpu.CpuShares}\u0000${t.Memory.MemoryMB}\u0000${t.Memory.MemoryMaxMB}\u0000`;
  }
  return `T${key}`;
}

/**
 * Equal per-task resources, both of the plain shape taskResourcesKey() keys (no task networks),
 * with the task names in the same order (the order is encoded: snapshots must not change).
 */
function samePlainTasks(
  a: Record<string, AllocatedTaskResources>,
  b: Record<string, AllocatedTaskResources>,
): boolean {
  let count = 0;
  for (const name in a) {
    if (nameAt(b, count) !== name) return false;
    const x = a[name] as AllocatedTaskResources;
    const y = b[name] as AllocatedTaskResources;
    if (!isPlainTask(x) || !isPlainTask(y)) return false;
    if (
      x.Cpu.CpuShares !== y.Cpu.CpuShares ||
      x.Memory.MemoryMB !== y.Memory.MemoryMB ||
      x.Memory.MemoryMaxMB !== y.Memory.MemoryMaxMB
    )
      return false;
    count += 1;
  }
  return count === fieldCount(b);
}

/** The `index`th own key in iteration order (no array built: tasks are few). */
function nameAt(value: object, index: number): string | undefined {
  let i = 0;
  for (const name in value) {
    if (i === index) return name;
    i += 1;
  }
  return undefined;
}

function isPlainTask(t: AllocatedTaskResources): boolean {
  return (
    t.Networks.length === 0 && fieldCount(t) === 3 && fieldCount(t.Cpu) === 1 && fieldCount(t.Memory) === 2
  );
}

/** Equal flat maps: the same keys in the same order (the order is encoded), the same values. */

function isEmpty(value: object): boolean {
  if (Array.isArray(value)) return value.length === 0;
  for (const _ in value) return false;
  return true;
}

/** The process-wide compactor: a cache of immutable values, shared by every store. */
export const allocCompactor = new AllocCompactor();
