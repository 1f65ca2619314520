import { dirname, join, resolve } from "node:path";
import { ValidationError } from "../../common/errors.js";
import type { LogType } from "./log-request.js";

/**
 * The on-disk layout of a task's logs and the in-process coordination between the rotator and
 * readers of the same file.
 *
 * Layout: `<logDir>/<task>.<type>.<n>`. `.0` is the active file the task appends to; `.1` is the
 * newest rotated copy, `.2` older, … up to `.<maxFiles-1>`. Rotation is copy-then-truncate
 * (log-rotator.ts), so the active file never changes name or inode: a task holding it open with
 * O_APPEND keeps writing into it, even across an agent restart.
 */

export const LOG_TYPES: readonly LogType[] = ["stdout", "stderr"];

/** The name (no directory) of file `index` of a task's stdout or stderr. */
export function logFileName(task: string, type: LogType, index: number): string {
  return `${task}.${type}.${index}`;
}

/**
 * The path of file `index` of a task's log. Throws a ValidationError unless it resolves to a file
 * directly in `logDir`: the task name is validated on every way in, and this re-checks the result
 * so that no name can make a reader open a file elsewhere (`../../etc/passwd`).
 */
export function logFilePath(logDir: string, task: string, type: LogType, index: number): string {
  const path = join(logDir, logFileName(task, type, index));
  if (dirname(resolve(path)) !== resolve(logDir))
    throw new ValidationError(`task name ${JSON.stringify(task)} leaves the log directory`, "task");
  return path;
}

/**
 * The index of `name` if it is one of the task's `type` files (`web.stdout.3` → 3), else undefined.
 * Only plain decimal indices count (no sign, no leading zeros), so stray files are ignored.
 */
export function logFileIndex(name: string, task: string, type: LogType): number | undefined {
  const prefix = `${task}.${type}.`;
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  if (!/^(0|[1-9]\d{0,8})$/.test(rest)) return undefined;
  return Number(rest);
}

/**
 * What the rotator and the readers of one active file share in this process:
 * - `generation` counts the rotations done so far. A reader that saw generation g at file index i
 *   finds the same bytes at index i + (g' - g) once the generation is g': every rotation shifts
 *   each rotated file up by one and turns `.0` into `.1`.
 * - `lock` serializes a rotation against reader steps. Inside the lock a reader sees the files
 *   either entirely before or entirely after a rotation, never a half-copied `.1` or a truncated
 *   `.0` that it still believes is the old one. The task's own writes are not (cannot be) locked.
 *
 * Entries are reference counted (rotator + active readers) and dropped at zero, so the map holds
 * only files someone is using. A fresh entry starting at generation 0 is fine: nobody holds an old
 * generation of it.
 */
export interface SharedLogFile {
  readonly generation: number;
  /** Runs `fn` exclusively with respect to other `withLock` calls on the same file. */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  /** Called by the rotator inside the lock, after a rotation. */
  bumpGeneration(): void;
  release(): void;
}

interface Entry {
  refs: number;
  generation: number;
  tail: Promise<void>;
}

const shared = new Map<string, Entry>();

/** Takes a reference on the coordination state of the active file `activePath` (the `.0`). */
export function acquireLogFile(activePath: string): SharedLogFile {
  let entry = shared.get(activePath);
  if (entry === undefined) {
    entry = { refs: 0, generation: 0, tail: Promise.resolve() };
    shared.set(activePath, entry);
  }
  entry.refs++;
  const e = entry;
  let released = false;
  return {
    get generation() {
      return e.generation;
    },
    withLock<T>(fn: () => Promise<T>): Promise<T> {
      const run = e.tail.then(fn);
      // The chain must continue whether fn fails or not; its errors go to the caller via `run`.
      e.tail = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
    bumpGeneration() {
      e.generation++;
    },
    release() {
      if (released) return;
      released = true;
      e.refs--;
      if (e.refs === 0 && shared.get(activePath) === e) shared.delete(activePath);
    },
  };
}
