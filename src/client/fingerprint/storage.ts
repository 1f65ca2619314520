import { statfs } from "node:fs/promises";

export interface StorageFingerprint {
  volume: string;
  totalMb: number;
  freeMb: number;
}

/** Space on the file system of the data dir: what allocations' ephemeral disks draw from. */
export async function fingerprintStorage(dataDir: string): Promise<StorageFingerprint> {
  const stats = await statfs(dataDir);
  const mb = (blocks: number): number => Math.floor((blocks * stats.bsize) / (1024 * 1024));
  return { volume: dataDir, totalMb: mb(stats.blocks), freeMb: mb(stats.bavail) };
}
