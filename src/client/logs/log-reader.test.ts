import { appendFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../common/errors.js";
import { silentLogger } from "../../common/log.js";
import type { LogFrame } from "../allocrunner/alloc-runner-api.js";
import { type ReadTaskLogsOptions, readTaskLogs } from "./log-reader.js";
import { LogRotator } from "./log-rotator.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "drover-reader-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function options(over: Partial<ReadTaskLogsOptions> = {}): ReadTaskLogsOptions {
  return { logDir: dir, task: "web", type: "stdout", origin: "start", offset: 0, follow: false, ...over };
}

async function collect(frames: AsyncIterable<LogFrame>): Promise<LogFrame[]> {
  const out: LogFrame[] = [];
  for await (const frame of frames) out.push(frame);
  return out;
}

const text = (frames: LogFrame[]): string => Buffer.concat(frames.map((f) => f.data)).toString("utf8");

function rotatedFiles(): void {
  writeFileSync(join(dir, "web.stdout.2"), "aaaa");
  writeFileSync(join(dir, "web.stdout.1"), "bbbb");
  writeFileSync(join(dir, "web.stdout.0"), "cccc");
  writeFileSync(join(dir, "web.stderr.0"), "err");
}

describe("readTaskLogs", () => {
  it("reads the rotated files as one stream, oldest first, with file and offset per frame", async () => {
    rotatedFiles();
    const frames = await collect(readTaskLogs(options()));
    expect(text(frames)).toBe("aaaabbbbcccc");
    expect(frames.map((f) => [f.file, f.offset])).toEqual([
      ["web.stdout.2", 0],
      ["web.stdout.1", 0],
      ["web.stdout.0", 0],
    ]);
    expect(text(await collect(readTaskLogs(options({ type: "stderr" }))))).toBe("err");
  });

  it.each([
    ["start", 0, "aaaabbbbcccc"],
    ["start", 6, "bbcccc"],
    ["start", 99, ""],
    ["end", 0, ""],
    ["end", 5, "bcccc"],
    ["end", 99, "aaaabbbbcccc"],
  ] as const)("origin %s offset %d → %j", async (origin, offset, expected) => {
    rotatedFiles();
    expect(text(await collect(readTaskLogs(options({ origin, offset }))))).toBe(expected);
  });

  it("bounds frames to chunkBytes", async () => {
    writeFileSync(join(dir, "web.stdout.0"), "z".repeat(1000));
    const frames = await collect(readTaskLogs(options({ chunkBytes: 64 })));
    expect(frames.every((f) => f.data.length <= 64)).toBe(true);
    expect(frames.map((f) => f.offset).slice(0, 3)).toEqual([0, 64, 128]);
    expect(text(frames)).toBe("z".repeat(1000));
  });

  it("yields nothing for a task that has written nothing (or no log dir at all)", async () => {
    expect(await collect(readTaskLogs(options()))).toEqual([]);
    expect(await collect(readTaskLogs(options({ logDir: join(dir, "nope") })))).toEqual([]);
  });

  it("rejects a bad task, type, origin or offset at once with ValidationError", () => {
    for (const bad of [
      { task: "" },
      { task: "../etc" },
      { task: "a/b" },
      { task: ".." },
      { type: "stdin" as "stdout" },
      { origin: "middle" as "start" },
      { offset: -1 },
      { offset: 1.5 },
    ]) {
      expect(() => readTaskLogs(options(bad)), JSON.stringify(bad)).toThrow(ValidationError);
    }
  });

  it("follows a writer line by line and ends once the task is done and all is read", async () => {
    const path = join(dir, "web.stdout.0");
    writeFileSync(path, "line 0\n");
    let finish: () => void = () => undefined;
    const taskDone = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const frame of readTaskLogs(options({ follow: true, taskDone, pollMs: 5 }))) {
        seen.push(frame.data.toString("utf8"));
      }
    })();
    for (let i = 1; i <= 5; i++) {
      // Wait for the reader to catch up, so that each line arrives as its own frame.
      await waitUntil(() => seen.join("").endsWith(`line ${i - 1}\n`));
      appendFileSync(path, `line ${i}\n`);
    }
    appendFileSync(path, "last words\n");
    finish();
    await reading;
    expect(seen.join("")).toBe("line 0\nline 1\nline 2\nline 3\nline 4\nline 5\nlast words\n");
    expect(seen.length).toBeGreaterThanOrEqual(6);
  });

  it("follows through rotations without losing or repeating bytes", async () => {
    // Enough files that nothing is dropped however far the reader falls behind the writer.
    const rotator = new LogRotator({
      logDir: dir,
      task: "web",
      maxFiles: 10,
      maxFileSizeMB: 1,
      logger: silentLogger(),
    });
    rotator.start();
    let finish: () => void = () => undefined;
    const taskDone = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const reading = collect(readTaskLogs(options({ follow: true, taskDone, pollMs: 2, chunkBytes: 7 })));
    let expected = "";
    for (let i = 0; i < 40; i++) {
      const line = `line ${i}\n`;
      appendFileSync(rotator.stdoutPath, line);
      expected += line;
      if (i % 10 === 9) await rotator.rotate("stdout");
      if (i % 3 === 0) await sleep(1);
    }
    finish();
    const frames = await reading;
    await rotator.stop();
    expect(text(frames)).toBe(expected);
  });

  it("a reader left behind by more rotations than maxFiles keeps resumes at the oldest file left", async () => {
    const rotator = new LogRotator({
      logDir: dir,
      task: "web",
      maxFiles: 2,
      maxFileSizeMB: 1,
      logger: silentLogger(),
    });
    appendFileSync(rotator.stdoutPath, "aaaa");
    const iterator = readTaskLogs(options({ follow: true, chunkBytes: 2 }))[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.data.toString()).toBe("aa");
    for (const next of ["bbbb", "cccc", "dddd"]) {
      await rotator.rotate("stdout");
      appendFileSync(rotator.stdoutPath, next);
    }
    const rest: string[] = [];
    for (let i = 0; i < 4; i++) rest.push((await iterator.next()).value?.data.toString() ?? "");
    await iterator.return?.();
    // "aa", "bbbb" were dropped (only .1 = "cccc" and .0 = "dddd" are kept).
    expect(rest).toEqual(["cc", "cc", "dd", "dd"]);
  });

  it("after a truncation it did not see coming, takes the rest from .1, then .0 from its start", async () => {
    const path = join(dir, "web.stdout.0");
    writeFileSync(path, "first part ");
    let finish: () => void = () => undefined;
    const taskDone = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const frame of readTaskLogs(options({ follow: true, taskDone, pollMs: 2 }))) {
        seen.push(frame.data.toString("utf8"));
      }
    })();
    await waitUntil(() => seen.join("") === "first part ");
    // A rotation by someone else (no shared generation): copy with more data, truncate.
    writeFileSync(join(dir, "web.stdout.1"), "first part second part ");
    truncateSync(path, 0);
    appendFileSync(path, "new");
    finish();
    await reading;
    expect(seen.join("")).toBe("first part second part new");
  });

  it("stops following when the signal aborts, though the task goes on", async () => {
    writeFileSync(join(dir, "web.stdout.0"), "hello\n");
    const controller = new AbortController();
    const frames: LogFrame[] = [];
    const reading = (async () => {
      for await (const frame of readTaskLogs(
        options({ follow: true, signal: controller.signal, taskDone: new Promise(() => undefined) }),
      )) {
        frames.push(frame);
      }
    })();
    await waitUntil(() => frames.length === 1);
    controller.abort();
    await reading;
    expect(text(frames)).toBe("hello\n");
  });

  it("ends at once when the consumer stops iterating (return())", async () => {
    writeFileSync(join(dir, "web.stdout.0"), "x".repeat(300));
    const iterator = readTaskLogs(options({ follow: true, chunkBytes: 100 }))[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    await iterator.return?.();
    expect((await iterator.next()).done).toBe(true);
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !condition(); i++) await sleep(2);
  if (!condition()) throw new Error("condition not reached");
}
