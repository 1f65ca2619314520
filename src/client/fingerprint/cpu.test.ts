import { cpus } from "node:os";
import { describe, expect, it } from "vitest";
import { fingerprintCpu, goArch, parseCpuInfo } from "./cpu.js";

/** Two logical CPUs of an x86 VM, as /proc/cpuinfo lists them (abridged). */
const X86 = `processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13
cpu MHz\t\t: 2450.000
flags\t\t: fpu vme de pse

processor\t: 1
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13 (a hybrid part names its cores apart)
cpu MHz\t\t: 2550.500
flags\t\t: fpu vme de pse
`;

/** An ARM board: no "cpu MHz", no "model name". */
const ARM = `processor\t: 0
BogoMIPS\t: 48.00
CPU implementer\t: 0x41

processor\t: 1
BogoMIPS\t: 48.00
CPU implementer\t: 0x41

Hardware\t: BCM2835
`;

describe("parseCpuInfo", () => {
  it("counts one core per processor entry, sums their MHz and takes the first model name", () => {
    expect(parseCpuInfo(X86)).toEqual({ cores: 2, mhzSum: 5000.5, modelName: "AMD EPYC 7B13" });
  });

  it("reports no speed where the kernel gives none", () => {
    expect(parseCpuInfo(ARM)).toEqual({ cores: 2, mhzSum: 0, modelName: "" });
  });

  it("finds nothing in text that is not cpuinfo", () => {
    expect(parseCpuInfo("")).toEqual({ cores: 0, mhzSum: 0, modelName: "" });
    expect(parseCpuInfo("no colons here\nnor here")).toEqual({ cores: 0, mhzSum: 0, modelName: "" });
  });
});

describe("fingerprintCpu on this machine", () => {
  it("finds at least one core, and a total of cores times per-core speed", async () => {
    const cpu = await fingerprintCpu(undefined);
    expect(cpu.cores).toBeGreaterThanOrEqual(1);
    expect(cpu.mhzPerCore).toBeGreaterThan(0);
    expect(Math.abs(cpu.totalMhz - cpu.mhzPerCore * cpu.cores)).toBeLessThanOrEqual(cpu.cores);
    // /proc/cpuinfo lists the machine's logical CPUs, as os.cpus() does.
    expect(cpu.cores).toBe(cpus().length);
  });

  it("takes an override of the total compute and derives the per-core speed from it", async () => {
    const cpu = await fingerprintCpu(12_345);
    expect(cpu.totalMhz).toBe(12_345);
    expect(cpu.mhzPerCore).toBe(Math.round(12_345 / cpu.cores));
  });
});

describe("goArch", () => {
  it("spells the architecture as Go (and so Nomad) does", () => {
    expect(["amd64", "arm64", "386", "arm"]).toContain(goArch());
  });
});
