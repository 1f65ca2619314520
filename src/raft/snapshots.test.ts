import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../common/log.js";
import type { Entry, LogIndex } from "./core/types.js";
import { LevelDbLogStore, type Membership } from "./leveldb-log-store.js";
import { frameSnapshot, unframeSnapshot } from "./snapshot-frame.js";
import { SnapshotStore } from "./snapshot-store.js";
import { Snapshots } from "./snapshots.js";
import type { StateMachine } from "./state-machine.js";
import { LostStateError } from "./storage-errors.js";

/** A state machine whose whole state is the bytes of the entries it applied (a unit-test fake). */
class BytesMachine implements StateMachine {
  applied = 0;
  state = "";
  /** Indexes it was asked to make durable (only when it keeps its state: see persisting()). */
  persisted: LogIndex[] = [];
  persist: (() => Promise<LogIndex>) | undefined;
  /** Snapshots it was asked for. */
  snapshots = 0;

  /** As a state machine that keeps its state durably itself (StateMachine.persist). */
  persisting(): this {
    this.persist = async () => {
      this.persisted.push(this.applied);
      return this.applied;
    };
    return this;
  }
  appliedIndex(): LogIndex {
    return this.applied;
  }
  async apply(entries: readonly Entry[]): Promise<unknown[]> {
    for (const e of entries) this.state += new TextDecoder().decode(e.data);
    this.applied = entries[entries.length - 1]?.index ?? this.applied;
    return entries.map(() => undefined);
  }
  async snapshot() {
    this.snapshots++;
    const bytes = new TextEncoder().encode(this.state);
    return {
      index: this.applied,
      chunks: (async function* () {
        yield bytes;
      })(),
    };
  }
  async restore(index: LogIndex, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    let s = "";
    for await (const c of chunks) s += new TextDecoder().decode(c);
    this.state = s;
    this.applied = index;
  }
}

