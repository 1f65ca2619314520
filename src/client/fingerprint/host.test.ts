import { readFile } from "node:fs/promises";
import { hostname, networkInterfaces, release } from "node:os";
import { describe, expect, it } from "vitest";
import { fingerprintHost, fingerprintNetwork, parseOsRelease } from "./host.js";

describe("parseOsRelease", () => {
  it("reads KEY=value lines, unquoting double- and single-quoted values", () => {
    const text = [
      "# ID=commented-out",
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
      "ID=debian",
      "VERSION_ID='12'",
      "",
      '  ID_LIKE="rhel fedora"  ',
      "=no key",
      "not a field",
    ].join("\n");
    expect(parseOsRelease(text)).toEqual({
      PRETTY_NAME: "Debian GNU/Linux 12 (bookworm)",
      ID: "debian",
      VERSION_ID: "12",
      ID_LIKE: "rhel fedora",
    });
  });

  it("keeps a quote that is not a pair", () => {
    expect(parseOsRelease('NAME="unterminated\nX="')).toEqual({ NAME: '"unterminated', X: '"' });
  });
});

describe("fingerprintHost on this machine", () => {
  it("reports the kernel, the host name and the distribution", async () => {
    const host = await fingerprintHost();
    expect(host.kernelName).toBe("linux");
    expect(host.kernelVersion).toBe(release());
    expect(host.hostname).toBe(hostname());
    const osRelease = parseOsRelease(await readFile("/etc/os-release", "utf8").catch(() => ""));
    expect(host.osName).toBe(osRelease["ID"] ?? "linux");
    expect(host.osVersion).toBe(osRelease["VERSION_ID"] ?? "");
  });
});

describe("fingerprintNetwork", () => {
  it("uses a concrete bind address and the device that carries it", () => {
    const network = fingerprintNetwork("127.0.0.1");
    expect(network.ip).toBe("127.0.0.1");
    const device = Object.entries(networkInterfaces()).find(([, addresses]) =>
      (addresses ?? []).some((a) => a.address === "127.0.0.1"),
    )?.[0];
    expect(network.device).toBe(device);
  });

  it("takes a bind address it cannot see on any device as given", () => {
    expect(fingerprintNetwork("203.0.113.9")).toEqual({
      ip: "203.0.113.9",
      device: "",
      cidr: "203.0.113.9/32",
    });
  });

  it("picks an external IPv4 address when bound to all addresses", () => {
    const external = Object.values(networkInterfaces())
      .flatMap((addresses) => addresses ?? [])
      .filter((a) => a.family === "IPv4" && !a.internal)
      .map((a) => a.address);
    const network = fingerprintNetwork("0.0.0.0");
    if (external.length === 0) expect(network.ip).toBe("127.0.0.1");
    else expect(external).toContain(network.ip);
  });
});
