import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskConfigError } from "../../common/errors.js";
import { silentLogger } from "../../common/log.js";
import { containerCreateOptions, parseDockerConfig } from "./docker-config.js";
import { DockerDriver, dockerEndpoint } from "./docker-driver.js";
import type { RunningTask, TaskStartSpec } from "./driver.js";

const ctx = () => ({ logger: silentLogger(), dataDir: tmpdir() });
const fingerprint = await new DockerDriver(ctx()).fingerprint();
const engine = fingerprint.healthy;
if (!engine) console.log(`docker engine tests skipped: ${fingerprint.healthDescription}`);

function spec(config: Record<string, unknown>, dir = tmpdir()): TaskStartSpec {
  return {
    allocId: `docker-test-${process.pid}`,
    taskName: "web",
    config,
    env: { FOO: "bar" },
    user: "",
    taskDir: dir,
    stdoutPath: join(dir, "stdout.log"),
    stderrPath: join(dir, "stderr.log"),
    resources: { cpuMhz: 250, memoryMB: 64, memoryMaxMB: 128 },
    ports: [{ Label: "http", Value: 23456, To: 8080, HostIP: "127.0.0.1" }],
  };
}

describe("docker config", () => {
  it("requires an image and rejects unknown keys", () => {
    expect(() => parseDockerConfig({})).toThrow(TaskConfigError);
    expect(() => parseDockerConfig({ image: "x", volumes: [] })).toThrow(/config\.volumes/);
  });

  it("builds create options: command, env, labels, ports, limits", () => {
    const config = parseDockerConfig({ image: "busybox", command: "sh", args: ["-c", "x"], ports: ["http"] });
    const options = containerCreateOptions(config, spec({}));
    expect(options).toMatchObject({
      name: `web-docker-test-${process.pid}`,
      Image: "busybox",
      Cmd: ["sh", "-c", "x"],
      Env: ["FOO=bar"],
      Labels: { "io.drover.alloc_id": `docker-test-${process.pid}`, "io.drover.task_name": "web" },
      ExposedPorts: { "8080/tcp": {}, "8080/udp": {} },
      HostConfig: {
        Memory: 128 << 20,
        MemoryReservation: 64 << 20,
        CpuShares: 250,
        PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "23456" }] },
      },
    });
  });

  it("names the missing port label", () => {
    const config = parseDockerConfig({ image: "busybox", ports: ["grpc"] });
    expect(() => containerCreateOptions(config, spec({}))).toThrow(/config\.ports: no port labelled "grpc"/);
  });
});

describe("DockerDriver fingerprint", () => {
  it.skipIf(engine)("reports an unreachable engine as undetected and unhealthy, with the reason", () => {
    expect(fingerprint).toMatchObject({ detected: false, healthy: false, attributes: {} });
    expect(fingerprint.healthDescription).toContain(`docker engine not reachable at ${dockerEndpoint()}`);
  });
});

describe.skipIf(!engine)("DockerDriver with an engine", () => {
  let dir: string;
  const driver = new DockerDriver(ctx());
  const tasks: RunningTask[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "drover-docker-"));
  });
  afterAll(async () => {
    for (const task of tasks) await driver.cleanup(task.handle);
    await rm(dir, { recursive: true, force: true });
  });

  it("runs a container, streams its output and reports its exit code", async () => {
    const s = spec({ image: "busybox:1.36", command: "sh", args: ["-c", "echo out $FOO; exit 3"] }, dir);
    const task = await driver.start({ ...s, allocId: `${s.allocId}-a` });
    tasks.push(task);
    expect(await task.wait()).toMatchObject({ exitCode: 3, signal: 0 });
    await expect.poll(() => readFile(s.stdoutPath, "utf8"), { timeout: 10_000 }).toBe("out bar\n");
  }, 300_000);

  it("recovers a running container by id and stops it", async () => {
    const s = spec({ image: "busybox:1.36", command: "sleep", args: ["300"] }, dir);
    const task = await driver.start({ ...s, allocId: `${s.allocId}-b` });
    tasks.push(task);
    const recovered = await new DockerDriver(ctx()).recover(task.handle);
    expect(recovered.kind).toBe("running");
    if (recovered.kind !== "running") return;
    // sleep is pid 1 in the container, which ignores SIGTERM: SIGKILL follows the timeout.
    expect((await recovered.task.stop("SIGTERM", 1000)).signal).toBeGreaterThan(0);
    expect((await task.wait()).signal).toBeGreaterThan(0);
  }, 300_000);
});
