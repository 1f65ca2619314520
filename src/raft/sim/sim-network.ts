/**
 * The simulator's network: messages in flight, partitions, and seeded faults (drop, duplicate,
 * delay and reorder — a message may be delivered any time after it was sent, in any order).
 */
import type { SeededRandom } from "../../common/rand.js";
import type { Message, RaftId } from "../core/types.js";

export interface NetworkFaults {
  /** Probability that a sent message is lost. */
  dropRate: number;
  /** Probability that a sent message is delivered twice. */
  duplicateRate: number;
}

export const NO_FAULTS: NetworkFaults = { dropRate: 0, duplicateRate: 0 };

export type DropReason = "partition" | "loss";

export class SimNetwork {
  /** In flight, in send order. */
  private inflight: Message[] = [];
  /** Directed links that are cut: "from>to". */
  private readonly cut = new Set<string>();
  faults: NetworkFaults = NO_FAULTS;

  constructor(
    private readonly rand: SeededRandom,
    private readonly onDrop: (m: Message, reason: DropReason) => void,
  ) {}

  get size(): number {
    return this.inflight.length;
  }

  isCut(from: RaftId, to: RaftId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  send(m: Message): void {
    if (this.isCut(m.from, m.to)) {
      this.onDrop(m, "partition");
      return;
    }
    if (this.faults.dropRate > 0 && this.rand.next() < this.faults.dropRate) {
      this.onDrop(m, "loss");
      return;
    }
    this.inflight.push(m);
    if (this.faults.duplicateRate > 0 && this.rand.next() < this.faults.duplicateRate) this.inflight.push(m);
  }

  /** Removes and returns the oldest message in flight (FIFO, for scripted scenarios). */
  takeFirst(): Message | undefined {
    return this.inflight.shift();
  }

  /** Removes and returns (in send order) the messages in flight addressed to `to`. */
  takeAddressedTo(to: RaftId): Message[] {
    const mine = this.inflight.filter((m) => m.to === to);
    this.inflight = this.inflight.filter((m) => m.to !== to);
    return mine;
  }

  /** Removes and returns a random message in flight (reordering and delay). A message whose link
   *  was cut after it was sent is dropped instead (the partition caught it on the wire). */
  takeRandom(): Message | undefined {
    if (this.inflight.length === 0) return undefined;
    const i = this.rand.int(this.inflight.length);
    const m = this.inflight[i] as Message;
    this.inflight[i] = this.inflight[this.inflight.length - 1] as Message;
    this.inflight.pop();
    return m;
  }

  /** Cuts the links between the groups (both directions); links inside a group stay. */
  partition(groups: readonly (readonly RaftId[])[]): void {
    this.cut.clear();
    for (const [gi, g] of groups.entries()) {
      for (const [hi, h] of groups.entries()) {
        if (gi === hi) continue;
        for (const a of g) for (const b of h) this.cut.add(`${a}>${b}`);
      }
    }
  }

  /** Cuts one direction only (asymmetric partition): `from` can no longer reach `to`. */
  cutLink(from: RaftId, to: RaftId): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Isolates `id` from everyone in `others`, both directions. */
  isolate(id: RaftId, others: readonly RaftId[]): void {
    for (const o of others) {
      if (o === id) continue;
      this.cut.add(`${id}>${o}`);
      this.cut.add(`${o}>${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Drops everything in flight to or from `id` (a crashed node's sockets). */
  dropFor(id: RaftId): void {
    const lost = this.inflight.filter((m) => m.to === id);
    this.inflight = this.inflight.filter((m) => m.to !== id);
    for (const m of lost) this.onDrop(m, "loss");
  }

  clear(): void {
    this.inflight = [];
  }
}
