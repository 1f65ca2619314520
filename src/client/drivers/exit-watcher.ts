import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { parseStat } from "./process-tree.js";

/**
 * Learns when processes that are not the agent's children end (tasks forked by the launcher,
 * tasks re-attached after a restart): no exit event exists for them, so they are polled. One
 * shared timer checks every watched process per tick, each through a /proc/<pid>/stat descriptor
 * opened once: a read on it is one syscall (~7 µs, against ~27 µs for opening the path anew),
 * and it can never see another process (the descriptor is tied to the process it was opened for;
 * once that one is reaped, reads fail with ESRCH even if the pid is reused). 200 tasks cost
 * ~1.5 ms of main thread per tick.
 *
 * A zombie counts as ended (it no longer runs, and a container's pid 1 may never reap it).
 */

/** Poll period: short for a few tasks (batch tasks end promptly), longer for many. */
const FAST_MS = 50;
const SLOW_MS = 100;
const MANY = 100;

interface Watch {
  pid: number;
  startTicks: number;
  /** undefined: no descriptor could be opened (EMFILE…): read by path, compare the start time. */
  fd: number | undefined;
  resolve: () => void;
}

const watches = new Set<Watch>();
let timer: NodeJS.Timeout | undefined;
const buffer = Buffer.alloc(4096);

/** Resolves once the process `pid` that started at `startTicks` no longer runs. */
export function whenGone(pid: number, startTicks: number): Promise<void> {
  return new Promise((resolve) => {
    const watch: Watch = { pid, startTicks, fd: undefined, resolve };
    try {
      watch.fd = openSync(`/proc/${pid}/stat`, "r");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ESRCH") {
        resolve();
        return;
      }
    }
    // Checked once by start time: the descriptor is then tied to this very process.
    if (!alive(watch, true)) {
      finish(watch);
      return;
    }
    watches.add(watch);
    schedule();
  });
}

/** How many processes are watched (tests). */
export function watchedCount(): number {
  return watches.size;
}

function schedule(): void {
  if (timer !== undefined || watches.size === 0) return;
  timer = setTimeout(tick, watches.size > MANY ? SLOW_MS : FAST_MS);
  timer.unref();
}

function tick(): void {
  timer = undefined;
  for (const watch of watches) {
    if (!alive(watch, watch.fd === undefined)) {
      watches.delete(watch);
      finish(watch);
    }
  }
  schedule();
}

function alive(watch: Watch, checkIdentity: boolean): boolean {
  let text: string;
  try {
    if (watch.fd === undefined) {
      text = readFileSync(`/proc/${watch.pid}/stat`, "utf8");
    } else {
      const n = readSync(watch.fd, buffer, 0, buffer.length, 0);
      text = buffer.toString("latin1", 0, n);
    }
  } catch {
    return false; // ESRCH (reaped) or ENOENT
  }
  const stat = parseStat(text);
  if (stat === undefined || stat.state === "Z") return false;
  return !checkIdentity || stat.startTicks === watch.startTicks;
}

function finish(watch: Watch): void {
  if (watch.fd !== undefined) {
    try {
      closeSync(watch.fd);
    } catch {
      // already closed
    }
    watch.fd = undefined;
  }
  watch.resolve();
}
