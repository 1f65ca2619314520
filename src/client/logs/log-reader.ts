import { type FileHandle, open, readdir } from "node:fs/promises";
import type { LogFrame } from "../allocrunner/alloc-runner-api.js";
import { acquireLogFile, logFileIndex, logFileName, logFilePath, type SharedLogFile } from "./log-files.js";
import {
  type LogType,
  validateLogType,
  validateOffset,
  validateOrigin,
  validateTaskName,
} from "./log-request.js";

export interface ReadTaskLogsOptions {
  logDir: string;
  task: string;
  type: LogType;
  /** "start": `offset` bytes from the beginning of the oldest kept file; "end": `offset` bytes before the end. */
  origin: "start" | "end";
  offset: number;
  /** After the end, keep streaming new output until `taskDone` settles (or `signal` aborts). */
  follow: boolean;
  /** Aborting ends the iteration quietly (no error): the consumer went away. */
  signal?: AbortSignal;
  /** Settles when the task has ended and will write no more; follow ends once it is read to the end. */
  taskDone?: Promise<unknown>;
  /** How often a follower looks for new output (100 ms by default). */
  pollMs?: number;
  /** Largest frame (64 KiB by default). */
  chunkBytes?: number;
}

const DEFAULT_POLL_MS = 100;
const DEFAULT_CHUNK_BYTES = 64 * 1024;

/**
 * A task's stdout or stderr as one stream over its rotated files (oldest = highest index first,
 * `.0` last), in frames of at most `chunkBytes`. Validates its input at once (ValidationError),
 * before anything is read.
 *
 * Rotation while reading (see log-rotator.ts) is followed through the file's shared generation:
 * each rotation moves every file up one index, so the reader's cursor (index, offset) moves with
 * it and no byte is read twice or skipped (except bytes the rotation itself lost, or files
 * dropped past maxFiles while the reader was slow: it then resumes at the oldest file left).
 * A `.0` that shrank without a rotation from this process (a rotator in another process, a manual
 * truncation) is handled as well as can be: the rest is taken from `.1` if it is long enough,
 * then `.0` is read from its start.
 */
export function readTaskLogs(options: ReadTaskLogsOptions): AsyncIterable<LogFrame> {
  validateTaskName(options.task);
  validateLogType(options.type);
  validateOrigin(options.origin);
  validateOffset(options.offset);
  return readFrames(options);
}

/** Where the reader is: file `.index` at byte `pos`, as of rotation `generation`. */
interface Cursor {
  generation: number;
  index: number;
  pos: number;
}

type Step = { kind: "frame"; frame: LogFrame } | { kind: "moved" } | { kind: "end" };

async function* readFrames(options: ReadTaskLogsOptions): AsyncGenerator<LogFrame, void, undefined> {
  const { logDir, task, type, signal } = options;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  let done = false;
  // One handler on taskDone for the reader's whole life (not one per poll, which would pile up
  // on a long follow); it wakes the current wait, if any.
  let wake: (() => void) | undefined;
  const settled = (): void => {
    done = true;
    wake?.();
  };
  options.taskDone?.then(settled, settled);
  const file = acquireLogFile(logFilePath(logDir, task, type, 0));
  try {
    const cursor = await file.withLock(() => startCursor(options, file));
    for (;;) {
      if (signal?.aborted) return;
      // Read before checking `done` only if it was already settled: the task's last bytes were
      // written before it settled, so one full pass after that sees everything.
      const doneBefore = done;
      const step = await file.withLock(() => readStep(options, file, cursor, chunkBytes));
      if (step.kind === "frame") {
        yield step.frame;
        continue;
      }
      if (step.kind === "moved") continue;
      if (!options.follow || doneBefore) return;
      if (done) continue; // settled during the step: one more pass, no wait
      await waitForMore(pollMs, signal, (w) => {
        wake = w;
      });
      wake = undefined;
    }
  } finally {
    file.release();
  }
}

/** Sizes of the task's files of `type` that exist, by index. */
async function fileSizes(options: ReadTaskLogsOptions): Promise<Map<number, number>> {
  const sizes = new Map<number, number>();
  let names: string[];
  try {
    names = await readdir(options.logDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return sizes;
    throw error;
  }
  for (const name of names) {
    const index = logFileIndex(name, options.task, options.type);
    if (index === undefined) continue;
    const size = await sizeOf(logFilePath(options.logDir, options.task, options.type, index));
    if (size !== undefined) sizes.set(index, size);
  }
  return sizes;
}

async function startCursor(options: ReadTaskLogsOptions, file: SharedLogFile): Promise<Cursor> {
  const sizes = await fileSizes(options);
  const oldestFirst = [...sizes.keys()].sort((a, b) => b - a);
  const total = oldestFirst.reduce((sum, index) => sum + (sizes.get(index) ?? 0), 0);
  let skip = options.origin === "start" ? options.offset : Math.max(0, total - options.offset);
  for (const index of oldestFirst) {
    const size = sizes.get(index) ?? 0;
    if (skip < size) return { generation: file.generation, index, pos: skip };
    skip -= size;
  }
  // Past everything there is: the end of `.0` (where new output will appear).
  return { generation: file.generation, index: 0, pos: sizes.get(0) ?? 0 };
}

/** One step under the lock: a frame, a move to the next file, or the end of `.0` for now. */
async function readStep(
  options: ReadTaskLogsOptions,
  file: SharedLogFile,
  cursor: Cursor,
  chunkBytes: number,
): Promise<Step> {
  if (file.generation !== cursor.generation) {
    cursor.index += file.generation - cursor.generation;
    cursor.generation = file.generation;
  }
  const { logDir, task, type } = options;
  const handle = await openIfPresent(logFilePath(logDir, task, type, cursor.index));
  let size: number | undefined;
  if (handle !== undefined) {
    try {
      size = (await handle.stat()).size;
      if (size > cursor.pos) {
        const length = Math.min(chunkBytes, size - cursor.pos);
        const data = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(data, 0, length, cursor.pos);
        if (bytesRead > 0) {
          const frame: LogFrame = {
            file: logFileName(task, type, cursor.index),
            offset: cursor.pos,
            data: bytesRead === length ? data : data.subarray(0, bytesRead),
          };
          cursor.pos += bytesRead;
          return { kind: "frame", frame };
        }
      }
    } finally {
      await handle.close();
    }
  }
  if (cursor.index > 0) {
    // This file is read to its end (or was dropped past maxFiles): go on with the next newer one.
    const sizes = await fileSizes(options);
    const newer = [...sizes.keys()].filter((index) => index < cursor.index);
    cursor.index = newer.length === 0 ? 0 : Math.max(...newer);
    cursor.pos = 0;
    return { kind: "moved" };
  }
  if (size !== undefined && size < cursor.pos) {
    // `.0` shrank behind our back (no rotation from this process): the bytes we had not read are
    // most likely at the end of `.1`.
    const rotated = await sizeOf(logFilePath(logDir, task, type, 1));
    if (rotated !== undefined && rotated > cursor.pos) cursor.index = 1;
    else cursor.pos = 0;
    return { kind: "moved" };
  }
  return { kind: "end" };
}

async function openIfPresent(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  const handle = await openIfPresent(path);
  if (handle === undefined) return undefined;
  try {
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

/**
 * Resolves after `ms`, or sooner when the signal aborts or the function given to `setWake` is
 * called (the task ended). Never rejects.
 */
function waitForMore(
  ms: number,
  signal: AbortSignal | undefined,
  setWake: (wake: () => void) => void,
): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const finish = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    signal?.addEventListener("abort", finish, { once: true });
    setWake(finish);
  });
}
