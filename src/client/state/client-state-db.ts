import { ClassicLevel } from "classic-level";
import { Packr } from "msgpackr";
import { type LevelOp, writeLevelBatch } from "../../common/level-batch.js";
import type { Allocation, Job } from "../../fsm/index.js";

/**
 * The client's local state in LevelDB (`<data_dir>/client/state`), what lets an agent killed with
 * -9 come back and re-attach to its tasks instead of running them twice:
 *
 *   node/identity              → { ID, SecretID } (the node keeps its identity across restarts)
 *   alloc/<alloc id>           → { alloc, job } as last received from the servers
 *   task/<alloc id>/<task>     → the task runner's own record (its driver handle and task state)
 *
 * Every write is fsynced before it resolves: a task handle that is not durable when its process
 * is already running could be lost by a crash, and the task started a second time. Writes issued
 * in the same event-loop turn share one batch and one fsync (200 tasks starting at once cost a
 * handful of fsyncs, not 200).
 */
export interface NodeIdentity {
  ID: string;
  SecretID: string;
}

export interface StoredAlloc {
  alloc: Allocation;
  job: Job;
}

type Db = ClassicLevel<string, Uint8Array>;

const packr = new Packr({ useRecords: false, moreTypes: false });

export class ClientStateDb {
  private queued: Array<{ op: LevelOp<string, Uint8Array>; done: () => void; fail: (e: unknown) => void }> =
    [];
  private flushScheduled = false;
  private inFlight = false;
  private closed = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly db: Db) {}

  /** Opens (creating) the state DB in `dir`; a dir that cannot be written is an error here. */
  static async open(dir: string): Promise<ClientStateDb> {
    const db: Db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: "utf8", valueEncoding: "view" });
    await db.open();
    return new ClientStateDb(db);
  }

  async nodeIdentity(): Promise<NodeIdentity | undefined> {
    return this.get<NodeIdentity>("node/identity");
  }

  putNodeIdentity(identity: NodeIdentity): Promise<void> {
    return this.put("node/identity", identity);
  }

  putAlloc(alloc: Allocation, job: Job): Promise<void> {
    return this.put(`alloc/${alloc.ID}`, { alloc, job } satisfies StoredAlloc);
  }

  async allocs(): Promise<StoredAlloc[]> {
    const out: StoredAlloc[] = [];
    for await (const value of this.db.values({ gt: "alloc/", lt: "alloc0" })) {
      out.push(packr.unpack(value) as StoredAlloc);
    }
    return out;
  }

  putTask(allocId: string, taskName: string, record: unknown): Promise<void> {
    return this.put(`task/${allocId}/${taskName}`, record);
  }

  /** The task records of one allocation, by task name. */
  async tasks<T>(allocId: string): Promise<Map<string, T>> {
    const prefix = `task/${allocId}/`;
    const out = new Map<string, T>();
    for await (const [key, value] of this.db.iterator({ gt: prefix, lt: `${prefix}\xff` })) {
      out.set(key.slice(prefix.length), packr.unpack(value) as T);
    }
    return out;
  }

  /** Deletes an allocation and every task record under it, in one atomic write. */
  async deleteAlloc(allocId: string): Promise<void> {
    const keys = [`alloc/${allocId}`];
    const prefix = `task/${allocId}/`;
    for await (const key of this.db.keys({ gt: prefix, lt: `${prefix}\xff` })) keys.push(key);
    await Promise.all(keys.map((key) => this.enqueue({ type: "del", key })));
  }

  /** Writes what is queued, then closes; later writes fail. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.queued.length > 0) this.flush();
    // Each batch, when done, starts the next one if more was queued: wait for the last.
    while (this.inFlight || this.queued.length > 0) await this.writing;
    await this.db.close();
  }

  private async get<T>(key: string): Promise<T | undefined> {
    const value = await this.db.get(key);
    return value === undefined ? undefined : (packr.unpack(value) as T);
  }

  private put(key: string, value: unknown): Promise<void> {
    return this.enqueue({ type: "put", key, value: packr.pack(value) });
  }

  private enqueue(op: LevelOp<string, Uint8Array>): Promise<void> {
    return new Promise((done, fail) => {
      if (this.closed) {
        fail(new Error("client state DB is closed"));
        return;
      }
      this.queued.push({ op, done, fail });
      if (this.inFlight || this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    });
  }

  /**
   * Group commit: one fsynced batch in flight at a time, and everything queued while it was
   * being written goes out together in the next one. (Chaining one batch per event-loop turn
   * instead made 100 tasks starting at once wait behind ~100 fsyncs in a row.) Order is kept:
   * a later write of a key never lands before an earlier one. A failure, even a synchronous
   * throw of a closed DB, fails the writes of its own batch only.
   */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0 || this.inFlight) return;
    this.inFlight = true;
    this.writing = (async () => {
      try {
        await writeLevelBatch(
          this.db,
          batch.map((q) => q.op),
          true,
        );
        for (const q of batch) q.done();
      } catch (error) {
        for (const q of batch) q.fail(error);
      } finally {
        this.inFlight = false;
        if (this.queued.length > 0) this.flush();
      }
    })();
  }
}
