import type { Logger } from "../common/log.js";
import type { AgentMetrics } from "../common/metrics.js";
import type { Command } from "../fsm/commands.js";
import type { StateReader } from "../fsm/state-reader.js";
import type { Clock } from "./clock.js";

export type { Command };

/** What a committed proposal gives back: its Raft index and the FSM's result at that index. */
export interface ProposeResult {
  readonly index: number;
  readonly result: unknown;
}

/**
 * Called after the local FSM applied `command` at `index`, synchronously and in log order, on
 * every server (like Nomad's FSM hooks into the broker and blocked evals). The listener must not
 * throw and must not await: it only records work for the leader's duties to do. `data`, when the
 * implementation has it, is the command's encoded form (the Raft entry's bytes), which saves
 * re-encoding it.
 */
export type AppliedListener = (index: number, command: Command, result: unknown, data?: Uint8Array) => void;

/**
 * Everything the leader's machinery (broker, blocked evals, plan applier, heartbeats, periodic
 * launches) and the scheduler workers need from the server agent. The agent implements it over
 * the real Raft node and state store; tests implement it with InProcessContext (a real StateStore
 * applied at increasing indexes, without replication).
 */
export interface ServerContext {
  readonly logger: Logger;
  readonly metrics: AgentMetrics;
  /** Wall clock (ns) and timers: a ManualClock in tests. */
  readonly clock: Clock;

  /** The latest local state: an immutable snapshot (O(1)). */
  state(): StateReader;

  /** Resolves once the local FSM has applied `index` (rejects if the signal aborts). */
  waitForIndex(index: number, signal?: AbortSignal): Promise<void>;

  /**
   * Proposes a command through Raft (leader only; rejects with NotLeaderError otherwise) and
   * resolves once it is committed AND applied locally, with the FSM's result at its index.
   */
  propose(command: Command): Promise<ProposeResult>;

  /**
   * Resolves with an index such that everything committed before the call is applied locally
   * (a new leader's barrier before it rebuilds its duties from state, Raft §5.4.2 / §8).
   */
  barrier(): Promise<number>;

  /** Subscribes to commands applied by the local FSM; returns the unsubscribe function. */
  onApplied(listener: AppliedListener): () => void;
}
