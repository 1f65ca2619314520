import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";

/**
 * How much lower a nice value the Raft thread asks for than its process has. The thread is idle
 * most of the time; when it wakes (a heartbeat to send, an append to persist and acknowledge) it
 * should not queue behind the main thread, the schedulers and every other process for a core:
 * on a loaded 2-core machine that wait, not Raft's own work, was its worst event-loop lag.
 */
export const RAFT_THREAD_NICE_BOOST = 5;

export type PriorityOutcome =
  | { readonly raised: true; readonly tid: number; readonly nice: number }
  | { readonly raised: false; readonly reason: string };

/**
 * Lowers the calling thread's nice value by `boost` below its current one (at most to -20). On
 * Linux a thread is a task with a nice value of its own, set through its thread id, which
 * /proc/thread-self names. Lowering a nice value needs root or CAP_SYS_NICE: without them (or
 * off Linux) the thread keeps its process's priority and the outcome says why, for the log.
 */
export function raiseThreadPriority(boost: number): PriorityOutcome {
  let tid: number;
  try {
    tid = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
  } catch {
    return { raised: false, reason: "the thread's id is not known here (/proc/thread-self: Linux only)" };
  }
  if (!Number.isSafeInteger(tid) || tid <= 0) {
    return { raised: false, reason: "/proc/thread-self names no thread id" };
  }
  try {
    const nice = Math.max(-20, getPriority(tid) - boost);
    setPriority(tid, nice);
    return { raised: true, tid, nice };
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    return {
      raised: false,
      reason: `setpriority: ${code} (lowering a nice value needs root or CAP_SYS_NICE)`,
    };
  }
}
