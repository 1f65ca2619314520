import type { Counter, Gauge } from "prom-client";
import type { AllocDesiredTransitionCommand, Command, NodeDrainCommand } from "../../fsm/commands.js";
import {
  type DrainStrategy,
  drainDeadlineReached,
  type Evaluation,
  type Nanos,
  type Node,
} from "../../fsm/structs.js";
import type { CancelTimer } from "../clock.js";
import type { ServerContext } from "../context.js";
import { jobEvaluation } from "../new-evaluation.js";
import { type DrainDecision, planDrain } from "./drain-plan.js";

/** Nomad's NodeDrainEventComplete. */
export const DRAIN_EVENT_COMPLETE = "Node drain complete";

/** After a failed proposal (a leader change, a full queue), look again this much later. */
const RETRY_MS = 1_000;

const NO_TIMER: CancelTimer = () => undefined;

/**
 * The leader's node drainer (Nomad's nomad/drainer): whenever the state changes while some node
 * drains, and at the earliest drain deadline, it decides with planDrain() and commits the result
 * through Raft:
 * - allocations to migrate: one alloc-desired-transition command setting Migrate on them, with
 *   one evaluation (trigger node-drain) per job so that the schedulers replace them;
 * - drains that are done: one node-drain command clearing their strategy (the node stays
 *   ineligible, as in Nomad) with the event "Node drain complete".
 *
 * Everything it needs is in the replicated state (strategies, deadlines, marks), so a new leader
 * resumes where the old one stopped. One decision runs at a time; changes that arrive meanwhile
 * cause one more, on the state that includes the committed marks, so nothing is marked twice.
 */
export class NodeDrainer {
  private enabled = false;
  /** Bumped on every enable/disable so that a decision of an older term commits nothing more. */
  private generation = 0;
  private scheduled = false;
  private running = false;
  private again = false;
  private cancelDeadline: CancelTimer = NO_TIMER;
  private cancelRetry: CancelTimer = NO_TIMER;
  private deadlineAt: Nanos = 0;
  /**
   * Some node was draining at the last decision. While none is, only a command that can start a
   * drain (node-drain, snapshot-restore) is worth a decision: the rest cost nothing here.
   */
  private watching = false;
  /** Nodes whose deadline was already logged (so that it is logged once per drain). */
  private readonly loggedDeadlines = new Set<string>();
  private readonly drainingNodes: Gauge;
  private readonly migrations: Counter;
  private readonly completions: Counter;

  constructor(private readonly ctx: ServerContext) {
    this.drainingNodes = ctx.metrics.gauge("drover_drain_nodes", "Nodes draining (leader only)");
    this.migrations = ctx.metrics.counter(
      "drover_drain_allocs_migrated_total",
      "Allocations the drainer marked for migration",
    );
    this.completions = ctx.metrics.counter("drover_drain_complete_total", "Node drains that completed");
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.generation++;
    this.cancelTimers();
    this.loggedDeadlines.clear();
    this.again = false;
    this.watching = enabled;
    if (!enabled) {
      this.drainingNodes.set(0);
      return;
    }
    const draining = [...this.ctx.state().nodes()].filter((n) => n.DrainStrategy !== null);
    if (draining.length > 0) {
      this.ctx.logger.info({ nodes: draining.map((n) => n.ID) }, "resuming node drains");
    }
    this.schedule();
  }

  /** The leader's applied-command hook: any change may let a drain move on. */
  applied(command: Command): void {
    if (!this.enabled) return;
    if (command.type === "node-drain") this.logDrainChanges(command);
    if (!this.watching && command.type !== "node-drain" && command.type !== "snapshot-restore") return;
    this.schedule();
  }

  private schedule(): void {
    if (!this.enabled) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    // Decide once per burst of commands, not once per command.
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }

  private run(): void {
    if (!this.enabled || this.running) return;
    this.running = true;
    const generation = this.generation;
    this.decideAndCommit(generation).then(
      () => this.finished(generation, false),
      (error: unknown) => {
        if (generation === this.generation) {
          this.ctx.logger.warn({ err: error }, "node drainer could not commit its decision");
        }
        this.finished(generation, true);
      },
    );
  }

  private finished(generation: number, failed: boolean): void {
    this.running = false;
    if (!this.enabled || generation !== this.generation) {
      // A newer term started while this decision ran: it scheduled its own.
      if (this.enabled) this.schedule();
      return;
    }
    if (failed) {
      this.cancelRetry();
      this.cancelRetry = this.ctx.clock.setTimeout(() => this.schedule(), RETRY_MS);
    }
    if (this.again) {
      this.again = false;
      this.schedule();
    }
  }

