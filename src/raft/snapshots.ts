/**
 * A server's Raft snapshots, taken and installed (the files themselves are snapshot-store.ts; the
 * rule for when to take one is snapshot-policy.ts).
 *
 * Taking, for a state machine that keeps its state durably itself (StateMachine.persist, Drover's
 * FSM): compaction writes no state. The state machine makes what it applied durable, and the log
 * is compacted behind that index; the log store's snapshot metadata then names state that only
 * the state machine holds. A full snapshot file is produced only when a peer needs one
 * (`openForPeer`), at the applied index of that moment, and reused for later sends while the log
 * still continues it (as etcd v3 sends its backend at the applied index, whatever snapshot the
 * core asked for). Compaction waits while a snapshot is being produced or sent: the peer needs
 * the entries right after it.
 * Taking, for any other state machine: a full snapshot of the state at the applied index is
 * written to a file (paced) before the log is compacted behind it; peers are sent that file.
 * Either way the decision and the state machine's view are taken inside the apply loop, and the
 * writing runs in the background while applying goes on. At most one is written at a time.
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
import type { SnapshotStore } from "./snapshot-store.js";
import type { StateMachine } from "./state-machine.js";
import { LostStateError } from "./storage-errors.js";

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
  /**
   * Runs `task` in the apply loop, after the tasks queued before it, with the state machine's
   * applied index and the membership as of that index.
   */
  inApplyLoop(task: (fsmApplied: LogIndex, membership: Membership) => Promise<void>): void;
  /** A background write failed: the server must stop. */
  fail(error: unknown): void;
  random(): number;
}

/** A snapshot opened to be sent to a peer: `close` once done with it, sent or not. */
export interface OpenedSnapshot {
  /** What the bytes hold: the message to the peer must carry this metadata. */
  readonly metadata: SnapshotMetadata;
  /** The file's bytes, header frame included. */
  readonly chunks: AsyncIterable<Uint8Array>;
  close(): void;
}

export class Snapshots {
  /** Snapshots taken (log compactions) and installed since this process started. */
  taken = 0;
  installed = 0;
  /** The snapshot being written or the log compaction in progress, if any. */
  private writing: Promise<void> | undefined;
  /** Size of the latest snapshot file this server wrote (0 until its first): see snapshot-policy.ts. */
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
  /** The state machine's own (StateMachine.persist): then compactions write no file (see above). */
  private readonly persist: (() => Promise<LogIndex>) | undefined;
  /**
   * Only when `persist` is there: the newest full snapshot file here (produced for a peer, installed from
   * the leader, or the bootstrap snapshot), if any. Files are only ever full ones.
   */
  private full: SnapshotMetadata | undefined;
  /** A full snapshot being produced for peers (openForPeer). */
  private producing: Promise<SnapshotMetadata> | undefined;
  /** Snapshots opened for peers and not closed yet: compaction waits for them. */
  private sending = 0;

  constructor(private readonly host: SnapshotsHost) {
    this.nextCheckAt = nextSnapshotCheck(host.policy, Date.now(), host.random());
    this.persist = host.stateMachine.persist;
  }

  /** Resolves once no snapshot of ours is being written (one installed meanwhile must not be
   *  pruned by it). */
  async idle(): Promise<void> {
    await this.writing;
  }

  /**
   * At start: notes whether the log's snapshot is a file here, and loads the state machine from
   * it when the state machine is behind it (a crash between installing a received snapshot and
   * restoring the state machine). Returns the membership when it restored.
   */
  async recover(fsmApplied: LogIndex): Promise<Membership | undefined> {
    const h = this.host;
    const meta = h.store.snapshot().metadata;
    const onDisk = await h.files.has(meta);
    if (onDisk) this.full = meta;
    if (meta.index <= fsmApplied) return undefined;
    if (!onDisk) {
      throw new LostStateError(
        `the state machine's durable state ends at index ${fsmApplied}, before the Raft log's ` +
          `snapshot at ${meta.index}, whose state only the state machine held: its data was lost ` +
          "or replaced. Remove this server's data directory and add it to the cluster again " +
          "(the leader then sends it a snapshot).",
      );
    }
    h.log.info({ index: meta.index, fsmApplied }, "restoring state machine from snapshot");
    return this.restore(meta);
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
    this.full = meta;
    return membership;
  }

  /**
   * The snapshot to send a peer for which the core asked for `requested` (the log's snapshot).
   * Without `persist` that is the file itself. With it, the log's snapshot may hold no file: the
   * peer gets the newest full file if the log continues it (it is not older than the log's
   * snapshot), or else one produced now at the applied index.
   */
  async openForPeer(requested: SnapshotMetadata): Promise<OpenedSnapshot> {
    let metadata = requested;
    if (this.persist !== undefined) {
      const full = this.full;
      const floor = this.host.store.snapshot().metadata.index;
      metadata = full !== undefined && full.index >= floor ? full : await this.produce();
    }
    this.sending++;
    let open = true;
    return {
      metadata,
      chunks: this.host.files.read(metadata),
      close: () => {
        if (open) this.sending--;
        open = false;
      },
    };
  }