const voters = { voters: ["s1"], learners: [], votersOutgoing: [] };
const entry = (index: number): Entry => ({
  index,
  term: 2,
  type: "normal",
  data: new TextEncoder().encode(`e${index}`),
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "drover-snapshots-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const addresses = { s1: "127.0.0.1:1" };
const membership: Membership = { confState: voters, index: 0, addresses };

async function setup(trailingLogs: number, persists = false) {
  const store = await LevelDbLogStore.open(join(dir, "log"), silentLogger());
  const files = await SnapshotStore.open(join(dir, "snap"));
  const machine = persists ? new BytesMachine().persisting() : new BytesMachine();
  // The apply loop: tasks run one after the other with the machine's applied index.
  let loop: Promise<unknown> = Promise.resolve();
  const peers = new Map<string, string>();
  const failures: unknown[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  const snapshots = new Snapshots({
    store,
    files,
    stateMachine: machine,
    setPeer: (id, address) => peers.set(id, address),
    log: silentLogger(),
    metrics: undefined,
    policy: { thresholdEntries: 3, thresholdBytes: 1 << 30, intervalMs: 0 },
    trailingLogs,
    withStore: (write) => {
      const next = chain.then(write);
      chain = next.catch(() => undefined);
      return next;
    },
    inApplyLoop: (task) => {
      loop = loop
        .then(() => task(machine.applied, membership))
        .catch((error: unknown) => failures.push(error));
    },
    fail: (error) => failures.push(error),
    random: () => 0.5,
  });
  return { store, files, machine, peers, failures, snapshots };
}

describe("Snapshots", () => {
  it("takes a snapshot once due and compacts the log behind it, keeping the trailing entries", async () => {
    const { store, machine, snapshots, failures } = await setup(1);
    const ents = [1, 2, 3, 4].map(entry);
    await store.persist({ entries: ents, hardState: { term: 2, vote: "s1", commit: 4 } });
    await machine.apply(ents.slice(0, 2));
    await snapshots.maybeTake(machine.applied, membership);
    await snapshots.idle();
    expect(snapshots.taken).toBe(0);
    await machine.apply(ents.slice(2));
    await snapshots.maybeTake(machine.applied, membership);
    await snapshots.idle();
    expect(failures).toEqual([]);
    expect(snapshots.taken).toBe(1);
    expect(store.snapshot().metadata.index).toBe(4);
    expect(store.firstIndex()).toBe(4);
    await store.close();
  });

  it("restores the state machine and the membership from a snapshot file", async () => {
    const { store, files, machine, peers, snapshots } = await setup(0);
    const meta = { index: 7, term: 3, confState: { voters: ["s1", "s2"], learners: [], votersOutgoing: [] } };
    const addresses = { s1: "127.0.0.1:1", s2: "127.0.0.1:2" };
    await files.write(
      meta,
      frameSnapshot(
        { addresses },
        (async function* () {
          yield new TextEncoder().encode("state@7");
        })(),
      ),
    );
    const membership = await snapshots.restore(meta);
    expect(machine.state).toBe("state@7");
    expect(machine.applied).toBe(7);
    expect(membership).toEqual({ confState: meta.confState, index: 7, addresses });
    expect(store.currentMembership()).toEqual(membership);
    expect(peers.get("s2")).toBe("127.0.0.1:2");
    await store.close();
  });

  it("compacts behind a state machine that keeps its state without writing a file", async () => {
    const { store, files, machine, snapshots, failures } = await setup(1, true);
    const ents = [1, 2, 3, 4].map(entry);
    await store.persist({ entries: ents, hardState: { term: 2, vote: "s1", commit: 4 } });
    // An older file (a bootstrap snapshot) goes; a newer one (just received from a leader, not
    // installed yet) must stay.
    const state = async function* () {
      yield new Uint8Array(1);
    };
    await files.write({ index: 1, term: 1 }, state());
    await files.write({ index: 9, term: 3 }, state());
    await machine.apply(ents);
    await snapshots.maybeTake(machine.applied, membership);
    await snapshots.idle();
    expect(failures).toEqual([]);
    expect(machine.persisted).toEqual([4]);
    expect(machine.snapshots).toBe(0);
    expect(snapshots.taken).toBe(1);
    expect(store.snapshot().metadata).toEqual({ index: 4, term: 2, confState: voters });
    expect(store.firstIndex()).toBe(4);
    expect(await files.list()).toEqual([{ index: 9, term: 3 }]);
    await store.close();
  });

  it("produces a snapshot for a peer at the applied index, reuses it, and drops it once compacted past", async () => {
    const { store, files, machine, snapshots, failures } = await setup(0, true);
    const ents = [1, 2, 3, 4, 5, 6, 7].map(entry);
    await store.persist({ entries: ents, hardState: { term: 2, vote: "s1", commit: 7 } });
    await machine.apply(ents.slice(0, 3));
    await snapshots.maybeTake(machine.applied, membership);
    await snapshots.idle();
    expect(store.snapshot().metadata.index).toBe(3);
    await machine.apply(ents.slice(3, 5));

    // The core asks for the log's snapshot (3, no file): the peer gets one made now, at 5.
    const first = await snapshots.openForPeer(store.snapshot().metadata);
    expect(first.metadata).toEqual({ index: 5, term: 2, confState: voters });
    const { header, body } = await unframeSnapshot(first.chunks);
    expect(header.addresses).toEqual(addresses);
    let bytes = "";
    for await (const chunk of body) bytes += new TextDecoder().decode(chunk);
    expect(bytes).toBe("e1e2e3e4e5");
    first.close();
    // The log still continues it: the next peer gets the same file.
    const second = await snapshots.openForPeer(store.snapshot().metadata);
    expect(second.metadata.index).toBe(5);
    second.close();
    expect(machine.snapshots).toBe(1);

    // Compacting past it drops the file: the next peer would need entries the log no longer has.
    await machine.apply(ents.slice(5));
    await snapshots.maybeTake(machine.applied, membership);
    await snapshots.idle();
    expect(store.snapshot().metadata.index).toBe(7);
    expect(await files.list()).toEqual([]);
    const third = await snapshots.openForPeer(store.snapshot().metadata);
    expect(third.metadata.index).toBe(7);
    third.close();
    expect(machine.snapshots).toBe(2);
    expect(failures).toEqual([]);
    await store.close();
  });

  it("does not compact while a snapshot is open for a peer", async () => {
    const { store, machine, snapshots } = await setup(0, true);
    const ents = [1, 2, 3, 4, 5, 6].map(entry);
    await store.persist({ entries: ents, hardState: { term: 2, vote: "s1", commit: 6 } });
    await machine.apply(ents.slice(0, 3));
    const opened = await snapshots.openForPeer(store.snapshot().metadata);
    await machine.apply(ents.slice(3));
    await snapshots.maybeTake(machine.applied, membership);
    await snapshots.idle();
    expect(snapshots.taken).toBe(0);
    expect(store.firstIndex()).toBe(1);
    opened.close();
    await snapshots.maybeTake(machine.applied, membership);
    await snapshots.idle();
    expect(snapshots.taken).toBe(1);
    expect(store.snapshot().metadata.index).toBe(6);
    await store.close();
  });

  it("refuses to start when the state machine lost state that no file holds", async () => {
    const { store, machine, snapshots } = await setup(0, true);
    const ents = [1, 2, 3].map(entry);
    await store.persist({ entries: ents, hardState: { term: 2, vote: "s1", commit: 3 } });
    await machine.apply(ents);
    await snapshots.maybeTake(machine.applied, membership);
    await snapshots.idle();
    // The state machine comes back empty (its data directory was wiped).
    await expect(snapshots.recover(0)).rejects.toThrow(LostStateError);
    await expect(snapshots.recover(0)).rejects.toThrow(/before the Raft log's snapshot at 3/);
    await expect(snapshots.recover(3)).resolves.toBeUndefined();
    await store.close();
  });
});
