import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker as Thread } from "node:worker_threads";
import { encodeCommand } from "../fsm/command-codec.js";
import { writeSnapshotStream } from "../fsm/snapshot-stream.js";
import type { StateReader } from "../fsm/state-reader.js";
import type { StateStore } from "../fsm/state-store.js";
import type { Evaluation } from "../fsm/structs.js";
import { TABLES } from "../fsm/tables.js";
import type { ScheduleOptions } from "../scheduler/schedule-types.js";
import type { ServerContext } from "./context.js";
import type { ScheduleRun, SchedulerRunner } from "./scheduler-runner.js";
import {
  type AppliedEntry,
  REPLICA_SKIPPED_COMMANDS,
  replicaFingerprint,
  type ThreadRequest,
  type ThreadResponse,
} from "./scheduler-thread-protocol.js";

interface Waiting {
  resolve: (run: ScheduleRun | "drift") => void;
  reject: (error: Error) => void;
}

export interface ThreadSchedulerRunnerOptions {
  /**
   * How long a run waits for the applied hook to catch up with the state, without the hook making
   * any progress, before it assumes the state was replaced without commands and resends it all.
   * Generous by default: the hook trails the state by a whole LevelDB write (the FSM persists a
   * batch before calling the listeners), which takes long on a loaded disk, and a resend of a
   * 100,000-alloc state costs the agent's event loop far more than the wait. Snapshot restores
   * are announced through resync() and need no wait at all.
   */
  resyncAfterMs?: number;
}

const DEFAULT_RESYNC_AFTER_MS = 10_000;

/**
 * Runs schedule() in a worker thread that keeps its own replica of the state (scheduler-thread.ts),
 * so that a schedule() of hundreds of milliseconds (a count-1,000 job on 5,000 nodes) never stalls
 * the agent's event loop and with it Raft's heartbeats and elections (invariant 6).
 *
 * The replica starts from a snapshot stream of the agent's state and is then fed every applied
 * command a scheduler reads through the context's applied hook, in order, one message per applied
 * batch (REPLICA_SKIPPED_COMMANDS are not posted). A schedule request names the agent's index and
 * a fingerprint of its state; the replica first steps over the indexes that carried no command
 * for it (no-ops, membership changes, skipped commands), then checks the fingerprint, and answers
 * "drift" instead of scheduling on a state that differs (e.g. after the agent restored a Raft
 * snapshot); the runner then sends the whole state again.
 */
export class ThreadSchedulerRunner implements SchedulerRunner {
  private readonly thread: Thread;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  /** Highest index whose command has been posted to the replica (or covered by its init). */
  private postedIndex = 0;
  private readonly unsubscribe: () => void;
  private closed = false;
  private dead: Error | undefined;

  private readonly resyncAfterMs: number;

  constructor(
    private readonly ctx: ServerContext,
    private readonly store: Pick<StateStore, "tables">,
    options: ThreadSchedulerRunnerOptions = {},
  ) {
    this.resyncAfterMs = options.resyncAfterMs ?? DEFAULT_RESYNC_AFTER_MS;
    this.thread = new Thread(threadEntry());
    this.thread.unref();
    this.thread.on("message", (message: ThreadResponse) => this.onResponse(message));
    this.thread.on("error", (error: Error) => this.die(error));
    this.thread.on("exit", (code) => this.die(new Error(`scheduler thread exited with code ${code}`)));
    // Subscribe and send the initial state in one synchronous step: no command falls between.
    this.unsubscribe = ctx.onApplied((index, command, _result, data) => {
      if (index <= this.postedIndex) return;
      this.postedIndex = index;
      if (REPLICA_SKIPPED_COMMANDS.has(command.type)) return;
      this.applied.push({ index, data: ownCopy(data ?? encodeCommand(command)) });
      if (this.applied.length === 1) queueMicrotask(() => this.flushApplied());
    });
    this.sendInit();
  }

