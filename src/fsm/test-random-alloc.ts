import type { SeededRandom } from "../common/rand.js";
import { mockAlloc, mockId } from "./mock.js";
import type { Allocation, AllocClientStatus } from "./structs.js";

/** What a random allocation may be made of (each field picked uniformly from its list). */
export interface RandomAllocShape {
  /** The node most allocations land on (85%), and the one the rest go to. */
  readonly node: string;
  readonly otherNode: string;
  readonly jobs: readonly string[];
  /** Task groups (default: mockAlloc's). */
  readonly groups?: readonly string[];
  readonly statuses: readonly AllocClientStatus[];
  readonly cpu: readonly number[];
  readonly memoryMB: readonly number[];
  readonly diskMB: readonly number[];
  /** The value of each of the 0-2 shared ports. */
  readonly port: (rand: SeededRandom) => number;
}

/**
 * For property tests of resource accounting: allocations with varied sizes, desired and client
 * statuses and (possibly colliding) host ports, seeded. Returns a maker of allocation `id`.
 */
export function randomAllocFactory(rand: SeededRandom, shape: RandomAllocShape) {
  const pick = <T>(items: readonly T[]): T => items[rand.int(items.length)] as T;
  return (id: number, overrides: Partial<Allocation> = {}): Allocation =>
    mockAlloc({
      ID: mockId(id, 0xa),
      NodeID: rand.next() < 0.85 ? shape.node : shape.otherNode,
      JobID: pick(shape.jobs),
      ...(shape.groups === undefined ? {} : { TaskGroup: pick(shape.groups) }),
      DesiredStatus: rand.next() < 0.85 ? "run" : "stop",
      ClientStatus: pick(shape.statuses),
      AllocatedResources: {
        Tasks: {
          web: {
            Cpu: { CpuShares: pick(shape.cpu) },
            Memory: { MemoryMB: pick(shape.memoryMB), MemoryMaxMB: 0 },
            Networks: [],
          },
        },
        Shared: {
          DiskMB: pick(shape.diskMB),
          Networks: [],
          Ports: Array.from({ length: rand.int(3) }, (_, i) => ({
            Label: `p${i}`,
            Value: shape.port(rand),
            To: 0,
            HostIP: "",
          })),
        },
      },
      ...overrides,
    });
}
