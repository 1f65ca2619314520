import { readFile } from "node:fs/promises";
import { hostname, networkInterfaces, platform, release } from "node:os";

export interface HostFingerprint {
  kernelName: string;
  kernelVersion: string;
  osName: string;
  osVersion: string;
  hostname: string;
}

/** Kernel and distribution (from /etc/os-release, as Nomad's host fingerprint). */
export async function fingerprintHost(): Promise<HostFingerprint> {
  let osName = platform() as string;
  let osVersion = "";
  try {
    const text = await readFile("/etc/os-release", "utf8");
    for (const line of text.split("\n")) {
      const eq = line.indexOf("=");
      if (eq < 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1).replace(/^"|"$/g, "");
      if (key === "ID") osName = value;
      else if (key === "VERSION_ID") osVersion = value;
    }
  } catch {
    // No os-release: keep the platform name.
  }
  return { kernelName: platform(), kernelVersion: release(), osName, osVersion, hostname: hostname() };
}

export interface NetworkFingerprint {
  ip: string;
  device: string;
  cidr: string;
}

/**
 * The address tasks are reached on: the bind address when it is a concrete one (a client bound
 * to 127.0.0.1 runs tasks reachable on loopback), otherwise the first non-internal IPv4 address.
 */
export function fingerprintNetwork(bind: string): NetworkFingerprint {
  const interfaces = networkInterfaces();
  const wanted = bind === "0.0.0.0" || bind === "" ? undefined : bind;
  let fallback: NetworkFingerprint | undefined;
  for (const [device, addresses] of Object.entries(interfaces)) {
    for (const address of addresses ?? []) {
      if (address.family !== "IPv4") continue;
      const found = { ip: address.address, device, cidr: address.cidr ?? `${address.address}/32` };
      if (wanted !== undefined && address.address === wanted) return found;
      if (wanted === undefined && !address.internal && fallback === undefined) fallback = found;
    }
  }
  if (wanted !== undefined) return { ip: wanted, device: "", cidr: `${wanted}/32` };
  return fallback ?? { ip: "127.0.0.1", device: "lo", cidr: "127.0.0.1/32" };
}
