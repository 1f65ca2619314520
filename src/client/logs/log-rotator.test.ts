import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ValidationError } from "../../common/errors.js";
import { silentLogger } from "../../common/log.js";
import { LogRotator } from "./log-rotator.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "drover-rotator-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const read = (name: string): string => readFileSync(join(dir, name), "utf8");
const files = (): string[] => readdirSync(dir).sort();

function rotator(maxFiles: number, maxFileSizeMB = 1, checkIntervalMs?: number): LogRotator {
  return new LogRotator({
    logDir: dir,
    task: "web",
    maxFiles,
    maxFileSizeMB,
    logger: silentLogger(),
    ...(checkIntervalMs === undefined ? {} : { checkIntervalMs }),
  });
}

describe("LogRotator", () => {
  it("names the active files <task>.<type>.0", () => {
    const r = rotator(3);
    expect(r.stdoutPath).toBe(join(dir, "web.stdout.0"));
    expect(r.stderrPath).toBe(join(dir, "web.stderr.0"));
  });

  it("shifts rotated files up, newest at .1, and drops what is past maxFiles", async () => {
    const r = rotator(3);
    for (const text of ["one", "two", "three", "four"]) {
      writeFileSync(r.stdoutPath, text, { flag: "a" });
      await r.rotate("stdout");
    }
    writeFileSync(r.stdoutPath, "five", { flag: "a" });
    expect(files()).toEqual(["web.stdout.0", "web.stdout.1", "web.stdout.2"]);
    expect([read("web.stdout.2"), read("web.stdout.1"), read("web.stdout.0")]).toEqual([
      "three",
      "four",
      "five",
    ]);
  });

  it("drops stray files beyond maxFiles (maxFiles lowered since they were written)", async () => {
    const r = rotator(2);
    writeFileSync(join(dir, "web.stdout.7"), "old");
    writeFileSync(join(dir, "web.stdout.1"), "older");
    writeFileSync(join(dir, "web.stdout.0"), "now");
    writeFileSync(join(dir, "web.stdout.x"), "not ours");
    await r.rotate("stdout");
    expect(files()).toEqual(["web.stdout.0", "web.stdout.1", "web.stdout.x"]);
    expect(read("web.stdout.1")).toBe("now");
    expect(read("web.stdout.0")).toBe("");
  });

  it("copies then truncates: an O_APPEND writer continues at the start of the emptied file", async () => {
    const r = rotator(2);
    const fd = openSync(r.stdoutPath, "a");
    try {
      writeSync(fd, "before rotation\n");
      await r.rotate("stdout");
      writeSync(fd, "after\n");
    } finally {
      closeSync(fd);
    }
    expect(read("web.stdout.1")).toBe("before rotation\n");
    // Not a sparse file with a hole the size of the old content: the write landed at offset 0.
    expect(read("web.stdout.0")).toBe("after\n");
  });

  it("with maxFiles = 1 only truncates", async () => {
    const r = rotator(1);
    writeFileSync(r.stderrPath, "gone");
    await r.rotate("stderr");
    expect(files()).toEqual(["web.stderr.0"]);
    expect(read("web.stderr.0")).toBe("");
  });

  it("rotating a stream that has no active file yet changes nothing", async () => {
    writeFileSync(join(dir, "web.stdout.1"), "old");
    await rotator(3).rotate("stdout");
    expect(files()).toEqual(["web.stdout.1"]);
  });

  it("checkNow rotates only the streams past maxFileSizeMB", async () => {
    const r = rotator(3, 0.001); // 1048 bytes
    writeFileSync(r.stdoutPath, "x".repeat(2000));
    writeFileSync(r.stderrPath, "small");
    await r.checkNow();
    expect(files()).toEqual(["web.stderr.0", "web.stdout.0", "web.stdout.1"]);
    expect(read("web.stdout.1")).toHaveLength(2000);
    expect(read("web.stdout.0")).toBe("");
    expect(read("web.stderr.0")).toBe("small");
  });

  it("checkNow tolerates missing files and logs failures instead of throwing", async () => {
    await rotator(3).checkNow();
    const r = new LogRotator({
      logDir: join(dir, "missing"),
      task: "web",
      maxFiles: 2,
      maxFileSizeMB: 1,
      logger: silentLogger(),
    });
    await expect(r.checkNow()).resolves.toBeUndefined();
  });

  it("start() rotates on its timer; stop() ends it", async () => {
    const r = rotator(2, 0.001, 5);
    writeFileSync(r.stdoutPath, "y".repeat(4096));
    r.start();
    try {
      await vi.waitFor(() => expect(read("web.stdout.0")).toBe(""), { timeout: 10_000, interval: 5 });
      expect(read("web.stdout.1")).toHaveLength(4096);
    } finally {
      await r.stop();
    }
  });

  it("rejects bad options with ValidationError", () => {
    expect(() => rotator(0)).toThrow(ValidationError);
    expect(() => rotator(2, 0)).toThrow(/max_file_size/);
    expect(
      () =>
        new LogRotator({ logDir: dir, task: "../x", maxFiles: 2, maxFileSizeMB: 1, logger: silentLogger() }),
    ).toThrow(ValidationError);
  });
});