  private async decideAndCommit(generation: number): Promise<void> {
    const now = this.ctx.clock.now();
    const decision = planDrain(this.ctx.state(), now);
    this.drainingNodes.set(decision.draining);
    this.watching = decision.draining > 0 || decision.complete.length > 0;
    this.armDeadline(decision.nextDeadline, now);
    this.logDeadlines(decision);
    if (decision.migrate.length > 0) {
      await this.ctx.propose(this.migrateCommand(decision, now));
      this.migrations.inc(decision.migrate.length);
    }
    if (decision.complete.length > 0 && generation === this.generation) {
      await this.ctx.propose(completeCommand(decision.complete, now));
      this.completions.inc(decision.complete.length);
      for (const node of decision.complete) {
        this.loggedDeadlines.delete(node.ID);
        this.ctx.logger.info({ node: node.ID, name: node.Name }, "node drain complete");
      }
    }
  }

  private migrateCommand(decision: DrainDecision, now: Nanos): AllocDesiredTransitionCommand {
    const state = this.ctx.state();
    const transitions: AllocDesiredTransitionCommand["Transitions"] = {};
    const evals = new Map<string, Evaluation>();
    for (const alloc of decision.migrate) {
      transitions[alloc.ID] = { ...alloc.DesiredTransition, Migrate: true };
      const key = `${alloc.Namespace}\u0000${alloc.JobID}`;
      const job = state.jobByID(alloc.Namespace, alloc.JobID);
      if (job !== undefined && !evals.has(key)) evals.set(key, jobEvaluation(job, "node-drain", now));
    }
    for (const alloc of decision.migrate) {
      this.ctx.logger.info(
        { alloc: alloc.ID, node: alloc.NodeID, job: alloc.JobID, group: alloc.TaskGroup },
        "marking allocation for migration",
      );
    }
    return { type: "alloc-desired-transition", Transitions: transitions, Evals: [...evals.values()] };
  }

  /** Wakes the drainer at the earliest deadline still ahead (the injected clock's timer). */
  private armDeadline(deadline: Nanos, now: Nanos): void {
    if (deadline === this.deadlineAt) return;
    this.cancelDeadline();
    this.cancelDeadline = NO_TIMER;
    this.deadlineAt = deadline;
    if (deadline === 0) return;
    const ms = Math.max(0, Math.ceil((deadline - now) / 1e6));
    this.cancelDeadline = this.ctx.clock.setTimeout(() => {
      this.deadlineAt = 0;
      this.cancelDeadline = NO_TIMER;
      this.schedule();
    }, ms);
  }

  private logDeadlines(decision: DrainDecision): void {
    for (const node of decision.deadlined) {
      if (this.loggedDeadlines.has(node.ID)) continue;
      this.loggedDeadlines.add(node.ID);
      this.ctx.logger.info(
        { node: node.ID, name: node.Name },
        "node drain deadline reached: migrating the rest",
      );
    }
  }

  private logDrainChanges(command: NodeDrainCommand): void {
    for (const update of command.Updates) {
      if (update.DrainStrategy !== null && update.Event !== null) {
        this.ctx.logger.info(
          { node: update.NodeID, deadlineNs: update.DrainStrategy.Deadline },
          update.Event.Message.toLowerCase(),
        );
      } else if (update.DrainStrategy === null && update.Event?.Message !== DRAIN_EVENT_COMPLETE) {
        this.ctx.logger.info({ node: update.NodeID }, "node drain disabled");
      }
    }
  }

  private cancelTimers(): void {
    this.cancelDeadline();
    this.cancelDeadline = NO_TIMER;
    this.deadlineAt = 0;
    this.cancelRetry();
    this.cancelRetry = NO_TIMER;
  }
}

/**
 * Ends the drains of `nodes`: strategy cleared, node left ineligible, "Node drain complete" (with
 * Nomad's `deadline_reached` detail when the deadline forced the end). Each update holds only for
 * the drain it ends (IfDrainStartedAt).
 */
function completeCommand(nodes: readonly Node[], now: Nanos): NodeDrainCommand {
  return {
    type: "node-drain",
    Updates: nodes.map((node) => {
      const strategy = node.DrainStrategy as DrainStrategy;
      return {
        NodeID: node.ID,
        DrainStrategy: null,
        MarkEligible: false,
        UpdatedAt: now,
        Event: {
          Message: DRAIN_EVENT_COMPLETE,
          Subsystem: "Drain",
          Details: drainDeadlineReached(strategy, now) ? { deadline_reached: "true" } : {},
          Timestamp: now,
          CreateIndex: 0,
        },
        IfDrainStartedAt: strategy.StartedAt,
      };
    }),
    Evals: [],
  };
}
