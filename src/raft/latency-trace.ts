import type { Logger } from "../common/log.js";
import type { Entry, LogIndex } from "./core/types.js";

/**
 * Where one write's time goes, for tuning the write path (`DROVER_RAFT_TRACE=1` on an agent).
 *
 * On the leader every proposal collects a timestamp per stage and is logged once resolved:
 * propose() → handed to the core → appends sent → own fsync done → first follower ack → seen
 * committed → FSM apply starts → resolved. On a follower every Ready that persists entries is
 * logged: first append received → Ready taken → fsync done → acks sent.
 *
 * Off by default and then costs one `undefined` check per call site; never used for decisions.
 */

const LEADER_STAGES = ["handed", "sent", "durable", "acked", "committed", "applying", "resolved"] as const;
export type LeaderStage = (typeof LEADER_STAGES)[number];

export class LatencyTrace {
  /** index → [proposedAt, stage times…] in ms (hrtime), for our own proposals still in flight. */
  private readonly byIndex = new Map<LogIndex, number[]>();
  /** Proposals handed to the core, waiting to learn their index from the next Ready. */
  private handed: number[][] = [];
  /** When the first append of the follower's next Ready arrived. */
  private firstReceivedAt: number | undefined;

  private constructor(private readonly log: Logger) {}

  static fromEnv(log: Logger): LatencyTrace | undefined {
    const flag = process.env["DROVER_RAFT_TRACE"];
    return flag === undefined || flag === "" || flag === "0" ? undefined : new LatencyTrace(log);
  }

  static now(): number {
    return Number(process.hrtime.bigint()) / 1e6;
  }

  /** Proposals (their propose() times) handed to the core in one batch. */
  onHanded(proposedAt: readonly number[]): void {
    const t = LatencyTrace.now();
    for (const p of proposedAt) this.handed.push([p, t]);
  }

  /** The leader's Ready gave `entries` their indexes (in the order they were handed over). */
  onLeaderEntries(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.type !== "normal" || entry.data.byteLength === 0) continue;
      const marks = this.handed.shift();
      if (marks !== undefined) this.byIndex.set(entry.index, marks);
    }
    this.handed = [];
  }

  mark(stage: LeaderStage, from: LogIndex, to: LogIndex): void {
    if (this.byIndex.size === 0) return;
    const t = LatencyTrace.now();
    const slot = 1 + LEADER_STAGES.indexOf(stage);
    for (let i = from; i <= to; i++) {
      const marks = this.byIndex.get(i);
      if (marks !== undefined && marks[slot] === undefined) marks[slot] = t;
    }
  }

  /** A follower acknowledged up to `index`. */
  onAck(index: LogIndex): void {
    if (this.byIndex.size === 0) return;
    const first = Math.min(...this.byIndex.keys());
    this.mark("acked", first, index);
  }

  onResolved(index: LogIndex): void {
    const marks = this.byIndex.get(index);
    if (marks === undefined) return;
    this.byIndex.delete(index);
    marks[1 + LEADER_STAGES.indexOf("resolved")] = LatencyTrace.now();
    const start = marks[0] as number;
    const stages: Record<string, number> = {};
    let previous = start;
    for (const [i, name] of LEADER_STAGES.entries()) {
      const t = marks[i + 1];
      if (t === undefined) continue;
      stages[name] = Math.round((t - previous) * 1000) / 1000;
      previous = t;
    }
    this.log.info({ trace: "leader", index, totalMs: Math.round((previous - start) * 1000) / 1000, stages });
  }

  onFollowerReceived(): void {
    this.firstReceivedAt ??= LatencyTrace.now();
  }

  /** When the first append that the Ready being taken now carries arrived (and forget it). */
  takeFollowerReceived(): number | undefined {
    const received = this.firstReceivedAt;
    this.firstReceivedAt = undefined;
    return received;
  }

  /** A follower Ready with `entries` (first append received at `receivedAt`) was taken at
   *  `takenAt`, made durable at `durableAt`, and its acks were sent now. */
  onFollowerPersisted(
    entries: readonly Entry[],
    receivedAt: number | undefined,
    takenAt: number,
    durableAt: number,
  ): void {
    if (receivedAt === undefined || entries.length === 0) return;
    const received = receivedAt;
    const sent = LatencyTrace.now();
    const round = (x: number): number => Math.round(x * 1000) / 1000;
    this.log.info({
      trace: "follower",
      first: entries[0]?.index,
      count: entries.length,
      toReadyMs: round(takenAt - received),
      fsyncMs: round(durableAt - takenAt),
      toSendMs: round(sent - durableAt),
    });
  }
}
