import { open } from "node:fs/promises";

/**
 * Writes `bytes` to `path` (created or truncated) and fsyncs its data before resolving. The
 * directory entry of a new file is durable only once its directory is synced too (syncDir).
 */
export async function writeFileDurably(path: string, bytes: Uint8Array): Promise<void> {
  const file = await open(path, "w");
  try {
    let written = 0;
    while (written < bytes.byteLength) {
      const { bytesWritten } = await file.write(bytes, written, bytes.byteLength - written);
      written += bytesWritten;
    }
    await file.datasync();
  } finally {
    await file.close();
  }
}

/** fsyncs a directory: the creations, renames and removals of files in it become durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
