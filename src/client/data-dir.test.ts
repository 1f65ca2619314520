import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../common/errors.js";
import { checkDataDir } from "./data-dir.js";

describe("checkDataDir", () => {
  let root = "";
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "drover-data-dir-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("creates a missing data dir, parents included, and leaves nothing in it", async () => {
    const dir = join(root, "a", "b", "data");
    await checkDataDir(dir);
    expect((await stat(dir)).isDirectory()).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it("accepts an existing data dir and leaves what it holds alone", async () => {
    await writeFile(join(root, "keep"), "x");
    await checkDataDir(root);
    expect(await readdir(root)).toEqual(["keep"]);
  });

  // Tests run as root, where permissions never fail: a path through a regular file does.
  it("fails with a ValidationError naming the data dir and why when a parent is a file", async () => {
    const file = join(root, "file");
    await writeFile(file, "x");
    const dir = join(file, "data");
    const error = await checkDataDir(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).where).toBe(`data dir ${dir}`);
    expect((error as ValidationError).message).toBe(`data dir ${dir}: not a directory (ENOTDIR)`);
  });

  it("fails with a ValidationError when the data dir is a file", async () => {
    const file = join(root, "file");
    await writeFile(file, "x");
    await expect(checkDataDir(file)).rejects.toThrow(
      new ValidationError("not a directory (EEXIST)", `data dir ${file}`),
    );
  });
});
