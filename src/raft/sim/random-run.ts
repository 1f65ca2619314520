/**
 * One seeded random simulation run: a cluster under a random schedule of message deliveries,
 * Ready handling, ticks, proposals, reads, leadership transfers, membership changes, compactions,
 * partitions (symmetric and asymmetric), message loss and duplication, crashes (sometimes between
 * ready() and the fsync, or after a leader sent entries it had not yet made durable) and restarts,
 * and pauses longer than the election timeout (the leader preferred), after which the paused node
 * is asked for a read at once, with its stale beliefs, and the driver's fast failover (a pre-vote
 * at once, by a follower, pre-candidate or candidate). Invariants are checked after every step;
 * at the end the faults stop and the cluster must elect a leader and commit a new entry
 * everywhere (liveness).
 *
 * Same seed, same run: a failure message carries the seed and the command that replays it.
 */
import { SeededRandom } from "../../common/rand.js";
import { ConfChangeRejectedError, ProposalDroppedError } from "../core/errors.js";
import type { ConfChange, RaftId } from "../core/types.js";
import { EMPTY_BYTES } from "../core/types.js";
import { type ClusterOptions, SimCluster } from "./sim-cluster.js";

export interface RunOptions {
  steps: number;
  /** Every message, role change and fault of the run, for reading a failure step by step. */
  trace?: (line: string) => void;
}

export interface RunResult {
  seed: number;
  steps: number;
  committed: number;
  leaders: number;
  confChanges: number;
  crashes: number;
  /** Crashes that lost writes a leader had sent before making them durable. */
  unsyncedTailsLost: number;
  snapshotsSent: number;
  /** Snapshots sent at a later index than the core asked for (ClusterOptions.freshSnapshots). */
  freshSnapshotsSent: number;
  pauses: number;
  /** Conf changes proposed to add back a server that had been removed. */
  rejoins: number;
  /** Reads answered (a ReadIndex result delivered to the node that asked). */
  reads: number;
  /** Pre-votes started at once, as the driver does when its leader's stream breaks. */
  fastPreVotes: number;
}

export class SimulationFailure extends Error {
  override name = "SimulationFailure";
  constructor(
    readonly seed: number,
    readonly step: number,
    readonly failure: unknown,
    readonly steps: number,
  ) {
    const why = failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure);
    super(
      `raft simulation failed: seed ${seed}, step ${step}: ${why}\n` +
        `  replay: RAFT_SIM_SEED=${seed} RAFT_SIM_STEPS=${steps} npx vitest run test/sim/raft-sim.test.ts`,
    );
  }
}

function randomOptions(seed: number, rand: SeededRandom): ClusterOptions {
  const checkQuorum = rand.next() < 0.7;
  return {
    seed,
    preVote: rand.next() < 0.7,
    checkQuorum,
    // Lease reads are only as good as bounded clock drift, which independent simulated clocks do
    // not have; the random runs check the safe (heartbeat-confirmed) reads.
    readOnlyOption: "safe",
    maxInflightMsgs: 1 + rand.int(8),
    // Sometimes one entry per message, so replication can stop between any two entries.
    maxSizePerMsg: rand.next() < 0.3 ? 1 : 32 + rand.int(256),
    electionTick: 10,
    heartbeatTick: 1 + rand.int(3),
    disableProposalForwarding: rand.next() < 0.3,
    // Mostly as the production leader writes (send before fsync), sometimes persist-first.
    asyncWrites: rand.next() < 0.8,
    // Half the seeds send snapshots as Drover's servers do (taken at send time). Drawn from the
    // seed, not `rand`, so that every other choice of a seed stays what it was.
    freshSnapshots: seed % 2 === 1,
  };
}