  /**
   * Takes a snapshot at `fsmApplied` (the state machine's applied index) with `membership` as of
   * that index if one is due, and compacts the log in the background (after writing the file,
   * or after the state machine made its state durable).
   */
  async maybeTake(fsmApplied: LogIndex, membership: Membership): Promise<void> {
    const h = this.host;
    if (this.writing !== undefined) return;
    // A peer being sent a snapshot needs the entries right after it (etcd pauses compaction so).
    if (this.persist !== undefined && (this.sending > 0 || this.producing !== undefined)) return;
    const last = h.store.snapshot().metadata;
    const now = Date.now();
    const due = snapshotDue(h.policy, {
      entriesSince: fsmApplied - last.index,
      logBytes: Math.max(0, h.store.retainedBytes() - this.trailingBytes),
      // Compacting behind a state machine that keeps its state costs no copy of that state.
      lastSnapshotBytes: this.persist !== undefined ? 0 : this.lastBytes,
      now,
      nextCheckAt: this.nextCheckAt,
    });
    if (!due) return;
    if (fsmApplied > h.store.lastIndex()) return;
    this.nextCheckAt = nextSnapshotCheck(h.policy, now, h.random());
    const started = performance.now();
    if (this.persist !== undefined) {
      const meta = this.metadataAt(fsmApplied, membership);
      // Asked now, so that it covers exactly the entries applied so far.
      const durable = this.persist();
      this.background(
        durable.then((index) => {
          assert(index >= meta.index, () => `state machine durable at ${index}, applied ${meta.index}`);
          return this.compact(meta, started);
        }),
      );
    } else {
      const { meta, framed } = await this.view(fsmApplied, membership);
      this.background(this.writeFile(meta, framed).then(() => this.compact(meta, started)));
    }
  }

  /**
   * What a snapshot at `fsmApplied` (the state machine's applied index) stands for, fixed there:
   * the state machine's state and the membership as of that index.
   */
  private metadataAt(fsmApplied: LogIndex, membership: Membership): SnapshotMetadata {
    return { index: fsmApplied, term: this.host.store.term(fsmApplied), confState: membership.confState };
  }

  /** The state machine's immutable view at `fsmApplied` (call in the apply loop), framed. */
  private async view(
    fsmApplied: LogIndex,
    membership: Membership,
  ): Promise<{ meta: SnapshotMetadata; framed: AsyncIterable<Uint8Array> }> {
    const snap = await this.host.stateMachine.snapshot();
    assert(snap.index === fsmApplied, () => `snapshot at ${snap.index}, applied ${fsmApplied}`);
    const framed = frameSnapshot({ addresses: membership.addresses }, snap.chunks);
    return { meta: this.metadataAt(fsmApplied, membership), framed };
  }

  private background(work: Promise<void>): void {
    this.writing = work.then(
      () => {
        this.writing = undefined;
      },
      (error: unknown) => {
        this.writing = undefined;
        this.host.fail(error);
      },
    );
  }

  /** A full snapshot file at the applied index, produced for peers (one at a time). */
  private produce(): Promise<SnapshotMetadata> {
    this.producing ??= this.viewInApplyLoop()
      .then(async ({ meta, framed }) => {
        this.host.log.info({ index: meta.index }, "producing a snapshot for a peer");
        const written = this.writeFile(meta, framed).then(() => {
          this.full = meta;
          return this.host.files.pruneBefore(meta.index);
        });
        this.background(written);
        await written;
        return meta;
      })
      .finally(() => {
        this.producing = undefined;
      });
    return this.producing;
  }

  /**
   * `view` taken in the apply loop, where the applied index and the membership agree, after any
   * compaction under way (one writer at a time). A failure there stops the server, as any failure
   * in the apply loop does.
   */
  private viewInApplyLoop(): ReturnType<Snapshots["view"]> {
    return new Promise((resolve, reject) => {
      this.host.inApplyLoop(async (fsmApplied, membership) => {
        await this.idle();
        const taken = this.view(fsmApplied, membership);
        taken.then(resolve, reject);
        await taken;
      });
    });
  }

  private async writeFile(meta: SnapshotMetadata, framed: AsyncIterable<Uint8Array>): Promise<void> {
    const h = this.host;
    this.lastBytes = await h.files.write(meta, paced(framed));
    h.metrics?.snapshotBytes.set(this.lastBytes);
  }

  /** Drops the log behind `meta` (a snapshot whose state is now durable: file or state machine). */
  private async compact(meta: SnapshotMetadata, started: number): Promise<void> {
    const h = this.host;
    const compactTo = Math.max(0, meta.index - h.trailingLogs);
    const compacted = await h.withStore(() => h.store.compact(meta, compactTo));
    // A snapshot installed from the leader meanwhile is newer: it stays, and this one's file goes
    // when that one prunes.
    if (!compacted) return;
    this.trailingBytes = h.store.retainedBytes();
    if (this.persist === undefined) {
      await h.files.prune(meta);
    } else {
      // The log no longer continues the files before this index (the bootstrap snapshot's
      // included): the next peer gets a fresh one.
      if (this.full !== undefined && this.full.index < meta.index) this.full = undefined;
      await h.files.pruneBefore(meta.index);
    }
    this.taken++;
    h.metrics?.snapshotSeconds.observe((performance.now() - started) / 1000);
    h.log.info(
      { index: meta.index, compactTo, file: this.persist === undefined },
      "snapshot taken, log compacted",
    );
  }
}
