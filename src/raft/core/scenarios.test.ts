/**
 * Golden-trace scenario tests: every testdata/*.txt is a script (`> command` lines, `#` comments)
 * together with its expected trace. `UPDATE_GOLDEN=1 npx vitest run src/raft/core/scenarios.test.ts`
 * rewrites the files from the current behaviour; review the diff before committing it.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runScenario } from "../sim/scenario.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "testdata");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".txt"))
  .sort();

describe("raft scenarios (golden traces)", () => {
  it("has scenario files", () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    it(file, () => {
      const path = join(dir, file);
      const expected = readFileSync(path, "utf8");
      const actual = runScenario(expected);
      if (process.env["UPDATE_GOLDEN"] === "1") {
        writeFileSync(path, actual);
        return;
      }
      expect(actual).toBe(expected);
    });
  }
});