export function runSeed(seed: number, options: RunOptions): RunResult {
  const rand = new SeededRandom(seed ^ 0x5eed);
  const cluster = new SimCluster(randomOptions(seed, rand));
  cluster.trace = options.trace;
  cluster.reportUnreachableRate = 0.5;
  // Now and then a single founder bootstraps alone and the others join it by conf changes.
  const shape = rand.next();
  const founders = Array.from({ length: shape < 0.1 ? 1 : shape < 0.6 ? 3 : 5 }, (_, i) => `n${i + 1}`);
  cluster.addFounders(founders);
  let nextId = founders.length + 1;
  let step = 0;
  const stats = {
    committed: 0,
    leaders: 0,
    confChanges: 0,
    crashes: 0,
    unsyncedTailsLost: 0,
    snapshotsSent: 0,
    pauses: 0,
    rejoins: 0,
    fastPreVotes: 0,
  };
  // The one paused node, and how many ticks the others must get before it resumes.
  let pausedNode: RaftId | undefined;
  let resumeAfterTicks = 0;
  let proposals = 0;
  let reads = 0;

  const crash = (id: RaftId): void => {
    if (cluster.node(id).pendingWrites.some((w) => w.entries.length > 0)) stats.unsyncedTailsLost++;
    cluster.crash(id);
    stats.crashes++;
  };
  const pick = <T>(xs: readonly T[]): T | undefined =>
    xs.length === 0 ? undefined : xs[rand.int(xs.length)];
  const upIds = (): RaftId[] => cluster.upIds();
  const members = (): RaftId[] => {
    const l = cluster.leader();
    return l === undefined ? [] : [...cluster.node(l).rawNode().status().config.voters];
  };
  const refused = (error: unknown): boolean =>
    error instanceof ProposalDroppedError || error instanceof ConfChangeRejectedError;

  const doOne = (): void => {
    const r = rand.next();
    if (r < 0.4) {
      const m = cluster.network.takeRandom();
      if (m !== undefined) {
        if (m.type === "snap") stats.snapshotsSent++;
        cluster.deliver(m);
      }
    } else if (r < 0.56) {
      const id = pick(upIds());
      // Now and then the machine dies between ready() and the fsync: that Ready is lost entirely.
      if (id !== undefined) cluster.processReady(id, rand.next() < 0.003);
    } else if (r < 0.62) {
      // A leader's write that went out before its fsync becomes durable (the disk is slower
      // than the network at random; a crash meanwhile loses the write).
      const id = pick(upIds().filter((i) => cluster.node(i).pendingWrites.length > 0));
      if (id !== undefined) cluster.syncWrite(id);
    } else if (r < 0.82) {
      const id = pick(upIds());
      if (id !== undefined) {
        cluster.node(id).rawNode().tick();
        if (pausedNode !== undefined && --resumeAfterTicks <= 0) resume();
      }
    } else if (r < 0.91) {
      const id = pick(upIds());
      if (id === undefined) return;
      try {
        cluster
          .node(id)
          .rawNode()
          .propose(new TextEncoder().encode(`p${seed}-${proposals++}`));
      } catch (error) {
        if (!refused(error)) throw error;
      }
    } else if (r < 0.94) {
      // Half the reads go to a node that believes it leads: a deposed leader that has not heard
      // of its successor yet must not answer them from its stale state.
      const leaders = upIds().filter((id) => cluster.node(id).rawNode().status().role === "leader");
      const id = rand.next() < 0.5 ? (pick(leaders) ?? pick(upIds())) : pick(upIds());
      if (id !== undefined) read(id);
    } else {
      fault();
    }
  };

  const read = (id: RaftId): void => {
    const ctx = `r${reads++}`;
    cluster.trace?.(`read ${ctx} issued to ${id} (committed so far: ${cluster.checker.committedIndex})`);
    cluster.checker.onReadIssued(ctx);
    try {
      cluster.node(id).rawNode().readIndex(new TextEncoder().encode(ctx));
    } catch (error) {
      if (!refused(error)) throw error;
    }
  };

  /**
   * Pauses a node (the leader when there is one, most of the time) until the others have had
   * about two election timeouts of ticks: long enough for them to elect a new leader and commit.
   */
  const pause = (): void => {
    const running = upIds();
    if (pausedNode !== undefined || running.length < 2) return;
    const l = cluster.leader();
    const id = l !== undefined && !cluster.paused.has(l) && rand.next() < 0.7 ? l : pick(running);
    if (id === undefined) return;
    cluster.pause(id);
    pausedNode = id;
    resumeAfterTicks = 2 * cluster.options.electionTick * (running.length - 1);
    stats.pauses++;
  };

  /** Resumes the paused node; it fires its overdue timer and is asked for a read straight away. */
  const resume = (): void => {
    const id = pausedNode;
    if (id === undefined) return;
    pausedNode = undefined;
    if (!cluster.paused.has(id)) return; // crashed while paused
    cluster.resume(id);
    cluster.node(id).rawNode().tick();
    read(id);
  };

  const fault = (): void => {
    if (rand.next() < 0.08) {
      pause();
      return;
    }
    const r = rand.next();
    const all = cluster.ids();
    if (r < 0.12) {
      const id = pick(upIds());
      if (id !== undefined && upIds().length > 1) {
        crash(id);
      }
    } else if (r < 0.3) {
      const down = all.filter((id) => !cluster.node(id).up);
      const id = pick(down);
      if (id !== undefined) cluster.restart(id);
    } else if (r < 0.38) {
      const shuffled = rand.shuffle([...all]);
      const l = cluster.leader();
      if (l !== undefined && rand.next() < 0.5) {
        // The leader keeps the largest minority: followers that still ack its heartbeats while
        // the majority elects another leader (reads it answers must still wait for a quorum).
        const others = shuffled.filter((id) => id !== l);
        const keep = Math.floor((members().length - 1) / 2);
        cluster.network.partition([[l, ...others.slice(0, keep)], others.slice(keep)]);
      } else {
        const cut = 1 + rand.int(Math.max(1, shuffled.length - 1));
        cluster.network.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
      }
    } else if (r < 0.44) {
      const a = pick(all);
      const b = pick(all);
      if (a !== undefined && b !== undefined && a !== b) cluster.network.cutLink(a, b);
    } else if (r < 0.58) {
      cluster.network.heal();
    } else if (r < 0.64) {
      cluster.network.faults = { dropRate: rand.next() * 0.2, duplicateRate: rand.next() * 0.1 };
    } else if (r < 0.78) {
      confChange();
    } else if (r < 0.88) {
      const id = pick(upIds());
      if (id === undefined) return;
      const node = cluster.node(id);
      const applied = node.app.applied;
      const snap = node.storage.snapshot().metadata.index;
      if (applied > snap) node.compact(snap + 1 + rand.int(applied - snap));
    } else if (r < 0.94) {
      // The driver's fast failover (raft-node.ts): a follower whose leader's stream broke, or a
      // node whose retry found no leader yet (a pre-candidate, or a candidate of a split vote),
      // pre-votes at once instead of waiting for its election timeout.
      const id = pick(upIds().filter((i) => cluster.node(i).rawNode().status().role !== "leader"));
      if (id !== undefined) {
        stats.fastPreVotes++;
        cluster.node(id).rawNode().forgetLeaderAndPreVote();
      }
    } else {
      const l = cluster.leader();
      const target = pick(members());
      if (l !== undefined && target !== undefined) cluster.node(l).rawNode().transferLeadership(target);
    }
  };

  const confChange = (): void => {
    const l = cluster.leader();
    if (l === undefined) return;
    const leader = cluster.node(l).rawNode();
    const cfg = leader.status().config;
    const r = rand.next();
    let cc: ConfChange;
    const size = cfg.voters.length + cfg.learners.length;
    if (r < 0.35 && size < 7) {
      // Half the time a server that was removed (or never made it in) rejoins with its old data.
      const outside = cluster.ids().filter((id) => !cfg.voters.includes(id) && !cfg.learners.includes(id));
      let id = rand.next() < 0.5 ? pick(outside) : undefined;
      if (id === undefined) {
        id = `n${nextId++}`;
        cluster.addJoiner(id);
      } else {
        stats.rejoins++;
      }
      cc = { type: rand.next() < 0.5 ? "addLearner" : "addVoter", nodeId: id, context: EMPTY_BYTES };
    } else if (r < 0.6 && cfg.learners.length > 0) {
      cc = { type: "addVoter", nodeId: pick(cfg.learners) as RaftId, context: EMPTY_BYTES };
    } else if (cfg.voters.length > 2 || (cfg.voters.length === 2 && r > 0.9)) {
      cc = {
        type: "removeNode",
        nodeId: pick([...cfg.voters, ...cfg.learners]) as RaftId,
        context: EMPTY_BYTES,
      };
    } else {
      return;
    }
    try {
      leader.proposeConfChange(cc);
      stats.confChanges++;
    } catch (error) {
      if (!refused(error)) throw error;
    }
  };

  const seenLeaders = new Set<string>();
  let nemesis = true;
  const check = (): void => {
    cluster.checkInvariants();
    const l = cluster.leader();
    if (l === undefined) return;
    const key = `${l}@${cluster.node(l).rawNode().status().term}`;
    if (seenLeaders.has(key)) return;
    seenLeaders.add(key);
    // Nemesis: a brand-new leader is often crashed or cut off before its first entries spread.
    // That leaves leaders of intermediate terms with unreplicated entries — the shape of Raft's
    // Figure 8, where committing an earlier-term entry by counting replicas would lose it.
    if (!nemesis) return;
    const r = rand.next();
    if (r < 0.15 && upIds().length > 1) {
      crash(l);
    } else if (r < 0.3) {
      cluster.network.isolate(l, cluster.ids());
    }
  };

  try {
    for (; step < options.steps; step++) {
      doOne();
      check();
    }
    step = options.steps;
    nemesis = false;
    resume();
    liveness(cluster, rand, seed, () => check());
  } catch (error) {
    throw new SimulationFailure(seed, step, error, options.steps);
  }
  stats.leaders = seenLeaders.size;
  stats.committed = cluster.checker.committedIndex;
  return {
    seed,
    steps: options.steps,
    ...stats,
    freshSnapshotsSent: cluster.freshSnapshotsSent,
    reads: cluster.reads.length,
  };
}

