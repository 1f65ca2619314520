import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskConfigError } from "../../common/errors.js";
import { silentLogger } from "../../common/log.js";
import type { TaskStartSpec } from "./driver.js";
import { javaArgs, parseJavaConfig } from "./java-config.js";
import { JavaDriver } from "./java-driver.js";
import { parseJavaVersion } from "./java-version.js";

const run = promisify(execFile);
const javac = await run("javac", ["-version"]).then(
  () => "",
  (err: unknown) => `javac not available (${(err as Error).message})`,
);
if (javac !== "") console.log(`java driver run tests skipped: ${javac}`);

const PATH = process.env["PATH"] ?? "/usr/bin:/bin";
const MAIN = `public class Main {
  public static void main(String[] a) {
    System.out.println("args=" + String.join(",", a) + " foo=" + System.getProperty("foo"));
    System.exit(a.length > 0 && a[0].equals("fail") ? 3 : 0);
  }
}
`;

describe("java config", () => {
  it("requires exactly one of jar_path and class", () => {
    expect(() => parseJavaConfig({})).toThrow(TaskConfigError);
    expect(() => parseJavaConfig({ jar_path: "a.jar", class: "Main" })).toThrow(/config\.jar_path/);
    expect(() => parseJavaConfig({ class: "Main", jvm_options: "-Xmx1g" })).toThrow(/config\.jvm_options/);
  });

  it("builds java's arguments in order", () => {
    expect(javaArgs(parseJavaConfig({ jar_path: "a.jar", jvm_options: ["-Xmx64m"], args: ["x"] }))).toEqual([
      "-Xmx64m",
      "-jar",
      "a.jar",
      "x",
    ]);
    expect(javaArgs(parseJavaConfig({ class: "Main", class_path: "lib" }))).toEqual(["-cp", "lib", "Main"]);
  });

  it("parses java -version output, skipping banners", () => {
    const out = `Picked up JAVA_TOOL_OPTIONS: -Xss1m
openjdk version "17.0.15" 2025-04-15
OpenJDK Runtime Environment (build 17.0.15+6)
OpenJDK 64-Bit Server VM (build 17.0.15+6, mixed mode, sharing)
`;
    expect(parseJavaVersion(out)).toEqual({
      version: "17.0.15",
      runtime: "OpenJDK Runtime Environment (build 17.0.15+6)",
      vm: "OpenJDK 64-Bit Server VM (build 17.0.15+6, mixed mode, sharing)",
    });
    expect(parseJavaVersion("bash: java: not found")).toBeUndefined();
  });
});

describe("JavaDriver fingerprint", () => {
  it("is unhealthy with a reason when java is missing", async () => {
    const driver = new JavaDriver(
      { logger: silentLogger(), dataDir: tmpdir() },
      { probe: () => Promise.reject(new Error("spawn java ENOENT")) },
    );
    expect(await driver.fingerprint()).toEqual({
      detected: false,
      healthy: false,
      healthDescription: "java not usable: spawn java ENOENT",
      attributes: {},
    });
  });
});

describe.skipIf(javac !== "")("JavaDriver on this host", () => {
  let dir: string;
  let seq = 0;
  const driver = () => new JavaDriver({ logger: silentLogger(), dataDir: dir });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "drover-java-"));
    await chmod(dir, 0o755);
    await mkdir(join(dir, "classes"));
    await writeFile(join(dir, "Main.java"), MAIN);
    await run("javac", ["-d", join(dir, "classes"), join(dir, "Main.java")]);
    await run("jar", ["cfe", join(dir, "app.jar"), "Main", "-C", join(dir, "classes"), "Main.class"]);
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function spec(config: Record<string, unknown>): TaskStartSpec {
    const n = seq++;
    return {
      allocId: `java-test-${process.pid}-${n}`,
      taskName: "j",
      config,
      env: { PATH },
      user: "",
      taskDir: dir,
      stdoutPath: join(dir, `stdout-${n}.log`),
      stderrPath: join(dir, `stderr-${n}.log`),
      // The JVM needs room: a small limit would fail it at start.
      resources: { cpuMhz: 500, memoryMB: 512, memoryMaxMB: 0 },
      ports: [],
    };
  }

  async function runTask(config: Record<string, unknown>): Promise<{ exitCode: number; out: string }> {
    const d = driver();
    const s = spec(config);
    const task = await d.start(s);
    const exit = await task.wait();
    await d.cleanup(task.handle);
    return { exitCode: exit.exitCode, out: await readFile(s.stdoutPath, "utf8") };
  }

  it("fingerprints the installed java", async () => {
    const fp = await driver().fingerprint();
    expect(fp).toMatchObject({ detected: true, healthy: true, attributes: { "driver.java": "1" } });
    expect(fp.attributes["driver.java.version"]).toMatch(/^\d+/);
    expect(fp.attributes["driver.java.vm"]).toMatch(/VM/);
  });

  it("runs a jar through jar_path with jvm_options and args", async () => {
    const result = await runTask({ jar_path: "app.jar", jvm_options: ["-Dfoo=bar"], args: ["a", "b c"] });
    expect(result).toEqual({ exitCode: 0, out: "args=a,b c foo=bar\n" });
  });

  it("runs a class through class and class_path, reporting its exit code", async () => {
    const result = await runTask({ class: "Main", class_path: join(dir, "classes"), args: ["fail"] });
    expect(result).toEqual({ exitCode: 3, out: "args=fail foo=null\n" });
  });
});
