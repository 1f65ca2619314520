/**
 * The apply loop's queue: tasks (committed entries, an installed snapshot) run strictly one after
 * another, in the order they were pushed, off the Ready loop — so a slow state machine delays
 * neither persistence nor replication, and the Ready loop never awaits the state machine.
 *
 * Invariant: at most one task runs at a time; a failed task stops the loop (the remaining tasks
 * are dropped and `onError` is told once: a server that failed to apply must not go on).
 */
export class ApplyQueue<T> {
  private readonly tasks: T[] = [];
  private running = false;
  private failed = false;
  /** Settles when the loop running now has nothing left (undefined: not running). */
  private draining: Promise<void> | undefined;

  constructor(
    private readonly run: (task: T) => Promise<void>,
    private readonly onError: (error: unknown) => void,
    /** Checked before each task: a stopped server applies nothing more. */
    private readonly stopped: () => boolean,
    /**
     * Joins two queued tasks into one (undefined: keep them apart). Committed entries that queued
     * up while the state machine was busy go to it in one call: a state machine on another
     * thread costs a round trip per call, and one call per Ready would make a fast Raft loop
     * feed a slow state machine many small batches.
     */
    private readonly merge: (first: T, next: T) => T | undefined = () => undefined,
  ) {}

  /** Whether a task is running (or about to). */
  get busy(): boolean {
    return this.running;
  }

  /** Resolves once no task is running or queued (after a failure: once it was reported). */
  async idle(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  push(task: T): void {
    if (this.failed) return;
    this.tasks.push(task);
    if (this.running) return;
    this.running = true;
    this.draining = this.drain().then(
      () => {
        this.running = false;
        this.draining = undefined;
      },
      (error: unknown) => {
        this.running = false;
        this.draining = undefined;
        this.failed = true;
        this.tasks.length = 0;
        this.onError(error);
      },
    );
  }

  private async drain(): Promise<void> {
    // Start a microtask later, so that tasks pushed in the same synchronous run (the batches one
    // port message carries to main, the Readies of one turn) already join the first call.
    await Promise.resolve();
    for (let task = this.tasks.shift(); task !== undefined; task = this.tasks.shift()) {
      if (this.stopped()) {
        this.tasks.length = 0;
        return;
      }
      for (let next = this.tasks[0]; next !== undefined; next = this.tasks[0]) {
        const merged = this.merge(task, next);
        if (merged === undefined) break;
        task = merged;
        this.tasks.shift();
      }
      await this.run(task);
    }
  }
}
