/**
 * Scripted Raft scenarios with golden traces (in the manner of etcd-io/raft's interaction tests).
 *
 * A script is a list of commands, one per line; `#` starts a comment. Running it renders each
 * command as `> command` followed by what happened (messages sent, role changes, applies, reads,
 * status), so the expected behaviour is checked in as readable text. Commands:
 *
 *   add-nodes N                 N founding voters 1..N (first time) or N empty joiners after that
 *   campaign ID                 ID starts an election now
 *   prevote-now ID              ID forgets its leader and starts a (pre-)vote at once
 *   forget-leader ID            ID (a follower) forgets its leader, so it grants votes at once
 *   propose ID DATA             ID proposes DATA (forwarded if ID is a follower)
 *   read-index ID CTX           ID requests a linearizable read tagged CTX
 *   transfer ID TARGET          ID (the leader, or forwarded) transfers leadership to TARGET
 *   add-learner ID | add-voter ID | promote ID | remove ID     conf change through the leader
 *   compact ID INDEX            ID snapshots at INDEX and drops the log up to it
 *   partition A B | C ...       cut links between the groups; `heal` restores all links
 *   cut FROM TO                 FROM can no longer reach TO (asymmetric)
 *   crash ID / restart ID       lose everything not persisted / start again from storage
 *   pause ID / resume ID        ID keeps its state but steps, ticks and handles nothing (messages
 *                               for it wait) / ID carries on where it stopped
 *   tick ID N                   N ticks on ID (its Readies are handled by the next stabilize)
 *   tick-all N                  N rounds of: one tick on every live node, then stabilize
 *   drop-all                    lose every message in flight
 *   deliver ID                  deliver (FIFO) the messages in flight addressed to ID, nothing else
 *   process ID                  ID handles one Ready (persist, send, apply, advance; an eligible
 *                               leader Ready: send, queue the write, apply, advance — see SimNode)
 *   sync ID                     ID's oldest write sent before its fsync becomes durable
 *   pending ID                  ID's writes sent before their fsync (lost if it crashes now)
 *   process-crash ID            ID takes a Ready and crashes before persisting it
 *   log ID                      ID's log as index/term pairs
 *   stabilize                   deliver messages and handle Readies until nothing moves
 *   status                      one line per node
 *   expect-leader ID | expect-no-leader | expect-commit ID N | expect-role ID ROLE   assertions
 */
import { assert } from "../../common/assert.js";
import type { ConfChange, RaftId } from "../core/types.js";
import { EMPTY_BYTES } from "../core/types.js";
import { formatMessage } from "./format.js";
import { type ClusterOptions, DEFAULT_CLUSTER_OPTIONS, SimCluster } from "./sim-cluster.js";

export class ScenarioError extends Error {
  override name = "ScenarioError";
}

