/**
 * A server's Raft snapshots, taken and installed (the files themselves are snapshot-store.ts; the
 * rule for when to take one is snapshot-policy.ts).
 *
 * Taking: decided and started inside the apply loop (the state machine hands out an immutable view
 * at the applied index), while the bytes are streamed to disk, paced, and the log compacted in the
 * background, so applying goes on meanwhile. At most one is written at a time.
 * Installing: a snapshot file (received from the leader, or found newer than the state machine at
 * start) replaces the state machine's state and the stored membership (the addresses travel in
 * the file's header frame); older files are pruned.
 */

import { assert } from "../common/assert.js";
import type { Logger } from "../common/log.js";
import type { LogIndex, SnapshotMetadata } from "./core/types.js";
import type { LevelDbLogStore, Membership } from "./leveldb-log-store.js";
import type { RaftMetrics } from "./raft-metrics.js";
import { frameSnapshot, unframeSnapshot } from "./snapshot-frame.js";
import { nextSnapshotCheck, type SnapshotPolicyOptions, snapshotDue } from "./snapshot-policy.js";
import type { SnapshotRef, SnapshotStore } from "./snapshot-store.js";
import type { StateMachine } from "./state-machine.js";

/**
 * Share of one core a background snapshot may use: after producing each chunk, its writer rests
 * for the rest of the share (see paced). Producing a snapshot is CPU-bound (the state machine
 * packs its whole state), and every server reaches the same threshold at about the same index,
 * so unpaced snapshots of a ~35 MB state starved the write path on a 2-core machine: p99 at 64
 * outstanding writes went from ~25 ms to 70-130 ms for the length of each snapshot.
 */
const SNAPSHOT_CPU_SHARE = 0.25;
/** A single rest is capped (the first chunk also waits for the state machine's own disk). */
const SNAPSHOT_MAX_REST_MS = 50;

/** `chunks`, produced at no more than SNAPSHOT_CPU_SHARE of a core on average. */
async function* paced(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  for (;;) {
    const startedAt = performance.now();
    const next = await iterator.next();
    if (next.done === true) return;
    const busyMs = performance.now() - startedAt;
    yield next.value;
    const restMs = Math.min(SNAPSHOT_MAX_REST_MS, busyMs * (1 / SNAPSHOT_CPU_SHARE - 1));
    if (restMs >= 1) await new Promise((resolve) => setTimeout(resolve, restMs));
  }
}

/** What the snapshots need from the driver around them. */
export interface SnapshotsHost {
  readonly store: LevelDbLogStore;
  readonly files: SnapshotStore;
  readonly stateMachine: StateMachine;
  readonly setPeer: (id: string, address: string) => void;
  readonly log: Logger;
  readonly metrics: RaftMetrics | undefined;
  readonly policy: SnapshotPolicyOptions;
  /** Entries kept behind a snapshot for slow followers. */
  readonly trailingLogs: number;
  /** Orders writes to the log store (one persist at a time). */
  withStore<T>(write: () => Promise<T>): Promise<T>;
  /** A background write failed: the server must stop. */
  fail(error: unknown): void;
  random(): number;
}

export class Snapshots {
  taken = 0;
  installed = 0;
  /** The snapshot being written and the log compaction after it, if any. */
  private writing: Promise<void> | undefined;
  /** Size of the latest snapshot this server wrote (0 until its first): see snapshot-policy.ts. */
  private lastBytes = 0;
  /** Date.now() before which the entry threshold is not checked. */
  private nextCheckAt: number;
  /**
   * Log bytes still held right after our latest compaction: the trailing entries kept behind the
   * snapshot for slow followers. They are not growth; counted as such, 1,024 trailing plan
   * entries of ~330 KB each kept the log above the byte threshold, and the server wrote one
   * full-state snapshot after another (bench/cluster: ~70% of the leader's CPU at 100k allocs).
   */
  private trailingBytes = 0;

  constructor(private readonly host: SnapshotsHost) {
    this.nextCheckAt = nextSnapshotCheck(host.policy, Date.now(), host.random());
  }

  /** Resolves once no snapshot of ours is being written (one installed meanwhile must not be
   *  pruned by it). */
  async idle(): Promise<void> {
    await this.writing;
  }

  read(ref: SnapshotRef): AsyncIterable<Uint8Array> {
    return this.host.files.read(ref);
  }

  /**
   * Loads the state machine from the snapshot file `meta`, stores the membership its header
   * carries and prunes older files. Returns that membership (the state machine is now at
   * meta.index).
   */
  async restore(meta: SnapshotMetadata): Promise<Membership> {
    const h = this.host;
    const { header, body } = await unframeSnapshot(h.files.read(meta));
    await h.stateMachine.restore(meta.index, body);
    for (const [id, address] of Object.entries(header.addresses)) h.setPeer(id, address);
    const membership: Membership = {
      confState: meta.confState,
      index: meta.index,
      addresses: header.addresses,
    };
    await h.withStore(() => h.store.persist({ membership }));
    await h.files.prune(meta);
    return membership;
  }

  /**
   * Takes a snapshot at `fsmApplied` (the state machine's applied index) with `membership` as of
   * that index if one is due, and writes it and compacts the log in the background.
   */
  async maybeTake(fsmApplied: LogIndex, membership: Membership): Promise<void> {
    const h = this.host;
    if (this.writing !== undefined) return;
    const last = h.store.snapshot().metadata;
    const now = Date.now();
    const due = snapshotDue(h.policy, {
      entriesSince: fsmApplied - last.index,
      logBytes: Math.max(0, h.store.retainedBytes() - this.trailingBytes),
      lastSnapshotBytes: this.lastBytes,
      now,
      nextCheckAt: this.nextCheckAt,
    });
    if (!due) return;
    if (fsmApplied > h.store.lastIndex()) return;
    this.nextCheckAt = nextSnapshotCheck(h.policy, now, h.random());
    const snap = await h.stateMachine.snapshot();
    assert(snap.index === fsmApplied, () => `snapshot at ${snap.index}, applied ${fsmApplied}`);
    // Everything the file holds is fixed here, at the applied index: the state machine's view and
    // the membership as of that index.
    const meta: SnapshotMetadata = {
      index: snap.index,
      term: h.store.term(snap.index),
      confState: membership.confState,
    };
    const framed = frameSnapshot({ addresses: membership.addresses }, snap.chunks);
    this.writing = this.write(meta, framed).then(
      () => {
        this.writing = undefined;
      },
      (error: unknown) => {
        this.writing = undefined;
        h.fail(error);
      },
    );
  }

  private async write(meta: SnapshotMetadata, framed: AsyncIterable<Uint8Array>): Promise<void> {
    const h = this.host;
    const started = performance.now();
    this.lastBytes = await h.files.write(meta, paced(framed));
    h.metrics?.snapshotBytes.set(this.lastBytes);
    const compactTo = Math.max(0, meta.index - h.trailingLogs);
    const compacted = await h.withStore(() => h.store.compact(meta, compactTo));
    // A snapshot installed from the leader meanwhile is newer: it stays, and this one's file goes
    // when that one prunes.
    if (!compacted) return;
    this.trailingBytes = h.store.retainedBytes();
    await h.files.prune(meta);
    this.taken++;
    h.metrics?.snapshotSeconds.observe((performance.now() - started) / 1000);
    h.log.info({ index: meta.index, compactTo }, "snapshot taken, log compacted");
  }
}
