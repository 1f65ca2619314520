import { NotLeaderError } from "../common/errors.js";
import { type Logger, silentLogger } from "../common/log.js";
import { AgentMetrics } from "../common/metrics.js";
import type { Command } from "../fsm/commands.js";
import type { StateReader } from "../fsm/state-reader.js";
import type { StateStore } from "../fsm/state-store.js";
import type { Clock } from "./clock.js";
import type { AppliedListener, ProposeResult, ServerContext } from "./context.js";

/**
 * A ServerContext over one real StateStore without replication: a proposal is applied by the
 * real FSM at the next index on a later turn of the event loop (as a Raft commit would be), then
 * the applied listeners run. For unit and in-process integration tests of the leader machinery,
 * and for a single-server development mode. `setLeader(false)` makes proposals fail with
 * NotLeaderError, as on a deposed leader.
 */
export class InProcessContext implements ServerContext {
  readonly logger: Logger;
  readonly metrics: AgentMetrics;
  private leader = true;
  private readonly listeners = new Set<AppliedListener>();
  /** Proposals are applied strictly in order, one per event-loop turn. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly store: StateStore,
    readonly clock: Clock,
    options: { logger?: Logger; metrics?: AgentMetrics } = {},
  ) {
    this.logger = options.logger ?? silentLogger();
    this.metrics = options.metrics ?? new AgentMetrics("in-process", { processMetrics: false });
  }

  setLeader(leader: boolean): void {
    this.leader = leader;
  }

  state(): StateReader {
    return this.store.snapshot();
  }

  async waitForIndex(index: number, signal?: AbortSignal): Promise<void> {
    await this.store.waitForIndex(index, signal);
  }

  propose(command: Command): Promise<ProposeResult> {
    if (!this.leader) return Promise.reject(new NotLeaderError(undefined));
    const applied = this.tail.then(
      () =>
        new Promise<ProposeResult>((resolve, reject) => {
          setImmediate(() => {
            if (!this.leader) {
              reject(new NotLeaderError(undefined));
              return;
            }
            try {
              resolve(this.applyNow(command));
            } catch (error) {
              reject(error);
            }
          });
        }),
    );
    this.tail = applied.catch(() => undefined);
    return applied;
  }

  async barrier(): Promise<number> {
    await this.tail;
    return this.store.index;
  }

  onApplied(listener: AppliedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies a command right now at the next index (test setup: nodes and jobs). */
  applyNow(command: Command): ProposeResult {
    const index = this.store.index + 1;
    const result = this.store.apply(index, command);
    for (const listener of this.listeners) listener(index, command, result);
    return { index, result };
  }
}
