import { describe, expect, it } from "vitest";
import { AssertionError } from "../../common/assert.js";
import { SeededRandom } from "../../common/rand.js";
import type { RaftConfig } from "./config.js";
import { ConfChangeRejectedError, ProposalDroppedError } from "./errors.js";
import { RawNode } from "./raw-node.js";
import { MemoryStorage } from "./storage.js";
import { EMPTY_BYTES, type Entry, type Message, message, type Ready } from "./types.js";

function config(id: string, storage: MemoryStorage, overrides: Partial<RaftConfig> = {}): RaftConfig {
  const rand = new SeededRandom(7);
  return {
    id,
    electionTick: 10,
    heartbeatTick: 1,
    storage,
    applied: 0,
    maxSizePerMsg: 1024 * 1024,
    maxInflightMsgs: 256,
    checkQuorum: false,
    preVote: false,
    readOnlyOption: "safe",
    disableProposalForwarding: false,
    random: () => rand.next(),
    ...overrides,
  };
}

/** Handles one Ready the way a driver must: persist, (collect messages), advance. */
function drive(node: RawNode, storage: MemoryStorage): Ready | undefined {
  if (!node.hasReady()) return undefined;
  const rd = node.ready();
  if (rd.snapshot !== undefined) storage.applySnapshot(rd.snapshot);
  storage.append(rd.entries);
  if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
  node.advance(rd);
  return rd;
}

/** Three in-memory nodes; `deliver` moves all messages until quiet, optionally filtering them. */
function trio(overrides: Partial<RaftConfig> = {}) {
  const ids = ["a", "b", "c"];
  const storages = new Map(ids.map((id) => [id, MemoryStorage.bootstrap(ids)]));
  const nodes = new Map(
    ids.map((id) => [id, new RawNode(config(id, storages.get(id) as MemoryStorage, overrides))]),
  );
  const sent: Message[] = [];
  const settle = (filter: (m: Message) => boolean = () => true): void => {
    for (let round = 0; round < 1000; round++) {
      const out: Message[] = [];
      for (const [id, n] of nodes) {
        for (
          let rd = drive(n, storages.get(id) as MemoryStorage);
          rd !== undefined;
          rd = drive(n, storages.get(id) as MemoryStorage)
        ) {
          out.push(...rd.messages);
        }
      }
      if (out.length === 0) return;
      for (const m of out) {
        sent.push(m);
        if (filter(m)) nodes.get(m.to)?.step(m);
      }
    }
    throw new Error("did not settle");
  };
  const node = (id: string): RawNode => nodes.get(id) as RawNode;
  return { nodes, storages, node, settle, sent };
}

