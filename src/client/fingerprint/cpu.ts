import { readFile } from "node:fs/promises";
import { arch, cpus } from "node:os";

export interface CpuFingerprint {
  cores: number;
  /** Total compute in MHz: cores × per-core MHz (Nomad's cpu.totalcompute). */
  totalMhz: number;
  mhzPerCore: number;
  modelName: string;
}

/** What /proc/cpuinfo says; zero cores when it says nothing usable. */
export interface CpuInfo {
  /** Logical CPUs: one `processor` entry each. */
  cores: number;
  /** Sum of the `cpu MHz` of all entries (0 where the kernel reports none, as on most ARM). */
  mhzSum: number;
  /** The first `model name`. */
  modelName: string;
}

/** Parses the text of /proc/cpuinfo ("key<tabs>: value" lines, one block per logical CPU). */
export function parseCpuInfo(text: string): CpuInfo {
  let cores = 0;
  let mhzSum = 0;
  let modelName = "";
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === "processor") cores++;
    else if (key === "cpu MHz") mhzSum += Number(value) || 0;
    else if (key === "model name" && modelName === "") modelName = value;
  }
  return { cores, mhzSum, modelName };
}

/**
 * Cores and speed from /proc/cpuinfo (os.cpus() elsewhere). Virtual machines often report a
 * "cpu MHz" that is far from the real clock, or none at all; `--cpu-total-compute` overrides the
 * total, as in Nomad.
 */
export async function fingerprintCpu(overrideTotalMhz: number | undefined): Promise<CpuFingerprint> {
  let info: CpuInfo = { cores: 0, mhzSum: 0, modelName: "" };
  try {
    info = parseCpuInfo(await readFile("/proc/cpuinfo", "utf8"));
  } catch {
    // Not Linux, or /proc hidden: fall back to what Node sees.
  }
  let { cores, mhzSum, modelName } = info;
  if (cores === 0) {
    const list = cpus();
    cores = Math.max(1, list.length);
    mhzSum = list.reduce((sum, c) => sum + c.speed, 0);
    modelName = list[0]?.model ?? "";
  }
  const mhzPerCore = mhzSum > 0 ? Math.round(mhzSum / cores) : 1000;
  const totalMhz = overrideTotalMhz ?? mhzPerCore * cores;
  return { cores, totalMhz, mhzPerCore: Math.round(totalMhz / cores), modelName };
}

/** Nomad's spelling of the CPU architecture (Go's GOARCH). */
export function goArch(): string {
  const a = arch();
  if (a === "x64") return "amd64";
  if (a === "ia32") return "386";
  return a;
}