/** Runs a script; returns the rendered trace (commands, their output, comments). */
export function runScenario(script: string, options: Partial<ClusterOptions> = {}): string {
  let cluster = new SimCluster({ ...DEFAULT_CLUSTER_OPTIONS, ...options });
  const out: string[] = [];
  let lineNo = 0;
  for (const raw of script.split("\n")) {
    lineNo++;
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      out.push(line);
      continue;
    }
    if (!line.startsWith("> ")) continue; // an output line from a previous rendering
    const command = line.slice(2).trim();
    out.push(`> ${command}`);
    const lines: string[] = [];
    cluster.trace = (l) => lines.push(l);
    try {
      if (command.startsWith("options ")) {
        cluster = new SimCluster({ ...DEFAULT_CLUSTER_OPTIONS, ...options, ...parseOptions(command) });
      } else {
        runCommand(cluster, command, lines);
      }
    } catch (error) {
      if (error instanceof ScenarioError) {
        const tail = [...out, ...lines].slice(-60).join("\n");
        throw new ScenarioError(`line ${lineNo}: ${error.message}\n--- trace so far (tail) ---\n${tail}`);
      }
      throw error;
    }
    out.push(...lines, "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

function parseOptions(command: string): Partial<ClusterOptions> {
  const o: Record<string, unknown> = {};
  for (const kv of command.split(/\s+/).slice(1)) {
    const [k, v] = kv.split("=");
    if (k === undefined || v === undefined) throw new ScenarioError(`bad option ${kv}`);
    o[k] = v === "true" ? true : v === "false" ? false : /^\d+$/.test(v) ? Number(v) : v;
  }
  return o as Partial<ClusterOptions>;
}

function runCommand(c: SimCluster, command: string, out: string[]): void {
  const [verb, ...args] = command.split(/\s+/);
  const arg = (i: number): string => {
    const a = args[i];
    if (a === undefined) throw new ScenarioError(`${verb}: missing argument ${i + 1}`);
    return a;
  };
  const num = (i: number): number => {
    const n = Number(arg(i));
    if (!Number.isInteger(n)) throw new ScenarioError(`${verb}: argument ${i + 1} must be an integer`);
    return n;
  };
  const attempt = (f: () => void): void => {
    try {
      f();
    } catch (error) {
      // Expected, typed refusals (ProposalDropped, ConfChangeRejected) are part of the trace.
      if (error instanceof Error && /Dropped|Rejected/.test(error.name)) out.push(`error: ${error.message}`);
      else throw error;
    }
  };
  switch (verb) {
    case "add-nodes": {
      const n = num(0);
      const start = c.nodes.size + 1;
      const ids = Array.from({ length: n }, (_, i) => String(start + i));
      if (c.nodes.size === 0) c.addFounders(ids);
      else for (const id of ids) c.addJoiner(id);
      out.push(`added ${ids.join(" ")}${start === 1 ? " (voters)" : " (empty, not yet members)"}`);
      return;
    }
    case "campaign":
      c.node(arg(0)).rawNode().campaign();
      return;
    case "forget-leader":
      c.node(arg(0)).rawNode().forgetLeader();
      return;
    case "prevote-now":
      c.node(arg(0)).rawNode().forgetLeaderAndPreVote();
      return;
    case "propose":
      attempt(() =>
        c
          .node(arg(0))
          .rawNode()
          .propose(new TextEncoder().encode(arg(1))),
      );
      return;
    case "read-index":
      c.checker.onReadIssued(arg(1));
      attempt(() =>
        c
          .node(arg(0))
          .rawNode()
          .readIndex(new TextEncoder().encode(arg(1))),
      );
      return;
    case "transfer":
      c.node(arg(0)).rawNode().transferLeadership(arg(1));
      return;
    case "add-learner":
    case "add-voter":
    case "promote":
    case "remove": {
      const type: ConfChange["type"] =
        verb === "add-learner" ? "addLearner" : verb === "remove" ? "removeNode" : "addVoter";
      const leader = c.leader();
      if (leader === undefined) {
        out.push("error: no leader");
        return;
      }
      attempt(() =>
        c
          .node(leader)
          .rawNode()
          .proposeConfChange({ type, nodeId: arg(0), context: EMPTY_BYTES }),
      );
      return;
    }
    case "compact": {
      const ok = c.node(arg(0)).compact(num(1));
      out.push(ok ? `${arg(0)} compacted up to ${num(1)}` : `${arg(0)} cannot compact to ${num(1)}`);
      return;
    }
    case "partition": {
      const groups = args
        .join(" ")
        .split("|")
        .map((g) =>
          g
            .trim()
            .split(/\s+/)
            .filter((s) => s !== ""),
        );
      c.network.partition(groups);
      return;
    }
    case "cut":
      c.network.cutLink(arg(0), arg(1));
      return;
    case "heal":
      c.network.heal();
      return;
    case "crash":
      c.crash(arg(0));
      return;
    case "restart":
      c.restart(arg(0));
      return;
    case "pause":
      c.pause(arg(0));
      return;
    case "resume":
      c.resume(arg(0));
      return;
    case "tick": {
      if (c.paused.has(arg(0))) throw new ScenarioError(`tick: ${arg(0)} is paused`);
      const raw = c.node(arg(0)).rawNode();
      for (let i = 0; i < num(1); i++) raw.tick();
      return;
    }
    case "tick-all": {
      const n = num(0);
      // Ticks are noisy (heartbeats): only the rounds where something other than a heartbeat
      // exchange happened are worth reading; show those.
      const trace = c.trace;
      for (let i = 0; i < n; i++) {
        const round: string[] = [];
        c.trace = (l) => round.push(l);
        for (const id of c.upIds()) c.node(id).rawNode().tick();
        c.stabilize();
        if (round.some((l) => !/ (heartbeat|heartbeatResp) /.test(l))) {
          out.push(`-- tick ${i + 1}`);
          out.push(...round);
        }
      }
      c.trace = trace;
      return;
    }
    case "drop-all": {
      let n = 0;
      while (c.network.takeFirst() !== undefined) n++;
      out.push(`dropped ${n} messages`);
      return;
    }
    case "stabilize":
      c.stabilize();
      return;
    case "deliver": {
      const ms = c.network.takeAddressedTo(arg(0));
      for (const m of ms) {
        out.push(`  deliver ${formatMessage(m)}`);
        c.deliver(m);
      }
      c.checkInvariants();
      return;
    }
    case "process":
      if (!c.processReady(arg(0))) out.push(`${arg(0)} has no Ready`);
      c.checkInvariants();
      return;
    case "sync":
      if (!c.syncWrite(arg(0))) out.push(`${arg(0)} has no pending write`);
      c.checkInvariants();
      return;
    case "pending": {
      const writes = c.node(arg(0)).pendingWrites;
      const ranges = writes.map((w) => {
        const first = w.entries[0];
        const last = w.entries[w.entries.length - 1];
        const ents =
          first === undefined || last === undefined ? "no entries" : `${first.index}..${last.index}`;
        return w.hardState === undefined ? ents : `${ents} + commit ${w.hardState.commit}`;
      });
      out.push(`${arg(0)} pending: ${ranges.length === 0 ? "none" : ranges.join("; ")}`);
      return;
    }
    case "process-crash":
      c.processReady(arg(0), true);
      return;
    case "log": {
      const n = c.node(arg(0));
      const raw = n.rawNode();
      const terms: string[] = [];
      for (let i = raw.firstIndex() - 1; i <= raw.status().lastIndex; i++)
        terms.push(`${i}/${raw.logTerm(i)}`);
      out.push(`${arg(0)} log: ${terms.join(" ")} (first ${raw.firstIndex()})`);
      return;
    }
    case "status":
      for (const id of c.ids()) out.push(statusLine(c, id));
      return;
    case "expect-leader":
      expect(c.leader() === arg(0), () => `expected leader ${arg(0)}, got ${c.leader() ?? "none"}`);
      out.push(`ok: leader is ${arg(0)}`);
      return;
    case "expect-no-leader":
      expect(c.leader() === undefined, () => `expected no leader, got ${c.leader()}`);
      out.push("ok: no leader");
      return;
    case "expect-commit": {
      const commit = c.node(arg(0)).rawNode().status().commit;
      expect(commit === num(1), () => `expected ${arg(0)} commit ${num(1)}, got ${commit}`);
      out.push(`ok: ${arg(0)} commit is ${num(1)}`);
      return;
    }
    case "expect-role": {
      const role = c.node(arg(0)).rawNode().status().role;
      expect(role === arg(1), () => `expected ${arg(0)} to be ${arg(1)}, got ${role}`);
      out.push(`ok: ${arg(0)} is ${arg(1)}`);
      return;
    }
    default:
      throw new ScenarioError(`unknown command ${verb}`);
  }
}

function expect(condition: boolean, message: () => string): void {
  if (!condition) throw new ScenarioError(`expectation failed: ${message()}`);
}

function statusLine(c: SimCluster, id: RaftId): string {
  const n = c.node(id);
  if (n.raw === undefined) return `${id}: down`;
  if (c.paused.has(id)) return `${id}: paused`;
  const s = n.raw.status();
  const cfg = `voters=${s.config.voters.join(",")}${s.config.learners.length > 0 ? ` learners=${s.config.learners.join(",")}` : ""}`;
  let line = `${id}: ${s.role} term=${s.term} vote=${s.vote || "-"} lead=${s.lead || "-"} last=${s.lastIndex} commit=${s.commit} applied=${s.applied} ${cfg}`;
  if (s.role === "leader") {
    const prs = [...s.progress].map(([pid, p]) => `${pid}:${p.state}(${p.match}/${p.next})`).join(" ");
    line += ` progress ${prs}`;
  }
  assert(s.commit >= s.applied, "commit >= applied");
  return line;
}
