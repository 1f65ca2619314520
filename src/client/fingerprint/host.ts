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
  let osRelease: Record<string, string> = {};
  try {
    osRelease = parseOsRelease(await readFile("/etc/os-release", "utf8"));
  } catch {
    // No os-release: keep the platform name.
  }
  return {
    kernelName: platform(),
    kernelVersion: release(),
    osName: osRelease["ID"] ?? platform(),
    osVersion: osRelease["VERSION_ID"] ?? "",
    hostname: hostname(),
  };
}

/**
 * Parses os-release(5): `KEY=value` lines, values optionally in double or single quotes, `#`
 * comments and blank lines ignored.
 */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    let value = line.slice(eq + 1);
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote))
      value = value.slice(1, -1);
    fields[line.slice(0, eq)] = value;
  }
  return fields;
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