describe("RawNode", () => {
  it("puts a granted vote's hard state in the same Ready as the reply, so it is persisted first", () => {
    const storage = MemoryStorage.bootstrap(["a", "b", "c"]);
    const b = new RawNode(config("b", storage));
    b.step(message({ type: "vote", from: "a", to: "b", term: 2, index: 1, logTerm: 1 }));
    const rd = b.ready();
    const reply = rd.messages.find((m) => m.type === "voteResp");
    expect(reply?.reject).toBe(false);
    expect(rd.hardState).toEqual({ term: 2, vote: "a", commit: 1 });
    b.advance(rd);
    // A second candidate in the same term is refused.
    b.step(message({ type: "vote", from: "c", to: "b", term: 2, index: 1, logTerm: 1 }));
    const rd2 = b.ready();
    expect(rd2.messages.find((m) => m.type === "voteResp")?.reject).toBe(true);
  });

  it("elects a leader, replicates and commits; followers apply in order", () => {
    const t = trio();
    t.node("a").campaign();
    t.settle();
    expect(t.node("a").status().role).toBe("leader");
    t.node("a").propose(new TextEncoder().encode("x"));
    t.settle();
    for (const id of ["a", "b"]) expect(t.node(id).status().commit).toBe(3);
  });

  it("drops proposals with the leader's id when forwarding is disabled, and without one when unknown", () => {
    const noLeader = trio();
    expect(() => noLeader.node("b").propose(new Uint8Array([1]))).toThrow(ProposalDroppedError);
    const t = trio({ disableProposalForwarding: true });
    t.node("a").campaign();
    t.settle();
    try {
      t.node("b").propose(new Uint8Array([1]));
      expect.unreachable("proposal should have been dropped");
    } catch (error) {
      expect(error).toBeInstanceOf(ProposalDroppedError);
      expect((error as ProposalDroppedError).leaderId).toBe("a");
    }
  });

  it("refuses conf changes when not leader, while one is pending, and invalid ones", () => {
    const t = trio();
    const cc = { type: "addLearner" as const, nodeId: "d", context: EMPTY_BYTES };
    expect(() => t.node("a").proposeConfChange(cc)).toThrow(ConfChangeRejectedError);
    t.node("a").campaign();
    t.settle();
    t.node("a").proposeConfChange(cc);
    expect(() => t.node("a").proposeConfChange({ ...cc, nodeId: "e" })).toThrow(/pending/);
    expect(() =>
      t.node("a").proposeConfChange({ type: "removeNode", nodeId: "zz", context: EMPTY_BYTES }),
    ).toThrow(ConfChangeRejectedError);
  });

  it("batches appends by bytes per message", () => {
    const t = trio({ maxSizePerMsg: 300 });
    t.node("a").campaign();
    t.settle();
    const before = t.sent.length;
    // 10 entries of 100 B (+16 B overhead each): at most 2 per message under a 300 B budget.
    t.node("a").proposeBatch(Array.from({ length: 10 }, () => new Uint8Array(100)));
    t.settle();
    const apps = t.sent.slice(before).filter((m) => m.type === "app" && m.entries.length > 0);
    expect(Math.max(...apps.map((m) => m.entries.length))).toBe(2);
    expect(t.node("b").status().commit).toBe(12);
  });

  it("pipelines at most maxInflightMsgs unacknowledged appends per follower", () => {
    const t = trio({ maxInflightMsgs: 3 });
    t.node("a").campaign();
    t.settle();
    // Cut the followers' answers: the leader keeps at most 3 appends in flight to each.
    const before = t.sent.length;
    for (let i = 0; i < 10; i++) t.node("a").propose(new Uint8Array([i]));
    t.settle((m) => m.from === "a");
    const toB = t.sent.slice(before).filter((m) => m.type === "app" && m.to === "b" && m.entries.length > 0);
    expect(toB.length).toBe(3);
    // Answers flow again: everything commits.
    t.node("a").tick();
    t.settle();
    expect(t.node("c").status().commit).toBe(12);
  });

  it("backs off a diverging follower by whole terms (conflict hint), not entry by entry", () => {
    // Follower b has a long tail of entries from a stale term 3 that leader a (term 5) never had.
    const ids = ["a", "b", "c"];
    const sa = MemoryStorage.bootstrap(ids);
    const sb = MemoryStorage.bootstrap(ids);
    const tail = (from: number, n: number, term: number): Entry[] =>
      Array.from({ length: n }, (_, i) => ({
        index: from + i,
        term,
        type: "normal" as const,
        data: EMPTY_BYTES,
      }));
    sa.append([...tail(2, 5, 2), ...tail(7, 5, 4)]);
    sa.setHardState({ term: 5, vote: "a", commit: 6 });
    sb.append([...tail(2, 5, 2), ...tail(7, 100, 3)]);
    sb.setHardState({ term: 5, vote: "a", commit: 6 });
    const a = new RawNode(config("a", sa, { applied: 1 }));
    const b = new RawNode(config("b", sb, { applied: 1 }));
    a.campaign();
    drive(a, sa);
    // Elect a by hand (c's vote), then let a and b talk.
    a.step(message({ type: "voteResp", from: "c", to: "a", term: 6 }));
    expect(a.status().role).toBe("leader");
    let rejections = 0;
    for (let round = 0; round < 20; round++) {
      const fromA = drive(a, sa)?.messages.filter((m) => m.to === "b") ?? [];
      for (const m of fromA) b.step(m);
      const fromB = drive(b, sb)?.messages ?? [];
      rejections += fromB.filter((m) => m.type === "appResp" && m.reject).length;
      for (const m of fromB) a.step(m);
      if (fromA.length === 0 && fromB.length === 0) break;
    }
    expect(b.status().lastIndex).toBe(a.status().lastIndex);
    expect(b.logTerm(7)).toBe(4);
    // One rejection per conflicting term, not one per conflicting entry (there were 100).
    expect(rejections).toBeLessThanOrEqual(2);
  });

  it("refuses proposals beyond the uncommitted size budget", () => {
    const t = trio({ maxUncommittedEntriesSize: 1000 });
    t.node("a").campaign();
    t.settle();
    // Followers silent: nothing commits, the uncommitted tail grows until the budget refuses more.
    t.node("a").propose(new Uint8Array(600));
    t.node("a").propose(new Uint8Array(300));
    expect(() => t.node("a").propose(new Uint8Array(300))).toThrow(/uncommitted/);
    t.settle();
    t.node("a").propose(new Uint8Array(300));
  });

  it("answers a read at once on a single-voter cluster", () => {
    const s = MemoryStorage.bootstrap(["a"]);
    const a = new RawNode(config("a", s));
    a.campaign();
    drive(a, s);
    a.readIndex(new TextEncoder().encode("q"));
    const rd = a.ready();
    expect(rd.readStates).toEqual([{ index: 2, requestCtx: new TextEncoder().encode("q") }]);
  });

  it("does not hand out applied entries again after a restart", () => {
    const s = MemoryStorage.bootstrap(["a"]);
    const a = new RawNode(config("a", s));
    a.campaign();
    a.propose(new Uint8Array([1]));
    const applied: number[] = [];
    for (let rd = drive(a, s); rd !== undefined; rd = drive(a, s))
      applied.push(...rd.committedEntries.map((e) => e.index));
    expect(applied).toEqual([2, 3]);
    const restarted = new RawNode(config("a", s, { applied: 3 }));
    expect(restarted.hasReady()).toBe(false);
    const fresh = new RawNode(config("a", s, { applied: 2 }));
    expect(fresh.ready().committedEntries.map((e) => e.index)).toEqual([3]);
  });

  it("requires advance() between ready() calls and rejects local message types in step()", () => {
    const s = MemoryStorage.bootstrap(["a"]);
    const a = new RawNode(config("a", s));
    a.campaign();
    a.ready();
    expect(() => a.ready()).toThrow(AssertionError);
    expect(() => a.step(message({ type: "hup", from: "a", to: "a" }))).toThrow(AssertionError);
  });

  /** Three voters with pre-vote and check-quorum, `a` leading; `alive` drops a's messages. */
  function ledByA() {
    const t = trio({ preVote: true, checkQuorum: true });
    t.node("a").campaign();
    t.settle();
    const term = t.node("a").status().term;
    // For when the leader is gone: nothing reaches it or comes from it any more.
    const alive = (m: Message) => m.to !== "a" && m.from !== "a";
    return { t, term, alive };
  }

  it("forgetLeaderAndPreVote starts a pre-vote that a healthy leader's followers refuse", () => {
    const { t, term } = ledByA();
    t.node("b").forgetLeaderAndPreVote();
    expect(t.node("b").status().role).toBe("preCandidate");
    t.settle();
    expect(t.node("a").status().role).toBe("leader");
    expect(t.node("a").status().term).toBe(term);
  });
  it("forgetLeaderAndPreVote asks again as a pre-candidate once the lease lapsed elsewhere", () => {
    const { t, term, alive } = ledByA();
    t.node("b").forgetLeaderAndPreVote();
    t.settle(alive);
    // c still counts a's lease and ignores b's pre-vote: b waits as a pre-candidate.
    expect(t.node("b").status().role).toBe("preCandidate");
    expect(t.node("c").status().lead).toBe("a");
    t.node("c").forgetLeader();
    t.node("b").forgetLeaderAndPreVote();
    t.settle(alive);
    expect(t.node("b").status().role).toBe("leader");
    expect(t.node("b").status().term).toBe(term + 1);
  });

  it("forgetLeaderAndPreVote starts over after two followers split the vote", () => {
    const { t, term, alive } = ledByA();
    // Both followers see the leader's stream break at the same moment: each grants the other's
    // pre-vote, both campaign for the same term, and each has voted for itself.
    t.node("b").forgetLeaderAndPreVote();
    t.node("c").forgetLeaderAndPreVote();
    t.settle(alive);
    expect(t.node("b").status()).toMatchObject({ role: "candidate", term: term + 1, lead: "" });
    expect(t.node("c").status()).toMatchObject({ role: "candidate", term: term + 1, lead: "" });
    // The driver's next retry on one of them wins the next term without an election timeout.
    t.node("b").forgetLeaderAndPreVote();
    t.settle(alive);
    expect(t.node("b").status()).toMatchObject({ role: "leader", term: term + 2 });
    expect(t.node("c").status()).toMatchObject({ role: "follower", lead: "b", term: term + 2 });
  });
});

