import { randomBytes } from "node:crypto";
import { mkdir, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { ValidationError } from "../common/errors.js";

/**
 * Makes sure the data dir can hold the client's state before anything depends on it: creates it,
 * then writes, fsyncs and removes a probe file. An unwritable directory or a full disk is one
 * clear error at start ("data dir /x: not writable (EACCES)"), not a failure mid-way through
 * starting tasks.
 */
export async function checkDataDir(dir: string): Promise<void> {
  const probe = join(dir, `.drover-probe-${randomBytes(4).toString("hex")}`);
  // Removed only once created: removing it from a dir that could not be made fails too (ENOTDIR),
  // and that error would replace the one that says what is wrong.
  let created = false;
  try {
    await mkdir(dir, { recursive: true });
    const file = await open(probe, "w");
    created = true;
    try {
      await file.write(Buffer.alloc(4096));
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    throw new ValidationError(`${reason(code)} (${code || (error as Error).message})`, `data dir ${dir}`);
  } finally {
    if (created) await rm(probe, { force: true });
  }
}

function reason(code: string): string {
  switch (code) {
    case "ENOSPC":
      return "the disk is full";
    case "EROFS":
      return "read-only file system";
    // mkdir says EEXIST when the data dir is a file, ENOTDIR when one of its parents is.
    case "EEXIST":
    case "ENOTDIR":
      return "not a directory";
    default:
      return "not writable";
  }
}
