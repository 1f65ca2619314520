import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../common/log.js";
import type { Entry, LogIndex } from "./core/types.js";
import { LevelDbLogStore, type Membership } from "./leveldb-log-store.js";
import { frameSnapshot } from "./snapshot-frame.js";
import { SnapshotStore } from "./snapshot-store.js";
import { Snapshots } from "./snapshots.js";
import type { StateMachine } from "./state-machine.js";

/** A state machine whose whole state is the bytes of the entries it applied (a unit-test fake). */
class BytesMachine implements StateMachine {
  applied = 0;
  state = "";
  appliedIndex(): LogIndex {
    return this.applied;
  }
  async apply(entries: readonly Entry[]): Promise<unknown[]> {
    for (const e of entries) this.state += new TextDecoder().decode(e.data);
    this.applied = entries[entries.length - 1]?.index ?? this.applied;
    return entries.map(() => undefined);
  }
  async snapshot() {
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

async function setup(trailingLogs: number) {
  const store = await LevelDbLogStore.open(join(dir, "log"), silentLogger());
  const files = await SnapshotStore.open(join(dir, "snap"));
  const machine = new BytesMachine();
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
    const membership: Membership = { confState: voters, index: 0, addresses: { s1: "127.0.0.1:1" } };
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
});