  async run(
    evaluation: Evaluation,
    minIndex: number,
    options: ScheduleOptions,
    signal?: AbortSignal,
  ): Promise<ScheduleRun> {
    await this.ctx.waitForIndex(minIndex, signal);
    if (this.dead !== undefined) throw this.dead;
    for (let attempt = 0; ; attempt++) {
      const reader = await this.caughtUp(signal);
      const id = this.nextId++;
      const answer = new Promise<ScheduleRun | "drift">((resolve, reject) =>
        this.waiting.set(id, { resolve, reject }),
      );
      this.post({
        type: "schedule",
        id,
        evaluation,
        options,
        mainIndex: reader.index,
        fingerprint: replicaFingerprint(reader),
      });
      const got = await answer;
      if (got !== "drift") return got;
      if (attempt >= 2) throw new Error("scheduler thread: replica keeps drifting from the agent's state");
      this.ctx.logger.warn({ index: reader.index }, "scheduler thread replica drifted; resending the state");
      this.sendInit();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    await this.thread.terminate();
  }

  /**
   * The state was replaced wholesale (a Raft snapshot was installed), without applied commands:
   * send the replica the new state before any further command.
   */
  resync(): void {
    if (!this.closed) this.sendInit();
  }

  /**
   * The agent's latest state once every command it applied has been posted: while a table index
   * is newer than the last posted command, the hook has not run for it yet (the FSM persists a
   * batch before it calls the listeners), so wait a turn; if the hook makes no progress for
   * `resyncAfterMs` (the state was replaced by a snapshot restore nobody announced), resend the
   * whole state.
   */
  private async caughtUp(signal?: AbortSignal): Promise<StateReader> {
    let lastPosted = this.postedIndex;
    let since = performance.now();
    for (;;) {
      const reader = this.ctx.state();
      let newest = 0;
      for (const table of TABLES) newest = Math.max(newest, reader.tableIndex(table));
      if (newest <= this.postedIndex) return reader;
      if (signal?.aborted === true) throw signal.reason;
      if (this.postedIndex !== lastPosted) {
        lastPosted = this.postedIndex;
        since = performance.now();
      } else if (performance.now() - since >= this.resyncAfterMs) {
        this.ctx.logger.warn(
          { index: reader.index, posted: this.postedIndex },
          "scheduler thread: applied hook stalled behind the state; resending the state",
        );
        this.sendInit();
        continue;
      }
      await yieldToEventLoop();
    }
  }

  /**
   * Sends the agent's whole state. Inits are posted in order, and every other message waits
   * behind them: an apply queued meanwhile is either covered by the latest init (its index is not
   * above the init's, so the replica skips it) or follows it.
   */
  private sendInit(): void {
    const tables = this.store.tables();
    this.postedIndex = tables.index;
    this.initsPending++;
    this.initChain = this.initChain
      .then(async () => {
        const chunks: Uint8Array[] = [];
        // The stream packs synchronously and does no I/O, so for-await alone would never let
        // the event loop run: a 100,000-alloc state is seconds of packing (invariant 6).
        for await (const chunk of writeSnapshotStream(tables)) {
          chunks.push(chunk);
          await yieldToEventLoop();
        }
        this.thread.postMessage({ type: "init", chunks } satisfies ThreadRequest);
        this.initsPending--;
        if (this.initsPending > 0) return;
        const queued = this.queued;
        this.queued = [];
        for (const message of queued) this.transfer(message);
      })
      .catch((error: unknown) => this.failAll(error instanceof Error ? error : new Error(String(error))));
  }

  private initsPending = 0;
  private initChain: Promise<void> = Promise.resolve();
  private queued: ThreadRequest[] = [];

  /**
   * Applied commands wait for the end of the current microtask checkpoint and go out as one
   * message: the FSM applies a whole batch of entries synchronously, and each postMessage costs
   * a structured clone and a wake-up of the thread.
   */
  private applied: AppliedEntry[] = [];

  private flushApplied(): void {
    if (this.applied.length === 0) return;
    const entries = this.applied;
    this.applied = [];
    this.send({ type: "apply", entries });
  }

  /** Sends `message` after every applied command noted before it (the replica needs them first). */
  private post(message: ThreadRequest): void {
    this.flushApplied();
    this.send(message);
  }

  private send(message: ThreadRequest): void {
    if (this.initsPending > 0) {
      this.queued.push(message);
      return;
    }
    this.transfer(message);
  }

  /** Posts `message`, handing over (not copying) the buffers of applied entries, owned here. */
  private transfer(message: ThreadRequest): void {
    if (message.type === "apply") {
      this.thread.postMessage(
        message,
        message.entries.map((e) => e.data.buffer as ArrayBuffer),
      );
    } else {
      this.thread.postMessage(message);
    }
  }

  private onResponse(message: ThreadResponse): void {
    const waiting = this.waiting.get(message.id);
    if (waiting === undefined) return;
    this.waiting.delete(message.id);
    if (message.type === "result")
      waiting.resolve({ result: message.result, snapshotIndex: message.snapshotIndex });
    else if (message.type === "drift") waiting.resolve("drift");
    else waiting.reject(new Error(`scheduler thread: ${message.message}`));
  }

  /** The thread is gone (crashed, or closed): every waiting and later run fails with `error`. */
  private die(error: Error): void {
    this.dead ??= error;
    this.failAll(error);
  }

  private failAll(error: Error): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(error);
  }
}

/**
 * A copy in an ArrayBuffer of its own, safe to transfer: entry bytes are often views into a larger
 * buffer (a received message, msgpackr's pool), and Buffer#slice would return another view.
 */
function ownCopy(bytes: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes);
}

/**
 * The compiled thread module. Under vitest this file runs from source (.ts), which a worker thread
 * cannot load; the thread then runs the compiled copy in dist/ (run `npx tsc -p .` first).
 */
function threadEntry(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".js")) return new URL("./scheduler-thread.js", import.meta.url);
  let dir = dirname(here);
  for (let i = 0; i < 6; i++) {
    const compiled = join(dir, "dist", "src", "server", "scheduler-thread.js");
    if (existsSync(join(dir, "package.json"))) {
      if (!existsSync(compiled)) throw new Error(`${compiled} missing: run \`npx tsc -p .\` first`);
      return pathToFileURL(compiled);
    }
    dir = dirname(dir);
  }
  throw new Error("scheduler thread: package root not found");
}
