import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Linux process utilities over /proc, for drivers that run tasks as process trees.
 *
 * A pid alone never identifies a process (pids are reused): we pair it with the process's start
 * time in clock ticks since boot (field 22 of /proc/<pid>/stat), which no other process with the
 * same pid can share. Zombies count as gone: they no longer run, and an orphan zombie may never be
 * reaped when pid 1 of a container does not reap.
 */

export interface ProcStat {
  pid: number;
  /** One-letter state (R, S, D, Z, …). */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Start time in clock ticks since boot: with pid, the identity of a process. */
  startTicks: number;
}

export interface ProcessId {
  pid: number;
  startTicks: number;
}

/**
 * Parses /proc/<pid>/stat. `comm` (field 2) is in parentheses and may itself contain spaces and
 * parentheses, so the fixed fields are read after the LAST ')'.
 */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // rest[0] is field 3 (state); field N is rest[N - 3].
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const startTicks = Number(rest[19]);
  if (!Number.isInteger(pid) || rest.length < 20 || !Number.isFinite(startTicks)) return undefined;
  return {
    pid,
    state: rest[0] as string,
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    session: Number(rest[3]),
    startTicks,
  };
}

/** The stat of a pid, undefined when there is no such process (or it vanished while reading). */
export async function readStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseStat(await readFile(`/proc/${pid}/stat`, "utf8"));
  } catch (err) {
    if (isGoneError(err)) return undefined;
    throw err;
  }
}

/**
 * The start time of a pid, read synchronously: one small /proc read on the task start path,
 * where a thread-pool round trip would wait behind every other start's file work.
 */
export function readStartTicks(pid: number): number | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"))?.startTicks;
  } catch (err) {
    if (isGoneError(err)) return undefined;
    throw err;
  }
}

/** True while the process that had `startTicks` still exists under `pid` and is not a zombie. */
export async function isSameProcess(pid: number, startTicks: number): Promise<boolean> {
  const stat = await readStat(pid);
  return stat !== undefined && stat.startTicks === startTicks && stat.state !== "Z";
}

/**
 * A snapshot of every live (non-zombie) process. A scan reads one file per process, so callers
 * share it: a call while a scan runs joins that scan, and a scan finished less than
 * SCAN_REUSE_MS ago is reused. Without this, stopping 200 tasks at once (each waiting for its
 * tree to be gone) read the whole /proc table 200 times every poll and starved the agent. A
 * snapshot that is a few milliseconds old is safe here: signals go to the process group first,
 * and waiting for a tree to be gone always goes on to a later scan.
 */
export function listProcesses(): Promise<ProcStat[]> {
  const now = performance.now();
  if (lastScan !== undefined && (lastScan.running || now - lastScan.at < SCAN_REUSE_MS))
    return lastScan.table;
  const scan: SharedScan = { at: now, running: true, table: scanProcesses() };
  lastScan = scan;
  scan.table.then(
    () => {
      scan.running = false;
      scan.at = performance.now();
    },
    () => {
      // A failed scan is never reused.
      if (lastScan === scan) lastScan = undefined;
    },
  );
  return scan.table;
}

interface SharedScan {
  at: number;
  running: boolean;
  table: Promise<ProcStat[]>;
}

const SCAN_REUSE_MS = 20;
let lastScan: SharedScan | undefined;

async function scanProcesses(): Promise<ProcStat[]> {
  const names = await readdir("/proc");
  const stats = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => readStat(Number(n))));
  return stats.filter((s): s is ProcStat => s !== undefined && s.state !== "Z");
}

/** All descendants of the given pids in a process table (by ppid links), roots excluded. */
export function descendantsOf(roots: Iterable<number>, table: readonly ProcStat[]): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const p of table) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const seen = new Set<number>(roots);
  const queue = [...seen];
  const found: ProcStat[] = [];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** Sends a signal, treating "no such process" as done: the target is already gone. */
export function killQuietly(pid: number, signal: NodeJS.Signals | number): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

function isGoneError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ESRCH";
}

/**
 * The process tree of one task: its root (the pid the driver started), everything in the root's
 * process group or session, every descendant, and every pid of its cgroup. Members are tracked by
 * identity across refreshes, so a grandchild that left the group and was orphaned (its ppid link
 * lost) is still signalled and waited for once it has been seen.
 */
export class ProcessTree {
  private readonly tracked = new Map<number, number>();

  constructor(
    private readonly root: ProcessId,
    /** The task's process group (and session) id; the root's pid for tasks started detached. */
    private readonly pgid: number,
    /** Pids of the task's cgroup, when it has one. */
    private readonly cgroupPids: () => Promise<number[]> = async () => [],
  ) {
    this.tracked.set(root.pid, root.startTicks);
  }

  /** Re-scans /proc and returns the members that are still alive. */
  async members(): Promise<ProcessId[]> {
    const table = await listProcesses();
    const byPid = new Map(table.map((p) => [p.pid, p]));
    // The shared table may predate a member (it is up to SCAN_REUSE_MS old): a tracked process
    // missing from it is checked on its own before it counts as gone.
    for (const [pid, ticks] of this.tracked) {
      if (byPid.get(pid)?.startTicks === ticks) continue;
      if (!(await isSameProcess(pid, ticks))) this.tracked.delete(pid);
    }
    const add = (p: ProcStat | undefined): void => {
      if (p !== undefined && p.pid !== process.pid) this.tracked.set(p.pid, p.startTicks);
    };
    for (const p of table) if (p.pgrp === this.pgid || p.session === this.pgid) add(p);
    for (const pid of await this.cgroupPids()) add(byPid.get(pid));
    for (const p of descendantsOf(this.tracked.keys(), table)) add(p);
    return [...this.tracked].map(([pid, startTicks]) => ({ pid, startTicks }));
  }

  /**
   * Signals the whole tree: the process group first (one syscall reaches everyone still in it),
   * then every member individually (descendants that changed group or session, cgroup pids).
   * Descendants are snapshotted before anything is signalled, as a dying parent orphans them.
   */
  async signal(signal: NodeJS.Signals): Promise<void> {
    const members = await this.members();
    if (members.length === 0) return;
    killQuietly(-this.pgid, signal);
    for (const m of members) killQuietly(m.pid, signal);
  }

  /** True once nothing of the tree remains. */
  async gone(): Promise<boolean> {
    return (await this.members()).length === 0;
  }

  /**
   * Polls until nothing of the tree remains (true) or `timeoutMs` passes (false). A timeout of 0
   * checks once.
   */
  async waitGone(timeoutMs: number, pollMs = 50): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.gone()) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await sleep(Math.min(pollMs, left));
    }
  }

  get rootPid(): number {
    return this.root.pid;
  }
}
