import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { chown, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { TaskStartError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import { type CgroupRef, TaskCgroup } from "./cgroups.js";
import type {
  ExitResult,
  IntentRecovery,
  LaunchIntent,
  RecoverResult,
  RunningTask,
  TaskHandle,
  TaskStartSpec,
} from "./driver.js";
import { exitResult, fromWaitStatus, signalName, signalNumber, unknownExit } from "./exit-result.js";
import { whenGone } from "./exit-watcher.js";
import { LauncherUnavailable, sharedForkServer } from "./fork-server.js";
import type { UserIds } from "./passwd.js";
import { isSameProcess, killQuietly, ProcessTree, readStartTicks, readStat } from "./process-tree.js";

/**
 * Tasks that are a process tree on this host (raw_exec, exec, java).
 *
 * Every task runs under a tiny /bin/sh wrapper, started detached (its own session and process
 * group, so the task outlives a restart of the agent). The tracked pid is the WRAPPER's; signals
 * always go to the whole tree (group, session, descendants, cgroup), so the command gets them too.
 * The wrapper:
 *  1. waits for "go" on stdin, which the agent sends only after putting the wrapper into the
 *     task's cgroup: nothing of the task ever runs outside it. (The agent, not the wrapper, writes
 *     cgroup.procs, because a task running as another user may not.) If the agent dies first, the
 *     wrapper reads EOF and exits 125 without running anything.
 *  2. unsets the variables sh itself exports (PWD, OLDPWD, SHLVL) unless the task's env has them,
 *     so the command sees exactly the task's environment;
 *  3. runs the command from its positional parameters ("$@": no shell string is ever built from
 *     the job), trapping (not ignoring: ignored signals would be inherited) the catchable signals
 *     so that it outlives the command and
 *  4. records the command's exit status in the exit file, for an agent restarted after the task
 *     ended. A status > 128 is read as "killed by signal status-128", as a shell reports it.
 */
const HANDSHAKE = `IFS= read -r go || exit 125
[ "$go" = go ] || exit 125
`;
// The traps come first: a stop that arrives while the wrapper sets up must not kill it before it
// can record a status (only the shell's own start-up remains exposed). Such a stop would reach no
// command (a signal to the group reaches only the processes that exist), so it is remembered and
// the command is never started: the wrapper records what the signal would have done to it
// (128 + its number, as a shell reports a killed command). Numbers are Linux's.
export const WRAPPER_BODY = `sig=
trap 'sig=1' HUP; trap 'sig=2' INT; trap 'sig=3' QUIT; trap 'sig=15' TERM
trap 'sig=10' USR1; trap 'sig=12' USR2; trap 'sig=14' ALRM
exec </dev/null
exit_file=$1; n=$2; shift 2
unset PWD OLDPWD SHLVL
while [ "$n" -gt 0 ]; do export "$1"; shift; n=$((n - 1)); done
if [ -n "$sig" ]; then rc=$((128 + sig)); else "$@"; rc=$?; fi
echo "$rc" > "$exit_file"
exit "$rc"
`;
const WRAPPER = HANDSHAKE + WRAPPER_BODY;
/**
 * The wrapper as the fork server runs it: without the handshake, as the launcher's child joined
 * the task's cgroup itself before it exec'ed the wrapper (see fork-server.ts).
 */
const LAUNCHED_WRAPPER = WRAPPER_BODY;

/** Variables sh exports on its own; kept only when the task's env sets them. */
const SHELL_VARS = ["PWD", "OLDPWD", "SHLVL"] as const;
/** How long SIGKILL may take to clear a tree before the exit is reported with an error. */
const SIGKILL_WAIT_MS = 30_000;
const EXIT_FILE_NAME = ".drover-exit";
/** The wrapper's $0: with the exit file after it, what finds a wrapper whose handle was lost. */
const WRAPPER_MARKER = "drover-task";

/** The driver state of a process task's handle. */
export interface ProcessTaskState {
  /** The wrapper's pid; also its process group and session id. */
  pid: number;
  startTicks: number;
  pgid: number;
  exitFile: string;
  cgroup: CgroupRef | undefined;
}

export interface ProcessLaunch {
  driver: string;
  spec: TaskStartSpec;
  /** Already resolved (see resolveExecutable). */
  executable: string;
  args: readonly string[];
  user: UserIds | undefined;
  cgroup: TaskCgroup | undefined;
  logger: Logger;
}

/**
 * How tasks are started: through the agent's fork server (the default), or by spawning each
 * wrapper from the agent ("direct": the fallback when no launcher can run, and for tests).
 */
let launchMode: "fork-server" | "direct" = "fork-server";

/** Switches how process tasks start (tests; DROVER_TASK_LAUNCHER=direct for operators). */
export function setLaunchMode(mode: "fork-server" | "direct"): void {
  launchMode = mode;
}
if (process.env["DROVER_TASK_LAUNCHER"] === "direct") launchMode = "direct";

export async function startProcessTask(launch: ProcessLaunch): Promise<RunningTask> {
  const exitFile = await prepareExitFile(launch);
  if (launchMode === "fork-server") {
    try {
      return await startThroughLauncher(launch, exitFile);
    } catch (err) {
      if (!(err instanceof LauncherUnavailable)) throw err;
      launch.logger.warn({ reason: err.message, task: launch.spec.taskName }, "starting the task directly");
    }
  }
  return startDirect(launch, exitFile);
}

/**
 * Truncated so a status left by an earlier attempt in this task dir is never taken for ours;
 * owned by the task's user so that the wrapper, running as that user, can write it.
 */
async function prepareExitFile(launch: ProcessLaunch): Promise<string> {
  const exitFile = join(launch.spec.taskDir, EXIT_FILE_NAME);
  // Asynchronous: creating a file costs this machine ~2 ms of file-system metadata work under a
  // burst of starts, which a synchronous call spent on the event loop, one task after another.
  await writeFile(exitFile, "");
  if (launch.user !== undefined) await chown(exitFile, launch.user.uid, launch.user.gid);
  return exitFile;
}

/** The wrapper's arguments after `-c <script>`: marker, exit file, kept shell vars, command. */
function wrapperArgs(launch: ProcessLaunch, exitFile: string): string[] {
  const keep = SHELL_VARS.filter((name) => launch.spec.env[name] !== undefined).map(
    (name) => `${name}=${launch.spec.env[name]}`,
  );
  return [WRAPPER_MARKER, exitFile, String(keep.length), ...keep, launch.executable, ...launch.args];
}

/**
 * One pipe write to the launcher: the agent forks nothing. The launcher's child answers with its
 * pid and start time once it is in the task's session, cgroup and directory, right before it execs
 * the wrapper; the task is then watched like a re-attached one (it is not the agent's child).
 */
async function startThroughLauncher(launch: ProcessLaunch, exitFile: string): Promise<RunningTask> {
  const { spec } = launch;
  const { pid, startTicks } = await sharedForkServer(launch.logger).fork({
    cwd: spec.taskDir,
    stdoutPath: spec.stdoutPath,
    stderrPath: spec.stderrPath,
    user: launch.user,
    cgroupProcs: launch.cgroup?.procsFiles ?? [],
    env: spec.env,
    argv: ["/bin/sh", "-c", LAUNCHED_WRAPPER, ...wrapperArgs(launch, exitFile)],
  });
  const state: ProcessTaskState = { pid, startTicks, pgid: pid, exitFile, cgroup: launch.cgroup?.ref };
  return new ProcessRunningTask(
    handleOf(launch, state),
    state,
    launch.cgroup,
    waitGoneThenReadExit(state),
    launch.logger,
  );
}

function handleOf(launch: ProcessLaunch, state: ProcessTaskState): TaskHandle {
  return {
    driver: launch.driver,
    taskName: launch.spec.taskName,
    allocId: launch.spec.allocId,
    startedAtMs: Date.now(),
    state: { ...state, cgroup: state.cgroup ?? null },
  };
}

/**
 * Direct starts are done one after another, in arrival order. spawn() forks the agent
 * (milliseconds for a process of its size, on the main thread); when 200 tasks arrive at once and
 * all their starts interleave, every one of them finishes at the end of the whole train. In
 * order, the first task runs after one start's time, the median after half the train.
 */
let startQueue: Promise<unknown> = Promise.resolve();

function startDirect(launch: ProcessLaunch, exitFile: string): Promise<RunningTask> {
  const started = startQueue.then(() => startInOrder(launch, exitFile));
  startQueue = started.catch(() => undefined);
  return started;
}

async function startInOrder(launch: ProcessLaunch, exitFile: string): Promise<RunningTask> {
  const child = await spawnWrapper(launch, exitFile);
  const pid = child.pid as number;
  const startTicks = readStartTicks(pid);
  if (startTicks === undefined) {
    throw new TaskStartError(`task wrapper ${pid} vanished before it was started`, true);
  }
  await releaseWrapper(child, launch.cgroup);
  const state: ProcessTaskState = { pid, startTicks, pgid: pid, exitFile, cgroup: launch.cgroup?.ref };
  const handle = handleOf(launch, state);
  const mainExit = new Promise<ExitResult | undefined>((resolve) => {
    child.once("exit", (code, signal) => resolve(fromWaitStatus(code ?? 0, signal)));
  });
  return new ProcessRunningTask(handle, state, launch.cgroup, mainExit, launch.logger);
}

async function spawnWrapper(launch: ProcessLaunch, exitFile: string): Promise<ChildProcess> {
  const { spec } = launch;
  // Synchronous opens: two tiny syscalls cost less than two thread-pool round trips, which
  // under a burst of starts wait behind every other task's file work.
  const stdout = openSync(spec.stdoutPath, "a");
  try {
    const stderr = openSync(spec.stderrPath, "a");
    try {
      const child = spawn("/bin/sh", ["-c", WRAPPER, ...wrapperArgs(launch, exitFile)], {
        cwd: spec.taskDir,
        env: spec.env,
        detached: true,
        stdio: ["pipe", stdout, stderr],
        ...(launch.user === undefined ? {} : { uid: launch.user.uid, gid: launch.user.gid }),
      });
      // The agent may exit (or restart) while its tasks run on.
      child.unref();
      // spawn() forks and execs synchronously: a pid means the wrapper runs; without one, the
      // reason comes as an 'error' event.
      if (child.pid === undefined) await spawnFailure(child);
      return child;
    } finally {
      // The child has its own copies of the descriptors once spawn() returned.
      closeSync(stderr);
    }
  } finally {
    closeSync(stdout);
  }
}

function spawnFailure(child: ChildProcess): Promise<never> {
  return new Promise((_resolve, reject) => {
    child.once("error", (err: Error) => {
      reject(new TaskStartError(`failed to start the task: ${err.message}`, true));
    });
  });
}

/** Puts the waiting wrapper into the task's cgroup, then lets it run the command. */
async function releaseWrapper(child: ChildProcess, cgroup: TaskCgroup | undefined): Promise<void> {
  const stdin = child.stdin;
  if (stdin === null) throw new Error("task wrapper has no stdin pipe");
  try {
    for (const file of cgroup?.procsFiles ?? []) await writeFile(file, String(child.pid));
  } catch (err) {
    killQuietly(child.pid as number, "SIGKILL");
    stdin.destroy();
    throw new TaskStartError(`could not put the task into its cgroup: ${(err as Error).message}`, true);
  }
  // Three bytes into a fresh pipe never block: the write is not waited for. Should the wrapper be
  // gone already, the pipe's error is the wrapper's exit, which wait() reports.
  stdin.once("error", () => undefined);
  stdin.end("go\n");
}

/** The status the wrapper recorded; undefined when it recorded none (it was SIGKILLed, …). */
export async function readExitFile(path: string): Promise<ExitResult | undefined> {
  let text: string;
  try {
    text = (await readFile(path, "utf8")).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return /^\d+$/.test(text) ? fromWaitStatus(Number(text), null) : undefined;
}

export function parseProcessState(state: Record<string, unknown>): ProcessTaskState | undefined {
  const { pid, startTicks, pgid, exitFile, cgroup } = state;
  if (typeof pid !== "number" || typeof startTicks !== "number" || typeof pgid !== "number") return undefined;
  if (typeof exitFile !== "string") return undefined;
  const ref = cgroup as CgroupRef | null | undefined;
  const validRef =
    ref !== null && ref !== undefined && (ref.kind === "v1" || ref.kind === "v2") && Array.isArray(ref.paths);
  return { pid, startTicks, pgid, exitFile, cgroup: validRef ? ref : undefined };
}

/**
 * Re-attaches to a process task after an agent restart. When the wrapper (same pid AND start
 * time) is gone, the task ended meanwhile: its exit file says how (unknown when it recorded
 * nothing), and whatever of it is left in its cgroup is killed.
 */
export async function recoverProcessTask(handle: TaskHandle, logger: Logger): Promise<RecoverResult> {
  const state = parseProcessState(handle.state);
  if (state === undefined) return { kind: "exited", exit: unknownExit("unreadable task handle") };
  const cgroup = state.cgroup === undefined ? undefined : new TaskCgroup(state.cgroup);
  if (await isSameProcess(state.pid, state.startTicks)) {
    const mainExit = waitGoneThenReadExit(state);
    return { kind: "running", task: new ProcessRunningTask(handle, state, cgroup, mainExit, logger) };
  }
  // Only the cgroup's pids are certainly ours once the wrapper is gone (its pid and group id
  // may belong to someone else by now), so only they are killed.
  for (const pid of (await cgroup?.pids()) ?? []) killQuietly(pid, "SIGKILL");
  const recorded = await readExitFile(state.exitFile);
  const exit = recorded ?? unknownExit("the task exited while the client was not running");
  return { kind: "exited", exit: { ...exit, oomKilled: (await cgroup?.oomKilled(exit.signal)) ?? false } };
}

/**
 * The launch intent of a process task: its exit-file path, unique per task dir, which is also the
 * argument after the wrapper's marker in the wrapper's argv.
 */
export function processLaunchIntent(driver: string, spec: TaskStartSpec): LaunchIntent {
  return {
    driver,
    taskName: spec.taskName,
    allocId: spec.allocId,
    atMs: Date.now(),
    state: { exitFile: join(spec.taskDir, EXIT_FILE_NAME) },
  };
}

/**
 * Finds the wrapper a start may have launched for `intent` before the agent died without its
 * handle: a live process whose argv is `/bin/sh -c <wrapper> drover-task <exitFile> …`. Found, it
 * is adopted as running (pid and start time from /proc). Not found, the exit file tells whether
 * it ran and ended (its status) or never ran (empty or missing: "not-launched"). Either way,
 * whatever is left in the task's cgroup is killed and the cgroup removed.
 *
 * Limit: between the launcher's fork and the exec of the wrapper (a few ms) the process does not
 * carry the marker yet; an agent restarted within that time could miss it.
 */
export async function recoverProcessIntent(
  intent: LaunchIntent,
  cgroup: TaskCgroup | undefined,
  logger: Logger,
): Promise<IntentRecovery> {
  const exitFile = intent.state["exitFile"];
  if (typeof exitFile !== "string") return { kind: "exited", exit: unknownExit("unreadable launch intent") };
  const found = (await scanWrappers())
    .filter((w) => w.exitFile === exitFile)
    .sort(
      (a, b) => Number(b.session === b.pid) - Number(a.session === a.pid) || a.startTicks - b.startTicks,
    )[0];
  if (found !== undefined) {
    const state: ProcessTaskState = {
      pid: found.pid,
      startTicks: found.startTicks,
      pgid: found.pid,
      exitFile,
      cgroup: cgroup?.ref,
    };
    const handle: TaskHandle = {
      driver: intent.driver,
      taskName: intent.taskName,
      allocId: intent.allocId,
      startedAtMs: intent.atMs,
      state: { ...state, cgroup: state.cgroup ?? null },
    };
    const task = new ProcessRunningTask(handle, state, cgroup, waitGoneThenReadExit(state), logger);
    return { kind: "running", task };
  }
  for (const pid of (await cgroup?.pids()) ?? []) killQuietly(pid, "SIGKILL");
  const recorded = await readExitFile(exitFile);
  const oomKilled = recorded === undefined ? false : ((await cgroup?.oomKilled(recorded.signal)) ?? false);
  try {
    await cgroup?.remove();
    await rm(exitFile, { force: true });
  } catch (err) {
    logger.warn({ err, task: intent.taskName }, "cleaning up after a launch intent failed");
  }
  if (recorded === undefined) return { kind: "not-launched" };
  return { kind: "exited", exit: { ...recorded, oomKilled } };
}

interface WrapperProcess {
  pid: number;
  startTicks: number;
  session: number;
  exitFile: string;
}

/**
 * Every live task wrapper on the host, from /proc/<pid>/cmdline. Callers during a scan join it
 * (a restore recovers many intents at once); a finished scan is never reused.
 */
function scanWrappers(): Promise<WrapperProcess[]> {
  wrapperScan ??= findWrappers().finally(() => {
    wrapperScan = undefined;
  });
  return wrapperScan;
}

let wrapperScan: Promise<WrapperProcess[]> | undefined;

async function findWrappers(): Promise<WrapperProcess[]> {
  const pids = (await readdir("/proc")).filter((n) => /^\d+$/.test(n)).map(Number);
  const found = await Promise.all(
    pids.map(async (pid): Promise<WrapperProcess | undefined> => {
      let argv: string[];
      try {
        argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
      } catch {
        return undefined; // gone meanwhile, or not ours to read
      }
      const exitFile = argv[4];
      if (argv[0] !== "/bin/sh" || argv[3] !== WRAPPER_MARKER || exitFile === undefined) return undefined;
      const stat = await readStat(pid);
      if (stat === undefined || stat.state === "Z") return undefined;
      return { pid, startTicks: stat.startTicks, session: stat.session, exitFile };
    }),
  );
  return found.filter((w): w is WrapperProcess => w !== undefined);
}

/** For a wrapper that is not the agent's child: polled (shared), then its exit file is read. */
async function waitGoneThenReadExit(state: ProcessTaskState): Promise<ExitResult | undefined> {
  await whenGone(state.pid, state.startTicks);
  return readExitFile(state.exitFile);
}

/** Kills what is left in the task's cgroup, removes the cgroup and the exit file. Idempotent. */
export async function cleanupProcessTask(handle: TaskHandle): Promise<void> {
  const state = parseProcessState(handle.state);
  if (state === undefined) return;
  if (state.cgroup !== undefined) {
    const cgroup = new TaskCgroup(state.cgroup);
    for (let pids = await cgroup.pids(); pids.length > 0; pids = await cgroup.pids()) {
      for (const pid of pids) killQuietly(pid, "SIGKILL");
      await sleep(50);
    }
    await cgroup.remove();
  }
  await rm(state.exitFile, { force: true });
}

/**
 * A running process task. `wait()` settles when the wrapper has ended AND nothing else of the
 * tree remains: leftovers of a task whose main process ended (background children, daemons)
 * are killed, as the task is over.
 */
export class ProcessRunningTask implements RunningTask {
  private readonly tree: ProcessTree;
  private readonly result: Promise<ExitResult>;
  private stopping: Promise<ExitResult> | undefined;
  /** The last signal this agent sent to the whole tree: the cause when no status was recorded. */
  private lastSignal = 0;

  constructor(
    readonly handle: TaskHandle,
    state: ProcessTaskState,
    private readonly cgroup: TaskCgroup | undefined,
    mainExit: Promise<ExitResult | undefined>,
    private readonly logger: Logger,
  ) {
    this.tree = new ProcessTree(
      { pid: state.pid, startTicks: state.startTicks },
      state.pgid,
      cgroup === undefined ? undefined : () => cgroup.pids(),
    );
    this.result = mainExit.then(
      (exit) => this.finish(exit),
      (err: unknown) => this.finish(unknownExit(`waiting for the task failed: ${String(err)}`)),
    );
  }

  wait(): Promise<ExitResult> {
    return this.result;
  }

  /** Throws on an unknown signal name; delivery failures are logged (the task may have ended). */
  signal(signal: string): void {
    const name = signalName(signal);
    this.tree.signal(name).catch((err: unknown) => {
      this.logger.error({ err, signal: name, task: this.handle.taskName }, "signalling the task failed");
    });
  }

  stop(killSignal: string, killTimeoutMs: number): Promise<ExitResult> {
    this.stopping ??= this.stopTree(killSignal, killTimeoutMs);
    return this.stopping;
  }

  private async stopTree(killSignal: string, killTimeoutMs: number): Promise<ExitResult> {
    let name: NodeJS.Signals;
    try {
      name = signalName(killSignal);
    } catch (err) {
      this.logger.warn({ err, killSignal }, "unknown kill signal; stopping the task with SIGTERM");
      name = "SIGTERM";
    }
    this.lastSignal = signalNumber(name);
    await this.tree.signal(name);
    if (!(await this.tree.waitGone(killTimeoutMs))) {
      this.lastSignal = signalNumber("SIGKILL");
      await this.tree.signal("SIGKILL");
    }
    return this.result;
  }

  /** Clears leftovers of the tree, then composes the exit result. Never rejects. */
  private async finish(main: ExitResult | undefined): Promise<ExitResult> {
    let error = "";
    try {
      await this.tree.signal("SIGKILL");
      if (!(await this.tree.waitGone(SIGKILL_WAIT_MS))) error = "processes of the task survived SIGKILL";
    } catch (err) {
      error = `killing the rest of the task failed: ${String(err)}`;
    }
    const exit =
      main ??
      (this.lastSignal !== 0 ? exitResult({ signal: this.lastSignal }) : unknownExit("exit status unknown"));
    let oomKilled = false;
    try {
      oomKilled = (await this.cgroup?.oomKilled(exit.signal)) ?? false;
    } catch (err) {
      this.logger.warn({ err, task: this.handle.taskName }, "reading the task's OOM state failed");
    }
    if (error !== "") this.logger.error({ task: this.handle.taskName, error }, "task did not end cleanly");
    return { ...exit, oomKilled, error: exit.error || error };
  }
}
