/**
 * `npm run bench -- raft-core [--seconds S] [--batch N] [--bytes B]`: proposals committed per
 * second through a 3-node cluster of pure Raft cores with zero-cost I/O (MemoryStorage, messages
 * handed over in memory). Measures the core alone, so it is never the bottleneck of the server.
 * Metric: committed_entries_per_s (entries applied on the leader per second of wall time).
 */

import { SeededRandom } from "../src/common/rand.js";
import { MemoryStorage, type Message, RawNode } from "../src/raft/core/index.js";
import type { BenchResult } from "./harness.js";

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

interface Node {
  raw: RawNode;
  storage: MemoryStorage;
  applied: number;
}

function cluster(): Map<string, Node> {
  const ids = ["1", "2", "3"];
  const rand = new SeededRandom(42);
  const nodes = new Map<string, Node>();
  for (const id of ids) {
    const storage = MemoryStorage.bootstrap(ids);
    const raw = new RawNode({
      id,
      electionTick: 10,
      heartbeatTick: 1,
      storage,
      applied: 0,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 256,
      checkQuorum: true,
      preVote: true,
      readOnlyOption: "safe",
      disableProposalForwarding: false,
      random: () => rand.next(),
    });
    nodes.set(id, { raw, storage, applied: 1 });
  }
  return nodes;
}

/** Runs the driver duties for every node until no Ready and no message is left. */
function pump(nodes: Map<string, Node>, queue: Message[]): number {
  let appliedOnLeader = 0;
  for (;;) {
    let moved = false;
    for (const [id, n] of nodes) {
      while (n.raw.hasReady()) {
        moved = true;
        const rd = n.raw.ready();
        if (rd.snapshot !== undefined) n.storage.applySnapshot(rd.snapshot);
        n.storage.append(rd.entries);
        if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
        for (const m of rd.messages) queue.push(m);
        const last = rd.committedEntries[rd.committedEntries.length - 1];
        if (last !== undefined) {
          if (id === "1") appliedOnLeader += rd.committedEntries.length;
          n.applied = last.index;
        }
        n.raw.advance(rd);
      }
    }
    for (let i = 0; i < queue.length; i++) {
      const m = queue[i] as Message;
      nodes.get(m.to)?.raw.step(m);
      moved = true;
    }
    queue.length = 0;
    if (!moved) return appliedOnLeader;
  }
}

export async function run(args: string[]): Promise<BenchResult> {
  const seconds = arg(args, "seconds", 3);
  const batch = arg(args, "batch", 1000);
  const bytes = arg(args, "bytes", 128);
  const nodes = cluster();
  const queue: Message[] = [];
  const leader = nodes.get("1") as Node;
  leader.raw.campaign();
  pump(nodes, queue);
  if (leader.raw.status().role !== "leader") throw new Error("node 1 did not become leader");

  const payloads = Array.from({ length: batch }, (_, i) => {
    const b = new Uint8Array(bytes);
    b[0] = i & 0xff;
    return b;
  });
  let committed = 0;
  let rounds = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < deadline) {
    leader.raw.proposeBatch(payloads);
    committed += pump(nodes, queue);
    rounds++;
    // Keep memory flat: compact every node's log behind what it has applied.
    if (rounds % 50 === 0) {
      for (const n of nodes.values()) {
        const keep = n.applied - batch;
        if (keep > n.storage.firstIndex()) {
          n.storage.createSnapshot(keep, n.storage.initialState().confState, new Uint8Array(0));
          n.storage.compact(keep);
        }
      }
    }
    now = process.hrtime.bigint();
  }
  const elapsedS = Number(now - start) / 1e9;
  const perS = committed / elapsedS;
  // Single proposals (batch of 1) show the per-round overhead of the core.
  let singles = 0;
  const singleStart = process.hrtime.bigint();
  const singleEnd = singleStart + BigInt(5e8);
  let t = singleStart;
  const one = payloads[0] as Uint8Array;
  while (t < singleEnd) {
    leader.raw.propose(one);
    singles += pump(nodes, queue);
    t = process.hrtime.bigint();
  }
  const singlePerS = singles / (Number(t - singleStart) / 1e9);
  await Promise.resolve();
  return {
    metrics: {
      committed_entries_per_s: Math.round(perS),
      unbatched_committed_entries_per_s: Math.round(singlePerS),
      batch_size: batch,
      entry_bytes: bytes,
    },
    notes: [
      `3 in-memory nodes, ${batch} proposals of ${bytes} B per round, ${rounds} rounds in ${elapsedS.toFixed(2)} s`,
      "every round: propose batch, persist (MemoryStorage), deliver all messages, apply, advance on all nodes",
      "goal: >= 500,000 entries/s batched (issue 3)",
    ],
  };
}