/**
 * After the faults stop (network healed, no loss, every member restarted) the cluster must elect a
 * leader and commit a fresh entry on every live voter within a bounded number of ticks.
 */
function liveness(cluster: SimCluster, rand: SeededRandom, seed: number, check: () => void): void {
  cluster.network.heal();
  cluster.network.faults = { dropRate: 0, duplicateRate: 0 };
  for (const id of cluster.ids()) if (!cluster.node(id).up) cluster.restart(id);
  const marker = new TextEncoder().encode(`final-${seed}`);
  let proposedAt: number | undefined;
  let proposedTerm = -1;
  for (let round = 0; round < 400; round++) {
    for (const id of cluster.upIds()) cluster.node(id).rawNode().tick();
    cluster.stabilize();
    check();
    const l = cluster.leader();
    if (l === undefined) continue;
    const leader = cluster.node(l);
    const status = leader.rawNode().status();
    // (Re-)propose under each new leader: an entry of a deposed leader may be overwritten.
    if (status.term !== proposedTerm) {
      try {
        leader.rawNode().propose(marker);
        cluster.stabilize();
        proposedAt = status.lastIndex + 1;
        proposedTerm = status.term;
      } catch (error) {
        if (!(error instanceof ProposalDroppedError)) throw error;
      }
      continue;
    }
    if (proposedAt === undefined) continue;
    const voters = leader.rawNode().status().config.voters;
    const done = voters.every((v) => {
      const n = cluster.nodes.get(v);
      return n?.up === true && n.app.applied >= (proposedAt as number);
    });
    if (done) return;
  }
  void rand;
  const lines = cluster.ids().map((id) => {
    const raw = cluster.node(id).raw;
    if (raw === undefined) return `${id}: down`;
    const s = raw.status();
    return `${id}: ${s.role} term=${s.term} lead=${s.lead} commit=${s.commit} last=${s.lastIndex} voters=${s.config.voters.join(",")} learners=${s.config.learners.join(",")}`;
  });
  throw new Error(
    `liveness: no leader committed a new entry on all voters after the faults stopped\n${lines.join("\n")}`,
  );
}