describe("RawNode asynchronous leader writes", () => {
  /** A single voter that is leader, with everything so far durable. */
  function soloLeader() {
    const storage = MemoryStorage.bootstrap(["a"]);
    const node = new RawNode(config("a", storage));
    node.campaign();
    while (drive(node, storage) !== undefined) {
      // settle: the election and the leader's no-op entry
    }
    expect(node.status().role).toBe("leader");
    return { node, storage };
  }

  it("counts the leader's own copy only once the driver reports it durable", () => {
    const { node, storage } = soloLeader();
    const commitBefore = node.status().commit;
    node.propose(new TextEncoder().encode("x"));
    const rd = node.ready();
    expect(node.mayAdvanceAsync(rd)).toBe(true);
    const last = rd.entries[rd.entries.length - 1] as Entry;
    node.advanceAsync(rd);
    // Written but not durable: a single voter has no quorum without its own copy.
    expect(node.status().commit).toBe(commitBefore);
    expect(node.hasReady()).toBe(false);
    storage.append(rd.entries);
    node.advanceDurable(last.index, last.term);
    expect(node.status().commit).toBe(last.index);
    const next = node.ready();
    expect(next.committedEntries.map((e) => e.index)).toEqual([last.index]);
    // The entries are not handed out a second time for writing.
    expect(next.entries).toEqual([]);
  });

  it("ignores a durability report for an entry that is no longer in the log", () => {
    const { node } = soloLeader();
    node.propose(new TextEncoder().encode("x"));
    const rd = node.ready();
    node.advanceAsync(rd);
    const last = rd.entries[rd.entries.length - 1] as Entry;
    const commitBefore = node.status().commit;
    node.advanceDurable(last.index, last.term + 1);
    expect(node.status().commit).toBe(commitBefore);
  });

  it("refuses to send a follower's Ready before it is durable", () => {
    const ids = ["a", "b"];
    const storage = MemoryStorage.bootstrap(ids);
    const node = new RawNode(config("b", storage));
    node.step(message({ type: "vote", from: "a", to: "b", term: 2, index: 1, logTerm: 1 }));
    const rd = node.ready();
    // A granted vote must be durable before the reply leaves.
    expect(node.mayAdvanceAsync(rd)).toBe(false);
    expect(() => node.advanceAsync(rd)).toThrow(AssertionError);
  });

  it("applies entries committed by the followers only once the leader's copy is durable", () => {
    const { nodes, storages, settle } = trio();
    const a = nodes.get("a") as RawNode;
    a.campaign();
    settle();
    expect(a.status().role).toBe("leader");
    a.propose(new TextEncoder().encode("y"));
    const rd = a.ready();
    a.advanceAsync(rd);
    const last = rd.entries[rd.entries.length - 1] as Entry;
    // Both followers persist and acknowledge: committed on their copies alone.
    for (const m of rd.messages) {
      const follower = nodes.get(m.to) as RawNode;
      follower.step(m);
      const frd = drive(follower, storages.get(m.to) as MemoryStorage) as Ready;
      for (const resp of frd.messages) a.step(resp);
    }
    expect(a.status().commit).toBe(last.index);
    const held = a.ready();
    expect(held.committedEntries.map((e) => e.index)).not.toContain(last.index);
    a.advanceAsync(held);
    (storages.get("a") as MemoryStorage).append(rd.entries);
    a.advanceDurable(last.index, last.term);
    expect(a.ready().committedEntries.map((e) => e.index)).toContain(last.index);
  });
});
