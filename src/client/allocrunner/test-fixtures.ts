import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../common/log.js";
import { mockNode } from "../../fsm/index.js";
import type { AllocClientFields } from "../../rpc/server-api.js";
import type {
  Driver,
  ExitResult,
  RecoverResult,
  RunningTask,
  TaskHandle,
  TaskStartSpec,
} from "../drivers/driver.js";
import { MockDriver } from "../drivers/mock-driver.js";
import { RawExecDriver } from "../drivers/raw-exec-driver.js";
import { ClientStateDb } from "../state/client-state-db.js";
import type { AllocRunnerDeps, ClientMetrics } from "./alloc-runner-api.js";

/** Test support for the task and alloc runner tests (not a test file itself). */

/** A real driver with every start, recover, exit and stop written down, in order. */
export class RecordingDriver implements Driver {
  readonly log: string[] = [];
  readonly starts: string[] = [];
  readonly recovers: string[] = [];
  readonly stops: Array<{ task: string; signal: string; timeoutMs: number }> = [];
  /** Tasks started or recovered through this driver that have not exited. */
  readonly live = new Set<RunningTask>();

  constructor(readonly inner: Driver) {}

  get name(): string {
    return this.inner.name;
  }

  fingerprint() {
    return this.inner.fingerprint();
  }

  validateConfig(config: Record<string, unknown>): void {
    this.inner.validateConfig(config);
  }

  async start(spec: TaskStartSpec): Promise<RunningTask> {
    this.log.push(`start:${spec.taskName}`);
    this.starts.push(spec.taskName);
    return this.wrap(await this.inner.start(spec));
  }

  async recover(handle: TaskHandle): Promise<RecoverResult> {
    this.recovers.push(handle.taskName);
    const result = await this.inner.recover(handle);
    return result.kind === "running" ? { kind: "running", task: this.wrap(result.task) } : result;
  }

  cleanup(handle: TaskHandle): Promise<void> {
    return this.inner.cleanup(handle);
  }

  /** Stops everything still running (test teardown). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((task) => task.stop("SIGKILL", 0)));
  }

  private wrap(task: RunningTask): RunningTask {
    const name = task.handle.taskName;
    this.live.add(task);
    const exited = task.wait().then((exit: ExitResult) => {
      this.log.push(`exit:${name}`);
      this.live.delete(task);
      return exit;
    });
    return {
      handle: task.handle,
      wait: () => exited,
      signal: (signal) => task.signal(signal),
      stop: (signal, timeoutMs) => {
        this.stops.push({ task: name, signal, timeoutMs });
        return task.stop(signal, timeoutMs);
      },
    };
  }
}

export class CountingMetrics implements ClientMetrics {
  restarts = 0;
  started: number[] = [];
  taskRestarts(): void {
    this.restarts++;
  }
  taskStarted(seconds: number): void {
    this.started.push(seconds);
  }
}

/** Everything sent to onUpdate, with a way to wait for a report that satisfies a predicate. */
export class UpdateLog {
  readonly updates: AllocClientFields[] = [];
  private waiters: Array<{
    test: (f: AllocClientFields) => boolean;
    resolve: (f: AllocClientFields) => void;
  }> = [];

  readonly onUpdate = (fields: AllocClientFields): void => {
    this.updates.push(fields);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(fields)) return true;
      w.resolve(fields);
      return false;
    });
  };

  get last(): AllocClientFields | undefined {
    return this.updates.at(-1);
  }

  /** The first report (already sent or to come) that satisfies `test`. */
  until(test: (fields: AllocClientFields) => boolean): Promise<AllocClientFields> {
    const seen = this.updates.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }
}

export interface Harness {
  dir: string;
  allocRoot: string;
  state: ClientStateDb;
  mock: RecordingDriver;
  rawExec: RecordingDriver;
  metrics: CountingMetrics;
  updates: UpdateLog;
  deps: AllocRunnerDeps;
  /** Deps with fresh drivers, as a restarted agent would have (same dirs and state DB). */
  restartedDeps(): {
    deps: AllocRunnerDeps;
    mock: RecordingDriver;
    rawExec: RecordingDriver;
    updates: UpdateLog;
  };
  close(): Promise<void>;
}

export async function harness(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "drover-allocrunner-"));
  const allocRoot = join(dir, "alloc");
  const state = await ClientStateDb.open(join(dir, "state"));
  const metrics = new CountingMetrics();
  const drivers: RecordingDriver[] = [];
  const build = () => {
    const ctx = { logger: silentLogger(), dataDir: dir };
    const mock = new RecordingDriver(new MockDriver(ctx));
    const rawExec = new RecordingDriver(new RawExecDriver(ctx));
    drivers.push(mock, rawExec);
    const updates = new UpdateLog();
    const deps: AllocRunnerDeps = {
      logger: silentLogger(),
      allocRoot,
      node: () =>
        mockNode({
          Name: "node-a",
          Attributes: { "unique.network.ip-address": "127.0.0.1", "kernel.name": "linux" },
          Meta: { rack: "r1" },
        }),
      region: "global",
      drivers: new Map<string, Driver>([
        ["mock", mock],
        ["raw_exec", rawExec],
      ]),
      state,
      onUpdate: updates.onUpdate,
      nowMs: () => Date.now(),
      metrics,
    };
    return { deps, mock, rawExec, updates };
  };
  const first = build();
  return {
    dir,
    allocRoot,
    state,
    metrics,
    ...first,
    restartedDeps: build,
    async close() {
      await Promise.all(drivers.map((d) => d.stopAll()));
      // ClientStateDb.close() does not wait for writes still queued for its next flush (one
      // setImmediate away): let them reach the batch chain first.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      await state.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when `test` holds, checked at each call of the returned `poke` (a state-change hook). */
export function watch<T>(read: () => T): {
  poke: () => void;
  until: (test: (value: T) => boolean) => Promise<T>;
} {
  let waiters: Array<{ test: (value: T) => boolean; resolve: (value: T) => void }> = [];
  return {
    poke() {
      const value = read();
      waiters = waiters.filter((w) => {
        if (!w.test(value)) return true;
        w.resolve(value);
        return false;
      });
    },
    until(test) {
      const value = read();
      if (test(value)) return Promise.resolve(value);
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
  };
}
