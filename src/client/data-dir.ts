import { randomBytes } from "node:crypto";
import { mkdir, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { ValidationError } from "../shared/errors.js";

/**
 * Makes sure the data dir can hold the client's state before anything depends on it: creates it,
 * then writes, fsyncs and removes a probe file. An unwritable directory or a full disk is one
 * clear error at start ("data dir /x: not writable (EACCES)"), not a failure mid-way through
 * starting tasks.
 */
export async function checkDataDir(dir: string): Promise<void> {
  const probe = join(dir, `.drover-probe-${randomBytes(4).toString("hex")}`);
  try {
    await mkdir(dir, { recursive: true });
    const file = await open(probe, "w");
    try {
      await file.write(Buffer.alloc(4096));
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    const why =
      code === "ENOSPC" ? "the disk is full" : code === "EROFS" ? "read-only file system" : "not writable";
    throw new ValidationError(`${why} (${code || (error as Error).message})`, `data dir ${dir}`);
  } finally {
    await rm(probe, { force: true });
  }
}
