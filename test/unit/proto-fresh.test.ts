import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

describe("generated proto types", () => {
  it("are fresh: src/gen/proto matches what `npm run gen:proto` produces from proto/*.proto", () => {
    const out = mkdtempSync(join(tmpdir(), "drover-proto-"));
    try {
      execFileSync(process.execPath, [join(root, "scripts", "gen-proto.mjs"), out], { stdio: "pipe" });
      const committed = join(root, "src", "gen", "proto");
      expect(listFiles(committed)).toEqual(listFiles(out));
      for (const file of listFiles(out)) {
        expect(readFileSync(join(committed, file), "utf8"), `${file} is stale: run npm run gen:proto`).toBe(
          readFileSync(join(out, file), "utf8"),
        );
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
