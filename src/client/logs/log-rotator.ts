import { type FileHandle, open, readdir, rename, stat, truncate, unlink } from "node:fs/promises";
import { ValidationError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import { acquireLogFile, LOG_TYPES, logFileIndex, logFilePath, type SharedLogFile } from "./log-files.js";
import { type LogType, validateTaskName } from "./log-request.js";

export interface LogRotatorOptions {
  /** The alloc's log directory (`<alloc dir>/alloc/logs`); must exist. */
  logDir: string;
  task: string;
  /** Files kept per stream, the active `.0` included (Nomad's logs.max_files); ≥ 1. */
  maxFiles: number;
  /** The active file is rotated once it is larger than this (Nomad's logs.max_file_size). */
  maxFileSizeMB: number;
  logger: Logger;
  /** How often sizes are checked; 1 s by default. */
  checkIntervalMs?: number;
}

const DEFAULT_CHECK_INTERVAL_MS = 1000;
const COPY_CHUNK_BYTES = 1024 * 1024;

/**
 * Keeps a task's stdout and stderr under `maxFiles` × `maxFileSizeMB` each.
 *
 * The task (its driver) appends to `<task>.stdout.0` / `.stderr.0` with O_APPEND and may keep
 * those descriptors across an agent restart, so the active file can never be renamed away:
 * rotation is copy-then-truncate, like logrotate's `copytruncate`:
 *   1. drop `.<maxFiles-1>` and anything beyond it, shift `.n` → `.n+1` (newest rotated = `.1`);
 *   2. copy `.0` into `.1` up to its current end;
 *   3. truncate `.0` to 0. An O_APPEND writer's next write lands at the new end (offset 0).
 * Bytes the task writes between the end of step 2 and step 3 are lost (logrotate has the same
 * window); the copy re-reads until it finds no more data, so the window is one read call wide.
 * A writer that did not open with O_APPEND would keep its old offset and leave a hole of zeros.
 *
 * With maxFiles = 1 there is nowhere to keep old output: rotation only truncates.
 *
 * Rotations run under the file's shared lock (log-files.ts), so readers in this process never see
 * a half-copied `.1`, and bump the file's generation so that followers find their place again.
 */
export class LogRotator {
  readonly stdoutPath: string;
  readonly stderrPath: string;
  private readonly maxBytes: number;
  private readonly checkIntervalMs: number;
  private readonly files: Map<LogType, SharedLogFile> = new Map();
  private timer: NodeJS.Timeout | undefined;
  /** The check in progress, so that checks never overlap and stop() can wait for it. */
  private running: Promise<void> | undefined;

  constructor(private readonly options: LogRotatorOptions) {
    validateTaskName(options.task);
    if (!Number.isInteger(options.maxFiles) || options.maxFiles < 1) {
      throw new ValidationError(`must be an integer ≥ 1, got ${options.maxFiles}`, "logs.max_files");
    }
    if (!(options.maxFileSizeMB > 0) || !Number.isFinite(options.maxFileSizeMB)) {
      throw new ValidationError(`must be > 0, got ${options.maxFileSizeMB}`, "logs.max_file_size");
    }
    this.maxBytes = Math.floor(options.maxFileSizeMB * 1024 * 1024);
    this.checkIntervalMs = options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
    this.stdoutPath = logFilePath(options.logDir, options.task, "stdout", 0);
    this.stderrPath = logFilePath(options.logDir, options.task, "stderr", 0);
  }

  /** Starts checking sizes periodically. The timer does not keep the process alive. */
  start(): void {
    if (this.timer !== undefined) return;
    for (const type of LOG_TYPES) {
      if (!this.files.has(type)) this.files.set(type, acquireLogFile(this.activePath(type)));
    }
    this.timer = setInterval(() => {
      if (this.running === undefined) {
        this.running = this.checkNow().finally(() => {
          this.running = undefined;
        });
      }
    }, this.checkIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a rotation in progress to finish. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    for (const file of this.files.values()) file.release();
    this.files.clear();
  }

  /** Rotates every stream whose active file is over the limit. Never throws (logs instead). */
  async checkNow(): Promise<void> {
    for (const type of LOG_TYPES) {
      try {
        const size = await fileSize(this.activePath(type));
        if (size !== undefined && size > this.maxBytes) await this.rotate(type);
      } catch (error) {
        this.options.logger.warn(
          { err: error, task: this.options.task, type },
          "log rotation failed; will retry at the next check",
        );
      }
    }
  }

  /** Rotates `type` now, whatever its size (also used by tests); a no-op if `.0` does not exist. */
  async rotate(type: LogType): Promise<void> {
    const held = this.files.get(type);
    const file = held ?? acquireLogFile(this.activePath(type));
    try {
      await file.withLock(async () => {
        // Nothing written yet: nothing to rotate (and shifting would only renumber old files).
        if ((await fileSize(this.activePath(type))) === undefined) return;
        await this.shift(type);
        if (this.options.maxFiles > 1) await copyToEnd(this.activePath(type), this.path(type, 1));
        await truncate(this.activePath(type), 0);
        file.bumpGeneration();
      });
    } finally {
      if (held === undefined) file.release();
    }
    this.options.logger.debug({ task: this.options.task, type }, "rotated task log");
  }

  private activePath(type: LogType): string {
    return this.path(type, 0);
  }

  private path(type: LogType, index: number): string {
    return logFilePath(this.options.logDir, this.options.task, type, index);
  }

  /** Step 1: make room for the new `.1`, keeping at most maxFiles - 1 rotated files. */
  private async shift(type: LogType): Promise<void> {
    const { maxFiles, logDir, task } = this.options;
    const indices: number[] = [];
    for (const name of await readdir(logDir)) {
      const index = logFileIndex(name, task, type);
      if (index !== undefined && index > 0) indices.push(index);
    }
    indices.sort((a, b) => b - a);
    for (const index of indices) {
      // `.n` becomes `.n+1`; what would land at maxFiles or beyond is dropped instead.
      if (index + 1 >= maxFiles) await unlinkIfPresent(this.path(type, index));
      else await rename(this.path(type, index), this.path(type, index + 1));
    }
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** Step 2: copies `from` into a new `to` until a read finds nothing more (the writer may be active). */
async function copyToEnd(from: string, to: string): Promise<void> {
  let source: FileHandle;
  try {
    source = await open(from, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    const target = await open(to, "w");
    try {
      const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
      for (;;) {
        const { bytesRead } = await source.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        await target.write(buffer, 0, bytesRead);
      }
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
